#include "eval/report.hpp"

#include <fmt/chrono.h>

#include <ctime>
#include <string>
#include <system_error>

#include "common/error.hpp"
#include "eval/plots.hpp"

namespace trigml::eval {

std::string escape_html(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string base64(std::span<const std::byte> bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t group = 0;
    for (size_t j = 0; j < 3; ++j) group = group << 8 | (j < n ? std::to_integer<uint32_t>(bytes[i + j]) : 0);
    for (size_t j = 0; j < 4; ++j) out += j <= n ? kAlphabet[(group >> (18 - 6 * j)) & 63] : '=';
  }
  return out;
}

namespace {

struct Figure {
  std::string file;
  std::string caption;
  std::vector<std::byte> png;
};

constexpr const char* kStyle = R"(
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1000px; color: #1a1a1a; line-height: 1.4; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
.subtitle { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 0.8em 0; }
th, td { border: 1px solid #d0d0d0; padding: 0.35em 0.8em; text-align: right; }
th { background: #f2f4f7; }
td.name, th.name { text-align: left; }
td.info { text-align: left; font-family: "DejaVu Sans Mono", monospace; font-size: 0.9em; }
.note { color: #666; font-size: 0.9em; }
.uncertain { color: #a05a00; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; border: 1px solid #e4e4e4; }
figcaption { color: #555; font-size: 0.9em; }
)";

}  // namespace

const char* report_style() {
  return kStyle;
}

namespace {

// Fewer background events than this pass the cut of a working point: its efficiency is mostly noise.
constexpr double kFewBackgroundEvents = 10;

std::string model_section(const nlohmann::json& info) {
  std::string html = "<h2>Model</h2>\n";
  if (!info.is_object() || info.empty()) {
    if (info.is_null() || info.empty()) return html + "<p class=\"note\">No model information given.</p>\n";
    return html + "<pre>" + escape_html(info.dump(2)) + "</pre>\n";
  }
  html += "<table>\n";
  for (const auto& [key, value] : info.items())
    html += fmt::format("<tr><th class=\"name\">{}</th><td class=\"info\">{}</td></tr>\n", escape_html(key),
                        escape_html(value.is_string() ? value.get<std::string>() : value.dump()));
  return html + "</table>\n";
}

std::string metrics_section(const Metrics& m) {
  std::string html = "<h2>Classification</h2>\n";
  html += fmt::format("<p>{} events; accuracy (class of highest probability) <b>{:.4f}</b>.</p>\n", m.events,
                      m.accuracy);
  html += "<table>\n<tr><th class=\"name\">class (against the rest)</th><th>events</th><th>AUC</th>";
  for (double f : kFalsePositiveTargets)
    html += fmt::format("<th>signal efficiency<br>at FPR {:g}%</th>", f * 100);
  html += fmt::format("<th>FPR at signal<br>efficiency {:g}%</th></tr>\n", kSignalEfficiencyTarget * 100);
  bool any_uncertain = false;
  for (const ClassMetrics& c : m.classes) {
    html += fmt::format("<tr><td class=\"name\">{}</td><td>{}</td><td>{:.6f}</td>", escape_html(c.name),
                        c.events, c.auc);
    for (const WorkingPoint& p : c.at_fpr) {
      bool uncertain = p.fpr * static_cast<double>(c.roc.negatives) < kFewBackgroundEvents;
      any_uncertain |= uncertain;
      html += fmt::format("<td{}>{:.4f}{} <span class=\"note\">(cut {:.4g})</span></td>",
                          uncertain ? " class=\"uncertain\"" : "", p.tpr, uncertain ? " †" : "", p.threshold);
    }
    html += fmt::format("<td>{:.4g} <span class=\"note\">(cut {:.4g})</span></td></tr>\n",
                        c.at_signal_efficiency.fpr, c.at_signal_efficiency.threshold);
  }
  html +=
      "</table>\n<p class=\"note\">Each class's events are the signal and the other classes' the background. "
      "Efficiencies at a fixed false-positive rate (FPR) are interpolated linearly between the points of the "
      "ROC curve, as is the FPR at a fixed efficiency. A cut selects the events whose score for the class is "
      "at least the cut: the loosest cut on the ROC curve that stays within the FPR, or the tightest that "
      "reaches the efficiency.";
  if (any_uncertain)
    html += fmt::format(
        " <span class=\"uncertain\">†</span> fewer than {:g} background events pass this cut: the "
        "value is statistically unreliable.",
        kFewBackgroundEvents);
  html += "</p>\n";

  html += "<h2>Confusion matrix</h2>\n<table>\n<tr><th class=\"name\">true \\ predicted</th>";
  for (const std::string& name : m.class_names) html += "<th>" + escape_html(name) + "</th>";
  html += "</tr>\n";
  for (size_t t = 0; t < m.class_names.size(); ++t) {
    html += "<tr><th class=\"name\">" + escape_html(m.class_names[t]) + "</th>";
    for (size_t p = 0; p < m.class_names.size(); ++p)
      html += fmt::format("<td>{:.4f} <span class=\"note\">({})</span></td>", m.confusion_normalized[t][p],
                          m.confusion[t][p]);
    html += "</tr>\n";
  }
  return html + "</table>\n<p class=\"note\">Rows are normalised by the events of their true class.</p>\n";
}

std::string render_html(const Metrics& m, const std::vector<Figure>& figures,
                        const nlohmann::json& model_info, bool has_history) {
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<title>trigml evaluation report</title>\n<style>" + std::string(kStyle) +
          "</style>\n</head>\n<body>\n";
  html += "<h1>trigml evaluation report</h1>\n";
  html += fmt::format("<p class=\"subtitle\">trigml {}, written {:%Y-%m-%d %H:%M:%S} UTC</p>\n",
                      TRIGML_VERSION, fmt::gmtime(std::time(nullptr)));
  html += model_section(model_info);
  html += metrics_section(m);
  html += "<h2>Figures</h2>\n";
  if (!has_history)
    html += "<p class=\"note\">No training history was given: no loss and accuracy curves.</p>\n";
  for (const Figure& f : figures)
    html += fmt::format(
        "<figure><img alt=\"{0}\" src=\"data:image/png;base64,{1}\"><figcaption>{0} ({2})</figcaption>"
        "</figure>\n",
        escape_html(f.caption), base64(f.png), escape_html(f.file));
  return html + "</body>\n</html>\n";
}

std::span<const std::byte> bytes_of(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

}  // namespace

void write_report(const std::filesystem::path& dir, const Metrics& metrics,
                  const std::vector<HistoryRow>& history, const nlohmann::json& model_info) {
  std::vector<Figure> figures;
  figures.push_back({"roc.png", "ROC curves, linear axes", plot_roc(metrics, FprAxis::Linear)});
  figures.push_back(
      {"roc_log.png", "ROC curves, logarithmic false-positive rate", plot_roc(metrics, FprAxis::Log)});
  figures.push_back({"confusion_matrix.png", "Confusion matrix", plot_confusion_matrix(metrics)});
  if (!history.empty()) {
    figures.push_back({"loss.png", "Loss per epoch", plot_history(history, HistoryQuantity::Loss)});
    figures.push_back(
        {"accuracy.png", "Accuracy per epoch", plot_history(history, HistoryQuantity::Accuracy)});
  }
  std::string metrics_json = to_json(metrics).dump(2) + "\n";
  std::string html = render_html(metrics, figures, model_info, !history.empty());

  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error)
    throw IoError(fmt::format("cannot create the report directory: {}", error.message()), {dir.string()});
  write_file_atomically(dir / "metrics.json", bytes_of(metrics_json));
  for (const Figure& f : figures) write_file_atomically(dir / f.file, f.png);
  write_file_atomically(dir / "report.html", bytes_of(html));
}

}  // namespace trigml::eval
