// Values as `dump` prints them. JSON has no literal for NaN and the infinities (nlohmann would
// print null, which means "no value"): they become the strings "nan", "inf" and "-inf" in JSON,
// and the bare words in text.
#pragma once

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

namespace trigml {

inline nlohmann::ordered_json json_number(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return value;
}

// The JSON text of a value, except that the non-finite numbers' strings print as bare words.
inline std::string text_of(const nlohmann::ordered_json& value) {
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (s == "nan" || s == "inf" || s == "-inf") return s;
  }
  if (value.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < value.size(); ++i) out += (i ? "," : "") + text_of(value[i]);
    return out + "]";
  }
  if (value.is_object()) {
    std::string out = "{";
    bool first = true;
    for (const auto& [key, item] : value.items()) {
      out += (first ? "" : ",") + nlohmann::ordered_json(key).dump() + ":" + text_of(item);
      first = false;
    }
    return out + "}";
  }
  return value.dump();
}

}  // namespace trigml
