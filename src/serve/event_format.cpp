#include "serve/event_format.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/error.hpp"
#include "serve/event_members.hpp"

namespace trigml::serve {

namespace {

using physics::Event;
using namespace event_members;

// Reads one message: a JSON object whose members are the table's collections, each an object of
// numbers or lists of numbers; other members are skipped. Numbers go straight into the event's
// vectors (std::from_chars), without a JSON tree: the messages are tens of kilobytes of numbers.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  void message(Event& event, std::string& event_id, std::string& format, double& version,
               std::array<bool, kMembers>& seen) {
    skip_space();
    if (peek() != '{') invalid("a JSON object");
    object([&](std::string_view key) {
      if (key == "event_id") return string_value(event_id, "event_id");
      if (key == "format") return string_value(format, "format");
      if (key == "version") {
        version = number();
        return;
      }
      if (!is_collection(key)) return skip_value();
      const std::string collection(key);
      skip_space();
      if (peek() != '{')
        throw Failure{BadMessage::MissingField,
                      fmt::format("'{}' is {}, not an object", collection, type_name())};
      object([&](std::string_view member) { read_member(event, collection, member, seen); });
    });
    skip_space();
    if (at_ < text_.size()) invalid("the end of the message");
  }

  // Throws InvalidJson unless the whole text is one JSON value.
  void validate() {
    skip_value();
    skip_space();
    if (at_ < text_.size()) invalid("the end of the message");
  }

 private:
  static bool is_collection(std::string_view key) {
    for (const auto& m : kFloatMembers)
      if (key == m.collection) return true;
    return key == "MissingET";
  }

  // Finds (collection, member) among `table`'s members and reads it with `read`; `index` counts on
  // across the tables, so it ends at the member's place in `seen`.
  template <typename Table, typename Read>
  static bool read_if_in(const Table& table, const std::string& collection, std::string_view member,
                         size_t& index, const Read& read) {
    for (const auto& m : table) {
      if (collection == m.collection && member == m.member) {
        read(m);
        return true;
      }
      ++index;
    }
    return false;
  }

  template <typename Seen>
  void read_member(Event& event, const std::string& collection, std::string_view member, Seen& seen) {
    size_t index = 0;
    const auto read_list = [&](const auto& m) { list(event.*m.values, m.collection, m.member); };
    const auto read_scalar = [&](const auto& m) {
      const std::string where = fmt::format("{}.{}", m.collection, m.member);
      event.*m.value = to_float(number_or_fail(where), [&] { return where; });
    };
    if (read_if_in(kFloatMembers, collection, member, index, read_list) ||
        read_if_in(kIntMembers, collection, member, index, read_list) ||
        read_if_in(kScalarMembers, collection, member, index, read_scalar)) {
      seen[index] = true;
      return;
    }
    skip_value();
  }

  template <typename T>
  void list(std::vector<T>& out, const char* collection, const char* member) {
    skip_space();
    if (peek() != '[')
      throw Failure{BadMessage::MissingField,
                    fmt::format("'{}.{}' is {}, not a list", collection, member, type_name())};
    ++at_;
    out.clear();
    skip_space();
    if (peek() == ']') {
      ++at_;
      return;
    }
    while (true) {
      skip_space();
      const double x = number_or_fail_at(collection, member, out.size());
      const float f = to_float(x, [&] { return fmt::format("{}.{}[{}]", collection, member, out.size()); });
      if constexpr (std::is_integral_v<T>) {
        if (f != std::nearbyint(f))
          throw Failure{BadMessage::NotANumber,
                        fmt::format("'{}.{}[{}]' is {}, not an integer", collection, member, out.size(), f)};
      }
      out.push_back(static_cast<T>(f));
      if (!more(']')) return;
    }
  }

  double number_or_fail_at(const char* collection, const char* member, size_t index) {
    if (starts_number()) return number();
    throw Failure{BadMessage::NotANumber,
                  fmt::format("'{}.{}[{}]' is {}, not a number", collection, member, index, type_name())};
  }
  double number_or_fail(const std::string& where) {
    skip_space();
    if (starts_number()) return number();
    throw Failure{BadMessage::NotANumber, fmt::format("'{}' is {}, not a number", where, type_name())};
  }
  // `where` names the value in the reason; it is called only when there is one to give.
  template <typename Where>
  static float to_float(double x, Where&& where) {
    if (!std::isfinite(x) || std::fabs(x) > std::numeric_limits<float>::max())
      throw Failure{BadMessage::NotANumber, fmt::format("'{}' is {}, not a finite float", where(), x)};
    return static_cast<float>(x);
  }

  // A JSON number (RFC 8259 grammar); out of double's range is infinite, which callers refuse.
  double number() {
    skip_space();
    const size_t start = at_;
    if (peek() == '-') ++at_;
    if (!digit()) invalid("a number");
    if (peek() == '0')
      ++at_;
    else
      while (digit()) ++at_;
    if (peek() == '.') {
      ++at_;
      if (!digit()) invalid("a digit after '.'");
      while (digit()) ++at_;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++at_;
      if (peek() == '+' || peek() == '-') ++at_;
      if (!digit()) invalid("a digit in the exponent");
      while (digit()) ++at_;
    }
    double x = 0;
    const auto [end, error] = std::from_chars(text_.data() + start, text_.data() + at_, x);
    if (error == std::errc::result_out_of_range) return text_[start] == '-' ? -HUGE_VAL : HUGE_VAL;
    if (error != std::errc() || end != text_.data() + at_) invalid("a number");
    return x;
  }

  template <typename F>
  void object(F&& member) {
    ++at_;  // '{'
    skip_space();
    if (peek() == '}') {
      ++at_;
      return;
    }
    std::string key;
    while (true) {
      skip_space();
      if (peek() != '"') invalid("a member name in quotes");
      string(key);
      skip_space();
      if (peek() != ':') invalid("':'");
      ++at_;
      member(std::string_view(key));
      if (!more('}')) return;
    }
  }

  void string_value(std::string& out, const char* name) {
    skip_space();
    if (peek() != '"')
      throw Failure{BadMessage::MissingField, fmt::format("'{}' is {}, not a string", name, type_name())};
    string(out);
  }

  void string(std::string& out) {
    ++at_;  // '"'
    out.clear();
    while (true) {
      if (at_ >= text_.size()) invalid("the end of a string");
      const char c = text_[at_++];
      if (c == '"') return;
      if (static_cast<unsigned char>(c) < 0x20) invalid("no control character in a string", at_ - 1);
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_ >= text_.size()) invalid("an escape");
      switch (const char e = text_[at_++]) {
        case '"':
        case '\\':
        case '/': out += e; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t code = hex4();
          if (code >= 0xD800 && code < 0xDC00) {  // a surrogate pair
            if (text_.substr(at_, 2) != "\\u") invalid("the second half of a surrogate pair");
            at_ += 2;
            const uint32_t low = hex4();
            if (low < 0xDC00 || low >= 0xE000) invalid("the second half of a surrogate pair");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, code);
          break;
        }
        default: invalid("a valid escape", at_ - 1);
      }
    }
  }
  uint32_t hex4() {
    uint32_t code = 0;
    if (text_.size() - at_ < 4) invalid("four hexadecimal digits");
    const auto [end, error] = std::from_chars(text_.data() + at_, text_.data() + at_ + 4, code, 16);
    if (error != std::errc() || end != text_.data() + at_ + 4) invalid("four hexadecimal digits");
    at_ += 4;
    return code;
  }
  static void append_utf8(std::string& out, uint32_t code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6)), out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12)), out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18)), out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F)), out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  void skip_value() {
    skip_space();
    switch (peek()) {
      case '{': object([&](std::string_view) { skip_value(); }); return;
      case '[': {
        ++at_;
        skip_space();
        if (peek() == ']') {
          ++at_;
          return;
        }
        while (true) {
          skip_value();
          if (!more(']')) return;
        }
      }
      case '"': string(scratch_); return;
      default:
        for (std::string_view word : {"true", "false", "null"})
          if (text_.substr(at_, word.size()) == word) {
            at_ += word.size();
            return;
          }
        number();
    }
  }

  // What the value at the cursor is, in JSON's terms.
  const char* type_name() const {
    switch (peek()) {
      case '"': return "string";
      case '{': return "object";
      case '[': return "array";
      case 't':
      case 'f': return "boolean";
      case 'n': return "null";
      default: return starts_number() ? "number" : "not JSON";
    }
  }
  bool starts_number() const { return peek() == '-' || (peek() >= '0' && peek() <= '9'); }
  bool digit() const { return peek() >= '0' && peek() <= '9'; }
  char peek() const { return at_ < text_.size() ? text_[at_] : '\0'; }
  void skip_space() {
    while (at_ < text_.size() &&
           (text_[at_] == ' ' || text_[at_] == '\n' || text_[at_] == '\r' || text_[at_] == '\t'))
      ++at_;
  }
  // After an element of a list (`close` ']') or an object ('}'): true at a ',' (another follows),
  // false at `close`; both consumed.
  bool more(char close) {
    skip_space();
    if (peek() == ',') {
      ++at_;
      return true;
    }
    if (peek() != close) invalid(close == ']' ? "',' or ']'" : "',' or '}'");
    ++at_;
    return false;
  }
  [[noreturn]] void invalid(const char* expected) const { invalid(expected, at_); }
  [[noreturn]] void invalid(const char* expected, size_t at) const {
    throw Failure{BadMessage::InvalidJson,
                  at >= text_.size()
                      ? fmt::format("invalid JSON: the message ends at byte {}, expected {}", at, expected)
                      : fmt::format("invalid JSON at byte {}: expected {}", at, expected)};
  }

  std::string_view text_;
  size_t at_ = 0;
  std::string scratch_;
};

}  // namespace

void event_members::check_lengths(const Event& event) {
  std::array<std::pair<const char*, size_t>, 8> lengths{};
  auto same_length = [&](const char* collection, const char* member, size_t n) {
    for (auto& [name, length] : lengths) {
      if (!name) {
        name = collection, length = n;
        return;
      }
      if (std::string_view(name) != collection) continue;
      if (length != n)
        throw Failure{BadMessage::MissingField,
                      fmt::format("'{}.{}' has {} values, the collection's first member {}", collection,
                                  member, n, length)};
      return;
    }
  };
  for (const auto& m : kFloatMembers) same_length(m.collection, m.member, (event.*m.values).size());
  for (const auto& m : kIntMembers) same_length(m.collection, m.member, (event.*m.values).size());
}

const char* to_string(BadMessage kind) {
  switch (kind) {
    case BadMessage::InvalidJson: return "invalid_json";
    case BadMessage::MissingField: return "missing_field";
    case BadMessage::NotANumber: return "not_a_number";
    case BadMessage::InvalidProtobuf: return "invalid_protobuf";
  }
  return "?";
}

namespace {

// The shortest text that reads back (as a JSON parser reads it: a double, then rounded to float) as
// the same float; in the rare case the double's rounding lands elsewhere, the double's own digits.
void append_float(std::string& out, float x) {
  char text[40];
  auto end = std::to_chars(text, text + sizeof text, x).ptr;
  double back = 0;
  std::from_chars(text, end, back);
  if (static_cast<float>(back) != x)
    end = std::to_chars(text, text + sizeof text, static_cast<double>(x)).ptr;
  out.append(text, end);
}

void append_key(std::string& out, const char* name) {
  out += '"';
  out += name;
  out += "\":";
}

}  // namespace

std::string encode_event_json(const std::string& event_id, const physics::Event& event) {
  // Written directly rather than through a JSON tree: the floats in their shortest form keep the
  // messages half as long (the embedded broker keeps a few MB per partition).
  std::string out = fmt::format(R"({{"format":"{}","version":{},"event_id":{})", kEventFormat, kEventVersion,
                                nlohmann::json(event_id).dump());
  const char* open = nullptr;
  auto member = [&](const char* collection, const char* name) {
    if (!open || std::string_view(open) != collection) {
      if (open) out += '}';
      out += ',';
      append_key(out, collection);
      out += '{';
      open = collection;
    } else {
      out += ',';
    }
    append_key(out, name);
  };
  auto list = [&](const auto& values) {
    out += '[';
    for (size_t i = 0; i < values.size(); ++i) {
      if (i) out += ',';
      if constexpr (std::is_same_v<std::decay_t<decltype(values[i])>, float>)
        append_float(out, values[i]);
      else
        out += std::to_string(values[i]);
    }
    out += ']';
  };
  // Collection by collection, in the table's order (each collection's members are adjacent).
  for (const char* collection :
       {"Electron", "MuonTight", "Jet", "EFlowTrack", "EFlowPhoton", "EFlowNeutralHadron"}) {
    for (const auto& m : kFloatMembers)
      if (std::string_view(m.collection) == collection) member(m.collection, m.member), list(event.*m.values);
    for (const auto& m : kIntMembers)
      if (std::string_view(m.collection) == collection) member(m.collection, m.member), list(event.*m.values);
  }
  for (const auto& m : kScalarMembers) member(m.collection, m.member), append_float(out, event.*m.value);
  out += "}}";
  return out;
}

DecodeResult decode_event_json(std::string_view text, physics::Event& event) {
  DecodeResult result;
  try {
    std::string format;
    double version = 0;
    std::array<bool, kMembers> seen{};
    Reader(text).message(event, result.event_id, format, version, seen);
    if (result.event_id.empty())
      throw Failure{BadMessage::MissingField, "missing field 'event_id' (a string)"};
    if (format != kEventFormat || version != kEventVersion)
      throw Failure{BadMessage::MissingField, fmt::format("expected \"format\": \"{}\" and \"version\": {}",
                                                          kEventFormat, kEventVersion)};
    size_t index = 0;
    auto require = [&](const char* collection, const char* member) {
      if (!seen[index++])
        throw Failure{BadMessage::MissingField, fmt::format("missing field '{}.{}'", collection, member)};
    };
    for (const auto& m : kFloatMembers) require(m.collection, m.member);
    for (const auto& m : kIntMembers) require(m.collection, m.member);
    for (const auto& m : kScalarMembers) require(m.collection, m.member);
    check_lengths(event);
  } catch (const Failure& f) {
    result.bad = f.kind;
    result.reason = f.reason;
    // The message was read until the first thing wrong with it: a message that is not JSON at all
    // is reported as such, whatever came first.
    if (f.kind != BadMessage::InvalidJson) try {
        Reader(text).validate();
      } catch (const Failure& syntax) {
        result.bad = syntax.kind;
        result.reason = syntax.reason;
      }
  }
  return result;
}

EventEncoding parse_event_encoding(const std::string& name) {
  if (name == "json") return EventEncoding::Json;
  if (name == "protobuf") return EventEncoding::Protobuf;
  throw UsageError(fmt::format("unknown event format '{}': expected json or protobuf", name));
}

std::string encode_event(const std::string& event_id, const physics::Event& event, EventEncoding encoding) {
  return encoding == EventEncoding::Protobuf ? encode_event_protobuf(event_id, event)
                                             : encode_event_json(event_id, event);
}

DecodeResult decode_event(std::string_view message, physics::Event& event, EventEncoding encoding) {
  return encoding == EventEncoding::Protobuf ? decode_event_protobuf(message, event)
                                             : decode_event_json(message, event);
}

std::string encode_decision(const std::string& event_id, const score::Decision& d,
                            const std::string& model_id) {
  nlohmann::ordered_json j;
  j["event_id"] = event_id;
  j["selected"] = d.selected();
  if (d.selected()) {
    for (size_t k = 0; k < score::kClasses.size(); ++k)
      j["probabilities"][std::string(score::kClasses[k])] = static_cast<double>(d.probabilities[k]);
  } else {
    j["probabilities"] = nullptr;
  }
  j["accept"] = d.accept;
  j["model"] = model_id;
  return j.dump();
}

}  // namespace trigml::serve
