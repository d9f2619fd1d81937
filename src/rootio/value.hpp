// A dynamically typed value: what an object read through its streamer becomes. Used for
// metadata (TTree, TBranch, TLeaf), unsplit object branches and `dump --json`. Bulk numeric
// data never goes through here: it is decoded straight into typed columns.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace trigml::rootio {

struct Value;
using List = std::vector<Value>;

struct Record {
  std::string class_name;
  std::vector<std::pair<std::string, Value>> fields;

  const Value* find(std::string_view name) const;
  // The field or a FormatError naming the class and the missing field.
  const Value& at(std::string_view name) const;
};

struct Value {
  std::variant<std::monostate, bool, int64_t, uint64_t, double, std::string, std::shared_ptr<List>,
               std::shared_ptr<Record>>
      data;

  Value() = default;
  Value(bool v) : data(v) {}
  Value(int64_t v) : data(v) {}
  Value(uint64_t v) : data(v) {}
  Value(double v) : data(v) {}
  Value(std::string v) : data(std::move(v)) {}
  Value(std::shared_ptr<List> v) : data(std::move(v)) {}
  Value(std::shared_ptr<Record> v) : data(std::move(v)) {}

  bool is_null() const { return std::holds_alternative<std::monostate>(data); }
  const Record* record() const;
  const List* list() const;
  int64_t as_int() const;  // any numeric; throws FormatError otherwise
  double as_double() const;
  std::string as_string() const;
};

nlohmann::ordered_json to_json(const Value& value);

}  // namespace trigml::rootio
