// Outputs compared byte for byte: every regular file under a directory (or the file itself), with
// its contents, by path relative to it.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

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

// Three generated inputs (ttbar, wjets, qcd; seeds 1, 2, 3) in `dir`, and the --class flags naming them.
inline std::string generated_classes(const std::filesystem::path& dir) {
  return "--class ttbar=" + (dir / "ttbar.root").string() +
         " --class wjets=" + (dir / "wjets.root").string() + " --class qcd=" + (dir / "qcd.root").string();
}

}  // namespace trigml::testing
