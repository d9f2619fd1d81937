#include "eval/report.hpp"

#include <fmt/chrono.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <optional>
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

std::string with_thousands(int64_t value) {
  // The magnitude as unsigned, so that the most negative value has one too.
  const uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  const std::string digits = std::to_string(magnitude);
  std::string out = value < 0 ? "-" : "";
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string significant(double value, int digits) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // Beyond int64's range llround has no answer; such values keep the exponent form.
  if (std::fabs(value) >= 1000 && std::fabs(value) < 9e18) return with_thousands(std::llround(value));
  return fmt::format("{:.{}g}", value, digits);
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
td.info { text-align: left; font-family: "DejaVu Sans Mono", monospace; font-size: 0.9em; overflow-wrap: anywhere; }
td.text { text-align: left; overflow-wrap: anywhere; }
table.settings th { background: none; font-weight: normal; color: #444; }
tr.best td { font-weight: bold; }
tr.total td { font-weight: bold; background: #f7f7f7; }
h3 { font-size: 1.05em; margin: 1.3em 0 0.3em; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; }
.note { color: #666; font-size: 0.9em; }
td .note { white-space: nowrap; }
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

// Label and text of a table row (text not yet escaped).
using Rows = std::vector<std::pair<std::string, std::string>>;

// A cell's text for any JSON value: numbers rounded, lists joined, objects as "key: value" pairs.
std::string value_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
    return std::to_string(v.get<uint64_t>());
  if (v.is_number_integer()) return with_thousands(v.get<int64_t>());
  if (v.is_number()) return significant(v.get<double>());
  if (v.is_null()) return "–";
  std::string text;
  for (const auto& [key, item] : v.items()) {
    if (!text.empty()) text += v.is_array() ? ", " : "; ";
    if (v.is_object()) text += key + ": ";
    text += value_text(item);
  }
  return text;
}

std::string settings_table(const Rows& rows) {
  std::string html = "<table class=\"settings\">\n";
  for (const auto& [label, text] : rows)
    html += fmt::format("<tr><th class=\"name\">{}</th><td class=\"text\">{}</td></tr>\n", escape_html(label),
                        escape_html(text));
  return html + "</table>\n";
}

// Removes `key` from `object` and returns its value (null when absent or when `object` is not one).
nlohmann::json take(nlohmann::json& object, const std::string& key) {
  if (!object.is_object() || !object.contains(key)) return nullptr;
  nlohmann::json value = std::move(object[key]);
  object.erase(key);
  return value;
}

// What is left of an object after the keys shown in their own rows: one row per key, by name.
void append_remaining(Rows& rows, const nlohmann::json& object) {
  if (!object.is_object()) return;
  for (const auto& [key, value] : object.items()) rows.emplace_back(key, value_text(value));
}

std::string layers_table(const nlohmann::json& layers) {
  std::string html =
      "<table>\n<tr><th class=\"name\">layer</th><th class=\"name\">kind</th><th class=\"name\">inputs</th>"
      "<th>outputs</th><th>parameters</th></tr>\n";
  int64_t total = 0;
  for (const auto& layer : layers) {
    const int64_t parameters = layer.value("parameters", int64_t{0});
    total += parameters;
    html += fmt::format(
        "<tr><td class=\"name\">{}</td><td class=\"text\">{}</td><td class=\"text\">{}</td><td>{}</td>"
        "<td>{}</td></tr>\n",
        escape_html(value_text(layer.value("name", nlohmann::json()))),
        escape_html(value_text(layer.value("kind", nlohmann::json()))),
        escape_html(value_text(layer.value("inputs", nlohmann::json()))),
        escape_html(value_text(layer.value("outputs", nlohmann::json()))), with_thousands(parameters));
  }
  return html +
         fmt::format(
             "<tr class=\"total\"><td class=\"name\" colspan=\"4\">total</td><td>{}</td></tr>\n</table>\n",
             with_thousands(total));
}

// The trainer's settings and outcome (model.json's "training") with the configuration's training
// values (its "architecture": learning rate, dropout, clipping, seed).
Rows training_rows(nlohmann::json training, nlohmann::json& config) {
  Rows rows;
  if (auto events = take(training, "train_events"); !events.is_null())
    rows.emplace_back("training events", value_text(events));
  const auto validation = take(training, "validation_events");
  const auto fraction = take(training, "validation_fraction");
  if (!validation.is_null())
    rows.emplace_back("validation events",
                      value_text(validation) + (fraction.is_number()
                                                    ? fmt::format(" (the last {} % of the training split)",
                                                                  significant(fraction.get<double>() * 100))
                                                    : std::string()));
  const auto epochs = take(training, "epochs");
  const auto best = take(training, "best_epoch");
  const auto stopped = take(training, "stopped_early");
  const auto patience = take(training, "patience");
  if (!epochs.is_null()) {
    std::string text = value_text(epochs) + " run";
    if (!best.is_null())
      text += "; the weights kept are epoch " + value_text(best) + "'s (lowest validation loss)";
    if (stopped.is_boolean() && stopped.get<bool>()) text += "; stopped early";
    rows.emplace_back("epochs", text);
  }
  if (!patience.is_null())
    rows.emplace_back("early stopping",
                      "after " + value_text(patience) + " epochs without a lower validation loss");
  if (auto batch = take(training, "batch_size"); !batch.is_null())
    rows.emplace_back("batch size", value_text(batch));
  const auto rate = take(config, "learning_rate");
  const auto step = take(training, "lr_step_epochs");
  const auto gamma = take(training, "lr_gamma");
  if (!rate.is_null()) {
    std::string text = "Adam, learning rate " + value_text(rate);
    if (step.is_number() && step.get<double>() > 0)
      text += ", × " + value_text(gamma) + " every " + value_text(step) + " epochs";
    rows.emplace_back("optimiser", text);
  }
  if (auto clip = take(config, "gradient_clip_norm"); clip.is_number())
    rows.emplace_back("gradient clipping", clip.get<double>() > 0 ? "global norm at most " + value_text(clip)
                                                                  : std::string("none"));
  if (auto dropout = take(config, "dropout"); !dropout.is_null())
    rows.emplace_back("dropout", value_text(dropout));
  if (auto seed = take(config, "seed"); !seed.is_null())
    rows.emplace_back("seed (initialisation and dropout)",
                      seed.is_number_unsigned() ? std::to_string(seed.get<uint64_t>()) : value_text(seed));
  const auto threads = take(training, "threads");
  const auto ranks = take(training, "ranks");
  if (!threads.is_null())
    rows.emplace_back(
        "threads",
        value_text(threads) +
            (ranks.is_null() ? "" : " per rank, " + value_text(ranks) + (ranks == 1 ? " rank" : " ranks")));
  if (auto data = take(training, "data"); !data.is_null())
    rows.emplace_back("training data", value_text(data));
  if (auto digests = take(training, "weight_digests"); digests.is_array() && !digests.empty()) {
    const bool same =
        std::all_of(digests.begin(), digests.end(), [&](const auto& d) { return d == digests.front(); });
    rows.emplace_back("weight digest",
                      same ? value_text(digests.front()) + (digests.size() > 1 ? " (every rank)" : "")
                           : value_text(digests));
  }
  append_remaining(rows, training);
  return rows;
}

std::string history_table(const std::vector<HistoryRow>& history, const nlohmann::json& best_epoch) {
  const auto any = [&](auto member) {
    return std::any_of(history.begin(), history.end(),
                       [&](const HistoryRow& r) { return (r.*member).has_value(); });
  };
  const bool validation = any(&HistoryRow::val_loss), rate = any(&HistoryRow::learning_rate),
             seconds = any(&HistoryRow::seconds), speed = any(&HistoryRow::events_per_second);
  std::string html = "<table>\n<tr><th>epoch</th><th>loss</th><th>accuracy</th>";
  if (validation) html += "<th>validation<br>loss</th><th>validation<br>accuracy</th>";
  if (rate) html += "<th>learning<br>rate</th>";
  if (seconds) html += "<th>seconds</th>";
  if (speed) html += "<th>events/s</th>";
  html += "</tr>\n";
  const auto cell = [](const std::optional<double>& v, const auto& format) {
    return "<td>" + (v ? format(*v) : std::string("–")) + "</td>";
  };
  const auto rounded = [](double v) { return significant(v); };
  bool marked = false;
  for (const HistoryRow& r : history) {
    const bool best = best_epoch.is_number_integer() && best_epoch.get<int64_t>() == r.epoch;
    marked |= best;
    html += fmt::format("<tr{}><td>{}</td><td>{}</td><td>{}</td>", best ? " class=\"best\"" : "", r.epoch,
                        significant(r.loss), significant(r.accuracy));
    if (validation) html += cell(r.val_loss, rounded) + cell(r.val_accuracy, rounded);
    if (rate) html += cell(r.learning_rate, rounded);
    if (seconds) html += cell(r.seconds, [](double v) { return significant(v, 3); });
    if (speed) html += cell(r.events_per_second, [](double v) { return with_thousands(std::llround(v)); });
    html += "</tr>\n";
  }
  html += "</table>\n";
  if (marked) html += "<p class=\"note\">In bold: the epoch whose weights the model keeps.</p>\n";
  return html;
}

std::string model_section(const nlohmann::json& model_info, const std::vector<HistoryRow>& history) {
  std::string html = "<h2>Model</h2>\n";
  if (!model_info.is_object()) {
    if (model_info.is_null()) return html + "<p class=\"note\">No model information given.</p>\n";
    return html + "<pre>" + escape_html(model_info.dump(2)) + "</pre>\n";
  }
  nlohmann::json info = model_info;
  nlohmann::json config = take(info, "architecture");
  const nlohmann::json layers = take(info, "layers");
  const nlohmann::json classes = take(info, "classes");
  const nlohmann::json parameters = take(info, "parameters");
  const nlohmann::json training = take(info, "training");
  const nlohmann::json best_epoch =
      training.is_object() ? training.value("best_epoch", nlohmann::json()) : nlohmann::json();

  // One sentence: which network, for which classes, how large.
  std::string summary;
  if (config.is_object() && config.contains("architecture"))
    summary += "<b>" + escape_html(value_text(config["architecture"])) + "</b> classifier";
  if (classes.is_array() && !classes.empty())
    summary += (summary.empty() ? "Classifier" : "") +
               fmt::format(" of {} classes ({})", classes.size(), escape_html(value_text(classes)));
  if (!parameters.is_null())
    summary += (summary.empty() ? "" : ", ") + value_text(parameters) + " parameters";
  if (!summary.empty()) html += "<p>" + summary + ".</p>\n";

  if (layers.is_array() && !layers.empty()) {
    html += "<h3>Architecture</h3>\n" + layers_table(layers);
    // The table shows what these configuration values made.
    for (const char* key : {"architecture", "hlf_features", "particle_features", "hlf_hidden",
                            "recurrent_units", "head_units", "classes"})
      take(config, key);
  } else if (config.is_object()) {
    // No layer list: the configuration's structure as it is.
    Rows rows;
    for (const char* key : {"architecture", "hlf_features", "particle_features", "hlf_hidden",
                            "recurrent_units", "head_units", "classes"})
      if (auto value = take(config, key); !value.is_null()) rows.emplace_back(key, value_text(value));
    if (!rows.empty()) html += "<h3>Architecture</h3>\n" + settings_table(rows);
  }

  Rows training_settings = training_rows(training, config);
  append_remaining(training_settings, config);
  if (!training_settings.empty()) html += "<h3>Training</h3>\n" + settings_table(training_settings);
  if (!history.empty()) html += "<h3>Training history</h3>\n" + history_table(history, best_epoch);

  Rows evaluation;
  if (auto path = take(info, "path"); !path.is_null())
    evaluation.emplace_back("model directory", value_text(path));
  if (auto data = take(info, "evaluated_on"); !data.is_null())
    evaluation.emplace_back("test data", value_text(data));
  if (auto speed = take(info, "inference_events_per_second"); speed.is_number())
    evaluation.emplace_back("inference", with_thousands(std::llround(speed.get<double>())) +
                                             " events/s, reading the data included");
  if (auto version = take(info, "trigml_version"); !version.is_null())
    evaluation.emplace_back("trained with", "trigml " + value_text(version));
  const auto format = take(info, "format");
  const auto format_version = take(info, "version");
  if (!format.is_null())
    evaluation.emplace_back(
        "model format",
        value_text(format) + (format_version.is_null() ? "" : ", version " + value_text(format_version)));
  else if (!format_version.is_null())
    evaluation.emplace_back("version", value_text(format_version));
  append_remaining(evaluation, info);
  if (!evaluation.empty()) html += "<h3>Evaluation</h3>\n" + settings_table(evaluation);
  if (summary.empty() && html == "<h2>Model</h2>\n")
    html += "<p class=\"note\">No model information given.</p>\n";
  return html;
}

std::string metrics_section(const Metrics& m) {
  std::string html = "<h2>Classification</h2>\n";
  html += fmt::format("<p>{} events; accuracy (class of highest probability) <b>{:.4f}</b>.</p>\n",
                      with_thousands(static_cast<int64_t>(m.events)), m.accuracy);
  html += "<table>\n<tr><th class=\"name\">class (against the rest)</th><th>events</th><th>AUC</th>";
  for (double f : kFalsePositiveTargets)
    html += fmt::format("<th>signal efficiency<br>at FPR {:g}%</th>", f * 100);
  html += fmt::format("<th>FPR at signal<br>efficiency {:g}%</th></tr>\n", kSignalEfficiencyTarget * 100);
  bool any_uncertain = false;
  for (const ClassMetrics& c : m.classes) {
    html += fmt::format("<tr><td class=\"name\">{}</td><td>{}</td><td>{:.4f}</td>", escape_html(c.name),
                        with_thousands(static_cast<int64_t>(c.events)), c.auc);
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
                          with_thousands(static_cast<int64_t>(m.confusion[t][p])));
    html += "</tr>\n";
  }
  return html + "</table>\n<p class=\"note\">Rows are normalised by the events of their true class.</p>\n";
}

std::string render_html(const Metrics& m, const std::vector<Figure>& figures,
                        const nlohmann::json& model_info, const std::vector<HistoryRow>& history) {
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<title>trigml evaluation report</title>\n<style>" + std::string(kStyle) +
          "</style>\n</head>\n<body>\n";
  html += "<h1>trigml evaluation report</h1>\n";
  html += fmt::format("<p class=\"subtitle\">trigml {}, written {:%Y-%m-%d %H:%M:%S} UTC</p>\n",
                      TRIGML_VERSION, fmt::gmtime(std::time(nullptr)));
  html += model_section(model_info, history);
  html += metrics_section(m);
  html += "<h2>Figures</h2>\n";
  if (history.empty())
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
  std::string html = render_html(metrics, figures, model_info, history);

  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error)
    throw IoError(fmt::format("cannot create the report directory: {}", error.message()), {dir.string()});
  write_file_atomically(dir / "metrics.json", bytes_of(metrics_json));
  for (const Figure& f : figures) write_file_atomically(dir / f.file, f.png);
  write_file_atomically(dir / "report.html", bytes_of(html));
}

}  // namespace trigml::eval
