// The evaluation report directory: metrics.json, the figures as PNG files, and report.html, one
// self-contained page (images embedded, inline CSS) that shows them all.
#pragma once

#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "eval/history.hpp"
#include "eval/metrics.hpp"

namespace trigml::eval {

// The pieces of a self-contained HTML page, shared by the reports (evaluate's and tune's).
std::string escape_html(const std::string& text);
std::string base64(std::span<const std::byte> bytes);
const char* report_style();  // the inline CSS

// Numbers as the reports print them. with_thousands groups an integer's digits by three
// (12353 → "12,353"). significant rounds to `digits` significant digits (0.0536123 → "0.05361",
// 12.3456 → "12.35", 0.001 → "0.001"), and prints values of 1,000 and more as whole numbers with
// thousands separators (4321.7 → "4,322"); NaN and the infinities as "nan", "inf", "-inf".
std::string with_thousands(int64_t value);
std::string significant(double value, int digits = 4);

// Creates `dir` if needed and writes metrics.json, roc.png, roc_log.png, confusion_matrix.png,
// and with a non-empty history loss.png and accuracy.png, then report.html last. Everything is
// drawn before the first file is written, and every file appears complete or not at all; IoError
// naming the path when the directory cannot be created or written.
//
// model_info is model.json (src/train/model_dir.hpp) with what the evaluation adds, any of it
// optional: "layers" ([{"name", "kind", "inputs", "outputs", "parameters"}], in the order data flows)
// becomes the architecture table with the parameter count per layer and in total; "architecture"
// (the model configuration) and "training" (the trainer's settings and outcome) the training table;
// "path", "evaluated_on", "inference_events_per_second", "trigml_version" the evaluation table.
// Other keys, of any JSON object, are shown there too, by name. The history becomes a table of the
// epochs beside the loss and accuracy figures.
void write_report(const std::filesystem::path& dir, const Metrics& metrics,
                  const std::vector<HistoryRow>& history, const nlohmann::json& model_info);

}  // namespace trigml::eval
