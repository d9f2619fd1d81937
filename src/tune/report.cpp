#include "tune/report.hpp"

#include <fmt/chrono.h>

#include <algorithm>
#include <cmath>
#include <ctime>

#include "eval/plots.hpp"
#include "eval/report.hpp"

namespace trigml::tune {
namespace {

constexpr size_t kCurves = 5;  // learning curves of this many best trials

// Trials that trained, best (lowest validation loss) first; ties in trial order.
std::vector<const TrialResult*> ranking(const TuneSummary& summary) {
  std::vector<const TrialResult*> ranked;
  for (const auto& t : summary.trials)
    if (std::isfinite(t.best_val_loss())) ranked.push_back(&t);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto* a, const auto* b) { return a->best_val_loss() < b->best_val_loss(); });
  return ranked;
}

double accuracy_at_best(const TrialResult& t) {
  for (const auto& r : t.history)
    if (r.has_validation && r.val_loss == t.best_val_loss()) return r.val_accuracy;
  return NAN;
}

std::string value_text(const nlohmann::json& value) {
  return value.is_number_float() ? fmt::format("{:.4g}", value.get<double>()) : value.dump();
}

}  // namespace

eval::ParallelAxis parallel_axis(const Parameter& p, const std::vector<nlohmann::json>& values) {
  eval::ParallelAxis axis;
  axis.name = p.name;
  axis.log = p.distribution == Distribution::LogUniform;
  const bool categorical = p.distribution == Distribution::Choice;
  if (categorical)
    for (const auto& choice : p.choices) axis.labels.push_back(value_text(choice));
  for (const auto& value : values) {
    if (categorical) {
      const auto at = std::find(p.choices.begin(), p.choices.end(), value);
      axis.values.push_back(at == p.choices.end() ? NAN : static_cast<double>(at - p.choices.begin()));
    } else {
      axis.values.push_back(value.get<double>());
    }
  }
  return axis;
}

void write_tune_report(const std::filesystem::path& out, const Space& space, const TuneOptions& options,
                       const TuneSummary& summary) {
  using eval::escape_html;
  const auto ranked = ranking(summary);
  struct Figure {
    std::string file, caption;
    std::vector<std::byte> png;
  };
  std::vector<Figure> figures;
  if (!ranked.empty()) {
    std::vector<eval::ParallelAxis> axes;
    for (const auto& p : space.parameters) {
      std::vector<nlohmann::json> values;
      for (const auto* t : ranked) values.push_back(t->params.at(p.name));
      axes.push_back(parallel_axis(p, values));
    }
    eval::ParallelAxis score{"val_loss", {}, false, {}};
    for (const auto* t : ranked) score.values.push_back(t->best_val_loss());
    figures.push_back({"parallel_coordinates.png",
                       "Each trial's parameters and its lowest validation loss (darker: lower)",
                       eval::plot_parallel_coordinates(axes, score)});
    std::vector<eval::Curve> curves;
    for (size_t i = 0; i < std::min(kCurves, ranked.size()); ++i) {
      eval::Curve curve{fmt::format("trial {} ({})", ranked[i]->trial, to_string(ranked[i]->status)), {}};
      for (const auto& r : ranked[i]->history)
        if (r.has_validation) curve.points.emplace_back(r.epoch, r.val_loss);
      curves.push_back(std::move(curve));
    }
    figures.push_back({"learning_curves.png",
                       fmt::format("Validation loss per epoch of the {} best trials", curves.size()),
                       eval::plot_curves(curves, "Learning curves of the best trials", "validation loss")});
  }

  int pruned = 0, failed = 0;
  for (const auto& t : summary.trials) {
    pruned += t.status == TrialStatus::Pruned;
    failed += t.status == TrialStatus::Failed;
  }
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<title>trigml tune report</title>\n<style>" + std::string(eval::report_style()) +
          "</style>\n</head>\n<body>\n";
  html += "<h1>trigml tune report</h1>\n";
  html += fmt::format("<p class=\"subtitle\">trigml {}, written {:%Y-%m-%d %H:%M:%S} UTC</p>\n",
                      TRIGML_VERSION, fmt::gmtime(std::time(nullptr)));
  html += fmt::format(
      "<p>Strategy <b>{}</b>, model {}, {} trials ({} pruned, {} failed), {} epochs trained in {:.0f} s; at "
      "most {} "
      "epochs a trial. Scored on the validation fraction ({}) of the training rows.</p>\n",
      to_string(options.strategy), model::to_string(options.base.model.architecture), summary.trials.size(),
      pruned, failed, summary.epochs_trained, summary.seconds, options.max_epochs,
      options.base.validation_fraction);
  html +=
      "<h2>Ranking</h2>\n<table>\n<tr><th>rank</th><th>trial</th><th "
      "class=\"name\">status</th><th>epochs</th>"
      "<th>val_loss</th><th>val_accuracy</th>";
  for (const auto& p : space.parameters) html += "<th class=\"name\">" + escape_html(p.name) + "</th>";
  html += "</tr>\n";
  for (size_t i = 0; i < ranked.size(); ++i) {
    const auto& t = *ranked[i];
    html += fmt::format(
        "<tr><td>{}</td><td>{}</td><td class=\"name\">{}</td><td>{}</td><td>{:.5f}</td><td>{:.4f}</td>",
        i + 1, t.trial, to_string(t.status), t.history.size(), t.best_val_loss(), accuracy_at_best(t));
    for (const auto& p : space.parameters)
      html += "<td class=\"info\">" + escape_html(value_text(t.params.at(p.name))) + "</td>";
    html += "</tr>\n";
  }
  html += "</table>\n";
  if (ranked.size() < summary.trials.size())
    html += fmt::format(
        "<p class=\"note\">{} trial(s) without a validation loss are not ranked (see trials.parquet).</p>\n",
        summary.trials.size() - ranked.size());
  html += "<h2>Figures</h2>\n";
  for (const auto& f : figures)
    html += fmt::format(
        "<figure><img alt=\"{0}\" src=\"data:image/png;base64,{1}\"><figcaption>{0} "
        "({2})</figcaption></figure>\n",
        escape_html(f.caption), eval::base64(f.png), escape_html(f.file));
  html += "</body>\n</html>\n";
  for (const auto& f : figures) eval::write_file_atomically(out / f.file, f.png);
  eval::write_file_atomically(out / "report.html", std::as_bytes(std::span(html.data(), html.size())));
}

}  // namespace trigml::tune
