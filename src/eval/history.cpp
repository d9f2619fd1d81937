#include "eval/history.hpp"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace trigml::eval {

std::vector<HistoryRow> read_history(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in)
    throw IoError(fmt::format("cannot open the training history: {}", std::strerror(errno)), {path.string()});
  std::vector<HistoryRow> rows;
  std::string line;
  uint64_t offset = 0;
  for (size_t number = 1; std::getline(in, line); ++number, offset += line.size() + 1) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    ErrorContext where(path.string(), offset, fmt::format("line {}", number));
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) throw FormatError("training history: not a JSON value", where);
    if (!j.is_object()) throw FormatError("training history: not a JSON object", where);
    auto number_of = [&](const char* key, bool required) -> std::optional<double> {
      auto it = j.find(key);
      if (it == j.end()) {
        if (required) throw FormatError(fmt::format("training history: no \"{}\"", key), where);
        return std::nullopt;
      }
      // JSON has no NaN: a diverged epoch's loss is written as null.
      if (it->is_null()) return required ? std::optional(std::nan("")) : std::nullopt;
      if (!it->is_number())
        throw FormatError(fmt::format("training history: \"{}\" is not a number", key), where);
      return it->get<double>();
    };
    HistoryRow row;
    auto epoch = j.find("epoch");
    if (epoch == j.end() || !epoch->is_number_integer())
      throw FormatError("training history: \"epoch\" is missing or not an integer", where);
    row.epoch = epoch->get<int>();
    row.loss = *number_of("loss", true);
    row.accuracy = *number_of("accuracy", true);
    row.val_loss = number_of("val_loss", false);
    row.val_accuracy = number_of("val_accuracy", false);
    row.learning_rate = number_of("learning_rate", false);
    row.seconds = number_of("seconds", false);
    row.events_per_second = number_of("events_per_second", false);
    rows.push_back(row);
  }
  if (in.bad())
    throw IoError(fmt::format("cannot read the training history: {}", std::strerror(errno)), {path.string()});
  return rows;
}

}  // namespace trigml::eval
