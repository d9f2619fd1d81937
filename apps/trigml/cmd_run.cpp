#include <cstdio>

#include "commands.hpp"
#include "dist/dist.hpp"
#include "pipeline/pipeline.hpp"

namespace trigml::cli {

void register_run(CLI::App& app) {
  auto* cmd = app.add_subcommand("run",
                                 "The whole pipeline: generate, ingest, prepare, train every model and "
                                 "evaluate, skipping what is current");
  auto config_path = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto threads = std::make_shared<int>(-1);
  cmd->add_option("config", *config_path, "TOML configuration (default: the built-in laptop-sized one)");
  cmd->add_option("--out", *out, "Output directory (default trigml-out/)");
  cmd->add_option("--threads", *threads, "Threads (default: all cores)");
  cmd->callback([config_path, out, threads] {
    pipeline::PipelineConfig config;
    if (!config_path->empty()) config = pipeline::load_pipeline_config(*config_path);
    if (!out->empty()) config.out = *out;
    if (*threads >= 0) config.threads = *threads;
    const auto result = pipeline::run_pipeline(config);
    if (!dist::is_root()) return;
    std::printf("\n%-16s %10s %10s %10s %10s\n", "model", "AUC qcd", "AUC ttbar", "AUC wjets", "accuracy");
    for (const auto& m : result.models) {
      const auto& auc = m.metrics.at("auc");
      std::printf("%-16s %10.4f %10.4f %10.4f %10.4f\n", m.architecture.c_str(), auc.at("qcd").get<double>(),
                  auc.at("ttbar").get<double>(), auc.at("wjets").get<double>(),
                  m.metrics.at("accuracy").get<double>());
    }
    std::printf("\nreports:\n");
    for (const auto& m : result.models) std::printf("  %s\n", m.report.string().c_str());
    std::printf("stages run: %zu, skipped as current: %zu; %.0f s\n", result.stages_run.size(),
                result.stages_skipped.size(), result.seconds);
  });
}

}  // namespace trigml::cli
