#include <cstdio>

#include "commands.hpp"
#include "score/decider.hpp"
#include "score/score.hpp"

namespace trigml::cli {

void register_score(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "score", "Decide raw events with a model: ROOT files → one Parquet file of probabilities and accepts");
  auto o = std::make_shared<score::ScoreOptions>();
  auto model = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  cmd->add_option("model", *model, "Model directory (trigml train)")->required();
  cmd->add_option("inputs", o->inputs,
                  "ROOT files, globs, directories, root:// or https:// URLs, or @list.txt")
      ->required();
  cmd->add_option("--out", *out,
                  "Output Parquet file (columns source_file, entry, selected, p_qcd, p_ttbar, "
                  "p_wjets, accept)")
      ->required();
  cmd->add_option(
      "--accept", o->accept,
      fmt::format("Accept rule: CLASS[+CLASS...]>T or >=T on the summed probabilities (default {})",
                  score::kDefaultAcceptRule));
  cmd->add_option("--schema", o->schema, "delphes (default), nanoaod, or a TOML schema mapping");
  cmd->add_option("--threads", o->threads, "Worker threads (default: all cores)");
  cmd->add_option("--batch-size", o->batch_events, "Events per inference batch (default 1024)");
  cmd->callback([o, model, out] {
    o->model = *model;
    o->out = *out;
    const auto s = score::run_score(*o);
    std::printf(
        "%llu events in %llu files: %llu selected, %llu accepted (%s) by %s, %.1f s (%.0f events/s)\n",
        static_cast<unsigned long long>(s.counts.read), static_cast<unsigned long long>(s.files),
        static_cast<unsigned long long>(s.counts.selected), static_cast<unsigned long long>(s.accepted),
        (o->accept.empty() ? score::kDefaultAcceptRule : o->accept.c_str()), s.model_id.c_str(), s.seconds,
        s.seconds > 0 ? static_cast<double>(s.counts.read) / s.seconds : 0.0);
  });
}

}  // namespace trigml::cli
