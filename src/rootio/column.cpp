#include "rootio/column.hpp"

#include "common/error.hpp"

namespace trigml::rootio {

size_t element_size(ElementType type) {
  switch (type) {
    case ElementType::Bool:
    case ElementType::Int8:
    case ElementType::UInt8: return 1;
    case ElementType::Int16:
    case ElementType::UInt16: return 2;
    case ElementType::Int32:
    case ElementType::UInt32:
    case ElementType::Float32: return 4;
    case ElementType::Int64:
    case ElementType::UInt64:
    case ElementType::Float64: return 8;
  }
  return 1;
}

std::string_view element_type_name(ElementType type) {
  switch (type) {
    case ElementType::Bool: return "bool";
    case ElementType::Int8: return "int8";
    case ElementType::UInt8: return "uint8";
    case ElementType::Int16: return "int16";
    case ElementType::UInt16: return "uint16";
    case ElementType::Int32: return "int32";
    case ElementType::UInt32: return "uint32";
    case ElementType::Int64: return "int64";
    case ElementType::UInt64: return "uint64";
    case ElementType::Float32: return "float32";
    case ElementType::Float64: return "float64";
  }
  return "?";
}

size_t Column::item_width() const {
  size_t width = 1;
  for (uint32_t d : shape) width *= d;
  return width;
}

double Column::number(size_t index) const {
  const std::byte* p = values.data() + index * element_size(type);
  auto load = [p]<typename T>(T) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return static_cast<double>(v);
  };
  switch (type) {
    case ElementType::Bool: return load(uint8_t{}) != 0 ? 1.0 : 0.0;
    case ElementType::Int8: return load(int8_t{});
    case ElementType::UInt8: return load(uint8_t{});
    case ElementType::Int16: return load(int16_t{});
    case ElementType::UInt16: return load(uint16_t{});
    case ElementType::Int32: return load(int32_t{});
    case ElementType::UInt32: return load(uint32_t{});
    case ElementType::Int64: return load(int64_t{});
    case ElementType::UInt64: return load(uint64_t{});
    case ElementType::Float32: return load(float{});
    case ElementType::Float64: return load(double{});
  }
  return 0;
}

namespace {

Value number_value(const Column& column, size_t index) {
  double x = column.number(index);
  switch (column.type) {
    case ElementType::Bool: return Value(x != 0);
    case ElementType::Float32:
    case ElementType::Float64: return Value(x);
    case ElementType::UInt64: {
      uint64_t v;
      std::memcpy(&v, column.values.data() + index * 8, 8);
      return Value(v);
    }
    case ElementType::Int64: {
      int64_t v;
      std::memcpy(&v, column.values.data() + index * 8, 8);
      return Value(v);
    }
    default: return Value(static_cast<int64_t>(x));
  }
}

// Items [begin, end) of the innermost level, shaped by the fixed dimensions.
Value shaped(const Column& column, size_t item, size_t dim) {
  if (dim == column.shape.size()) return number_value(column, item);
  size_t stride = 1;
  for (size_t d = dim + 1; d < column.shape.size(); ++d) stride *= column.shape[d];
  auto list = std::make_shared<List>();
  for (uint32_t i = 0; i < column.shape[dim]; ++i)
    list->push_back(shaped(column, item + i * stride, dim + 1));
  return Value(list);
}

Value level_value(const Column& column, size_t level, uint64_t index) {
  size_t string_level =
      column.kind == Column::Kind::String ? column.offsets.size() - 1 : column.offsets.size();
  if (level == string_level) {
    if (column.kind == Column::Kind::String) {
      const auto& chars = column.offsets.back();
      return Value(std::string(reinterpret_cast<const char*>(column.values.data()) + chars[index],
                               chars[index + 1] - chars[index]));
    }
    return shaped(column, index * column.item_width(), 0);
  }
  const auto& bounds = column.offsets[level];
  auto list = std::make_shared<List>();
  for (uint64_t i = bounds[index]; i < bounds[index + 1]; ++i)
    list->push_back(level_value(column, level + 1, i));
  return Value(list);
}

}  // namespace

Value Column::entry(uint64_t index) const {
  if (index >= entries) throw UsageError(fmt::format("entry {} is past the {} entries read", index, entries));
  if (kind == Kind::Object) return objects[index];
  return level_value(*this, 0, index);
}

void Column::reset_like(const Column& layout) {
  kind = layout.kind;
  type = layout.type;
  shape = layout.shape;
  offsets.resize(layout.offsets.size());
  for (auto& level : offsets) level.assign(1, 0);
  values.clear();
  objects.clear();
  entries = 0;
}

}  // namespace trigml::rootio
