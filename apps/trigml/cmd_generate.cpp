// trigml generate: simulated events of one process into a Delphes-like ROOT file.
#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "commands.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/terminal.hpp"
#include "gen/delphes_output.hpp"
#include "gen/generator.hpp"
#include "rootio/file.hpp"

namespace trigml::cli {
namespace {

struct GenerateOptions {
  std::string process;
  int64_t events = 0;
  int64_t seed = 0;
  double pileup = 20.0;
  int threads = 1;
  std::string out;
  bool resume = false;
};

// --resume: generate renames its file into place only when complete, so a file that exists is
// finished; it is kept if its settings are these (the output depends on nothing else) and refused
// otherwise. Without one, a killed run's temporary is removed and the file made anew.
bool finished_already(const GenerateOptions& options) {
  if (!std::filesystem::exists(options.out)) {
    remove_stale_temporaries(options.out);
    return false;
  }
  auto file = rootio::RootFile::open(options.out);
  auto setting = [&](const char* name) {
    return file->read_object(file->find_key(name).key).record()->at("fTitle").as_string();
  };
  const std::vector<std::pair<const char*, std::string>> wanted = {
      {"trigml_process", std::string(gen::process_name(gen::parse_process(options.process)))},
      {"trigml_seed", std::to_string(options.seed)},
      {"trigml_pileup", fmt::format("{}", options.pileup)},
      {"trigml_events", std::to_string(options.events)}};
  for (const auto& [name, value] : wanted)
    if (setting(name) != value)
      throw UsageError(
          fmt::format("exists, generated with {} = {} where {} is asked for: remove it or change --out", name,
                      setting(name), value),
          {options.out});
  std::fprintf(stderr, "%s: complete already, kept\n", options.out.c_str());
  return true;
}

void run_generate(const GenerateOptions& options) {
  if (options.seed < 0) throw UsageError(fmt::format("the seed must not be negative, got {}", options.seed));
  gen::GeneratorSettings settings;
  settings.process = gen::parse_process(options.process);
  settings.seed = static_cast<uint64_t>(options.seed);
  settings.pileup = options.pileup;
  if (options.resume && finished_already(options)) return;
  // Created with the first batch, after write_delphes_file has checked every argument, so a bad
  // call prints its error and no progress bar.
  std::optional<Progress> progress;
  gen::write_delphes_file(options.out, settings, options.events, options.threads, {}, [&](uint64_t events) {
    if (!progress) {
      progress.emplace(fmt::format("generate {}", options.process), static_cast<uint64_t>(options.events),
                       "events", stderr_is_terminal());
    }
    progress->advance(events);
  });
  if (progress) progress->finish();
}

}  // namespace

void register_generate(CLI::App& app) {
  auto options = std::make_shared<GenerateOptions>();
  CLI::App* command = app.add_subcommand(
      "generate", "Simulate 13 TeV pp collisions (ttbar, wjets or qcd) into a Delphes-like ROOT file");
  command->add_option("--process", options->process, "ttbar, wjets or qcd (lepton-filtered heavy flavour)")
      ->required();
  command->add_option("--events", options->events, "number of events")->required();
  command->add_option("--seed", options->seed, "random seed: the same seed gives the same file")->required();
  command->add_option("--pileup", options->pileup, "mean number of pileup interactions")
      ->capture_default_str();
  command->add_option("--threads", options->threads, "worker threads (the output does not depend on it)")
      ->capture_default_str();
  command->add_option("--out", options->out, "output ROOT file")->required();
  command->add_flag("--resume", options->resume,
                    "keep the output if a run with these settings finished it; otherwise make it anew");
  command->callback([options] { run_generate(*options); });
}

}  // namespace trigml::cli
