#include "rootio/value.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/json_values.hpp"

namespace trigml::rootio {

const Value* Record::find(std::string_view name) const {
  for (const auto& [field, value] : fields)
    if (field == name) return &value;
  return nullptr;
}

const Value& Record::at(std::string_view name) const {
  if (const Value* v = find(name)) return *v;
  throw FormatError(fmt::format("object of class {} has no member '{}'", class_name, name));
}

const Record* Value::record() const {
  auto* p = std::get_if<std::shared_ptr<Record>>(&data);
  return p ? p->get() : nullptr;
}

const List* Value::list() const {
  auto* p = std::get_if<std::shared_ptr<List>>(&data);
  return p ? p->get() : nullptr;
}

int64_t Value::as_int() const {
  if (auto* v = std::get_if<int64_t>(&data)) return *v;
  if (auto* v = std::get_if<uint64_t>(&data)) return static_cast<int64_t>(*v);
  if (auto* v = std::get_if<bool>(&data)) return *v;
  if (auto* v = std::get_if<double>(&data)) return static_cast<int64_t>(*v);
  throw FormatError("expected a number in object metadata");
}

double Value::as_double() const {
  if (auto* v = std::get_if<double>(&data)) return *v;
  return static_cast<double>(as_int());
}

std::string Value::as_string() const {
  if (auto* v = std::get_if<std::string>(&data)) return *v;
  if (is_null()) return {};
  throw FormatError("expected a string in object metadata");
}

nlohmann::ordered_json to_json(const Value& value) {
  return std::visit(
      [](const auto& v) -> nlohmann::ordered_json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, std::shared_ptr<List>>) {
          nlohmann::ordered_json out = nlohmann::ordered_json::array();
          for (const auto& item : *v) out.push_back(to_json(item));
          return out;
        } else if constexpr (std::is_same_v<T, std::shared_ptr<Record>>) {
          nlohmann::ordered_json out = nlohmann::ordered_json::object();
          for (const auto& [name, field] : v->fields) out[name] = to_json(field);
          return out;
        } else if constexpr (std::is_floating_point_v<T>) {
          return json_number(v);
        } else {
          return v;
        }
      },
      value.data);
}

}  // namespace trigml::rootio
