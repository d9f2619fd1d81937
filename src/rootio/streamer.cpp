#include "rootio/streamer.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <numbers>

namespace trigml::rootio {

namespace {

std::optional<double> parse_number(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  // Titles may use pi expressions: "-pi", "2*pi", "pi/2".
  auto pi_at = text.find("pi");
  if (pi_at != std::string_view::npos) {
    double scale = 1;
    std::string_view before = text.substr(0, pi_at);
    std::string_view after = text.substr(pi_at + 2);
    if (!before.empty() && before.back() == '*') before.remove_suffix(1);
    if (before == "-") {
      scale = -1;
    } else if (!before.empty()) {
      auto s = parse_number(before);
      if (!s) return std::nullopt;
      scale = *s;
    }
    if (!after.empty() && after.front() == '/') {
      auto d = parse_number(after.substr(1));
      if (!d || *d == 0) return std::nullopt;
      scale /= *d;
    } else if (!after.empty()) {
      return std::nullopt;
    }
    return scale * std::numbers::pi;
  }
  double value = 0;
  std::string owned(text);
  char* end = nullptr;
  value = std::strtod(owned.c_str(), &end);
  if (end != owned.c_str() + owned.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<PackedFloatRange> parse_packed_float_range(std::string_view title, bool float16) {
  auto open = title.find('[');
  auto close = title.find(']', open == std::string_view::npos ? 0 : open);
  if (open == std::string_view::npos || close == std::string_view::npos) return std::nullopt;
  std::string_view inside = title.substr(open + 1, close - open - 1);
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t comma = inside.find(',', start);
    parts.push_back(
        inside.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (parts.size() < 2 || parts.size() > 3) return std::nullopt;
  auto xmin = parse_number(parts[0]);
  auto xmax = parse_number(parts[1]);
  if (!xmin || !xmax) return std::nullopt;
  PackedFloatRange range;
  range.xmin = *xmin;
  range.xmax = *xmax;
  range.nbits = 32;
  if (parts.size() == 3) {
    auto bits = parse_number(parts[2]);
    if (!bits) return std::nullopt;
    range.nbits = static_cast<int>(*bits);
    if (range.nbits < 2 || range.nbits > 32) range.nbits = 32;
  }
  // As TStreamerElement::GetRange: with no valid range and few bits, only the mantissa is cut.
  if (range.xmin >= range.xmax && range.nbits < 15) {
    range.factor = 0;
    return range;
  }
  if (range.xmin < range.xmax) {
    double bigint = range.nbits < 32 ? static_cast<double>(1u << range.nbits) : 4294967295.0;
    range.factor = bigint / (range.xmax - range.xmin);
  }
  // Without a factor: Float16_t keeps 12 mantissa bits, Double32_t is stored as a plain float.
  if (range.factor == 0 && range.nbits >= 15) range.nbits = float16 ? 12 : 0;
  return range;
}

void StreamerRegistry::add(StreamerInfo info) {
  auto& versions = by_name_[info.class_name];
  int version = info.class_version;
  if (versions.emplace(version, std::move(info)).second) ++count_;
}

const StreamerInfo* StreamerRegistry::find(std::string_view class_name, std::optional<int> version) const {
  auto it = by_name_.find(class_name);
  if (it == by_name_.end() || it->second.empty()) return nullptr;
  if (version) {
    auto exact = it->second.find(*version);
    if (exact != it->second.end()) return &exact->second;
  }
  return &it->second.rbegin()->second;
}

const StreamerInfo* StreamerRegistry::find_by_checksum(std::string_view class_name, uint32_t checksum) const {
  auto it = by_name_.find(class_name);
  if (it == by_name_.end()) return nullptr;
  for (const auto& [version, info] : it->second)
    if (info.checksum == checksum) return &info;
  return nullptr;
}

std::vector<const StreamerInfo*> StreamerRegistry::all() const {
  std::vector<const StreamerInfo*> out;
  for (const auto& [name, versions] : by_name_)
    for (const auto& [version, info] : versions) out.push_back(&info);
  return out;
}

std::string canonical_type_name(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size(); ++i) {
    if (name.compare(i, 5, "std::") == 0) {
      i += 4;
      continue;
    }
    char c = name[i];
    if (c == ' ') {
      // keep spaces only between identifier characters ("unsigned int")
      bool left = !out.empty() && (std::isalnum(static_cast<unsigned char>(out.back())) || out.back() == '_');
      bool right = i + 1 < name.size() &&
                   (std::isalnum(static_cast<unsigned char>(name[i + 1])) || name[i + 1] == '_');
      if (left && right) out += ' ';
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace trigml::rootio
