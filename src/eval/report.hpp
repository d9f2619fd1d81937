// The evaluation report directory: metrics.json, the figures as PNG files, and report.html, one
// self-contained page (images embedded, inline CSS) that shows them all.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <nlohmann/json.hpp>
#include <vector>

#include "eval/history.hpp"
#include "eval/metrics.hpp"

namespace trigml::eval {

// The pieces of a self-contained HTML page, shared by the reports (evaluate's and tune's).
std::string escape_html(const std::string& text);
std::string base64(std::span<const std::byte> bytes);
const char* report_style();  // the inline CSS

// Creates `dir` if needed and writes metrics.json, roc.png, roc_log.png, confusion_matrix.png,
// and with a non-empty history loss.png and accuracy.png, then report.html last. model_info is
// shown as a table of its keys (any JSON object: model name, parameters, data, training
// settings). Everything is drawn before the first file is written, and every file appears
// complete or not at all; IoError naming the path when the directory cannot be created or written.
void write_report(const std::filesystem::path& dir, const Metrics& metrics,
                  const std::vector<HistoryRow>& history, const nlohmann::json& model_info);

}  // namespace trigml::eval
