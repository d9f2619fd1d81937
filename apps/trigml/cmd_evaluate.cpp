#include <cstdio>
#include <optional>

#include "commands.hpp"
#include "dist/dist.hpp"
#include "train/evaluate.hpp"

namespace trigml::cli {

void print_evaluation(const nlohmann::json& metrics, const std::string& out) {
  std::printf("%-8s %9s", "class", "AUC");
  const auto& first = metrics.at("classes").begin().value();
  for (const auto& point : first.at("signal_efficiency_at_fpr"))
    std::printf(" %14s", fmt::format("eff@FPR {:g}%", 100 * point.at("fpr").get<double>()).c_str());
  std::printf(" %14s\n",
              fmt::format("FPR@eff {:g}%",
                          100 * first.at("fpr_at_signal_efficiency").at("signal_efficiency").get<double>())
                  .c_str());
  for (const auto& [name, c] : metrics.at("classes").items()) {
    std::printf("%-8s %9.5f", name.c_str(), c.at("auc").get<double>());
    for (const auto& point : c.at("signal_efficiency_at_fpr"))
      std::printf(" %14.4f", point.at("signal_efficiency").get<double>());
    std::printf(" %14.4f\n", c.at("fpr_at_signal_efficiency").at("fpr").get<double>());
  }
  std::printf("accuracy %.4f over %llu events; report in %s/report.html\n",
              metrics.at("accuracy").get<double>(), metrics.at("events").get<unsigned long long>(),
              out.c_str());
}

void register_evaluate(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("evaluate", "Judge a trained model on a prepared dataset: ROC, AUC, plots, report");
  auto o = std::make_shared<train::EvaluateOptions>();
  auto model = std::make_shared<std::string>();
  auto data = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  cmd->add_option("model", *model, "Model directory (trigml train)")->required();
  cmd->add_option("data", *data,
                  "Prepared dataset: trigml prepare's output directory (its test/) or a dataset")
      ->required();
  cmd->add_option("--out", *out, "Report directory")->required();
  cmd->add_option("--batch-size", o->batch_size, "Events per inference batch (default 1024)");
  cmd->add_option("--threads", o->threads, "Threads for the network (default 1)");
  cmd->callback([o, model, data, out] {
    o->model = *model;
    o->data = *data;
    o->out = *out;
    // Inference on the test split is short next to training: under mpirun rank 0 does it alone.
    const auto summary = dist::together("evaluate", [&]() -> std::optional<nlohmann::json> {
      if (!dist::is_root()) return std::nullopt;
      return train::evaluate_model(*o);
    });
    if (summary) print_evaluation(*summary, *out);
  });
}

}  // namespace trigml::cli
