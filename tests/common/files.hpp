// Files for the tests of whole commands: outputs compared byte for byte (every regular file under a
// directory, or the file itself, by path relative to it) and generated inputs.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "common/run_command.hpp"

namespace trigml::testing {

inline std::string file_contents(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline std::map<std::string, std::string> all_files(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  if (fs::is_regular_file(root)) return {{root.filename().string(), file_contents(root)}};
  std::map<std::string, std::string> out;
  if (!fs::exists(root)) return out;
  for (const auto& entry : fs::recursive_directory_iterator(root))
    if (entry.is_regular_file()) out[fs::relative(entry.path(), root).string()] = file_contents(entry.path());
  return out;
}

// Generates three inputs (ttbar, wjets, qcd; seeds 1, 2, 3) of `events` events into `dir` with the
// trigml program; the failed command's output, or empty.
inline std::string generate_inputs(const std::filesystem::path& dir, int events) {
  for (auto [process, seed] : {std::pair{"ttbar", 1}, std::pair{"wjets", 2}, std::pair{"qcd", 3}}) {
    auto r = run_command(std::string(TRIGML_CLI) + " generate --process " + process + " --events " +
                         std::to_string(events) + " --seed " + std::to_string(seed) + " --out " +
                         (dir / (std::string(process) + ".root")).string());
    if (r.status != 0) return r.output;
  }
  return {};
}

// The --class flags naming the inputs of generate_inputs(dir).
inline std::string generated_classes(const std::filesystem::path& dir) {
  return "--class ttbar=" + (dir / "ttbar.root").string() +
         " --class wjets=" + (dir / "wjets.root").string() + " --class qcd=" + (dir / "qcd.root").string();
}

}  // namespace trigml::testing
