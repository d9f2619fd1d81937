// Columns into numpy: the arrays view the column's buffers (no copy), and their base, a capsule
// holding the column, keeps those buffers alive as long as any array (or slice of one) does.
#include <nlohmann/json.hpp>

#include "bindings.hpp"
#include "common/error.hpp"

namespace trigml::python {

namespace {

using namespace pybind11::literals;

// An array of `shape` viewing `data`, which `owner` keeps alive.
template <typename Owner>
py::array view(const std::shared_ptr<Owner>& owner, const py::dtype& dtype, std::vector<py::ssize_t> shape,
               const void* data) {
  size_t count = 1;
  for (py::ssize_t n : shape) count *= static_cast<size_t>(n);
  if (count == 0 || data == nullptr) return py::array(dtype, shape);  // nothing to view (and no buffer)
  auto* keep = new std::shared_ptr<const void>(owner);
  py::capsule base(keep, [](void* p) { delete static_cast<std::shared_ptr<const void>*>(p); });
  return py::array(dtype, shape, data, base);
}

py::dtype dtype_of(rootio::ElementType type) {
  using rootio::ElementType;
  switch (type) {
    case ElementType::Bool: return py::dtype::of<bool>();
    case ElementType::Int8: return py::dtype::of<int8_t>();
    case ElementType::UInt8: return py::dtype::of<uint8_t>();
    case ElementType::Int16: return py::dtype::of<int16_t>();
    case ElementType::UInt16: return py::dtype::of<uint16_t>();
    case ElementType::Int32: return py::dtype::of<int32_t>();
    case ElementType::UInt32: return py::dtype::of<uint32_t>();
    case ElementType::Int64: return py::dtype::of<int64_t>();
    case ElementType::UInt64: return py::dtype::of<uint64_t>();
    case ElementType::Float32: return py::dtype::of<float>();
    case ElementType::Float64: return py::dtype::of<double>();
  }
  throw InternalError("unknown element type");
}

py::str decode(const char* data, size_t size) {
  // Bytes that are not UTF-8 (Latin-1 titles of old files) survive as surrogates, as os.fsdecode does.
  PyObject* text = PyUnicode_DecodeUTF8(data, static_cast<py::ssize_t>(size), "surrogateescape");
  if (!text) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(text);
}

// Wraps `content` in one Jagged per offsets level, innermost first.
template <typename Owner, typename Offset>
py::object nest(const std::shared_ptr<Owner>& owner, const std::vector<std::vector<Offset>>& levels,
                size_t innermost_levels, py::object content) {
  for (size_t k = innermost_levels; k-- > 0;) {
    const auto& offsets = levels[k];
    static_assert(sizeof(Offset) == sizeof(int64_t));
    // ROOT's offsets are uint64 and Parquet's int64; both are below 2^63, so one int64 view serves.
    py::array view_of_offsets =
        view(owner, py::dtype::of<int64_t>(), {static_cast<py::ssize_t>(offsets.size())}, offsets.data());
    content = py::cast(Jagged{view_of_offsets, std::move(content)});
  }
  return content;
}

}  // namespace

py::array object_array(std::vector<py::object>&& items) {
  py::array out(py::dtype("O"), std::vector<py::ssize_t>{static_cast<py::ssize_t>(items.size())});
  auto** slots = static_cast<PyObject**>(out.mutable_data());
  for (size_t i = 0; i < items.size(); ++i) {
    Py_XDECREF(slots[i]);
    slots[i] = items[i].release().ptr();
  }
  return out;
}

py::object to_python(const rootio::Value& value) {
  return std::visit(
      [](const auto& x) -> py::object {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return py::none();
        } else if constexpr (std::is_same_v<T, std::string>) {
          return decode(x.data(), x.size());
        } else if constexpr (std::is_same_v<T, std::shared_ptr<rootio::List>>) {
          py::list out;
          for (const rootio::Value& item : *x) out.append(to_python(item));
          return out;
        } else if constexpr (std::is_same_v<T, std::shared_ptr<rootio::Record>>) {
          py::dict out;
          out["_typename"] = x->class_name;
          for (const auto& [name, field] : x->fields) out[py::str(name)] = to_python(field);
          return out;
        } else {
          return py::cast(x);
        }
      },
      value.data);
}

py::object to_python(const nlohmann::json& json) {
  return py::module_::import("json").attr("loads")(json.dump());
}

py::object to_python(rootio::Column&& column) {
  using Kind = rootio::Column::Kind;
  const size_t levels = column.offsets.size();
  if (column.kind == Kind::Object) {
    std::vector<py::object> items;
    items.reserve(column.objects.size());
    for (const rootio::Value& value : column.objects) items.push_back(to_python(value));
    return object_array(std::move(items));
  }
  auto owner = std::make_shared<rootio::Column>(std::move(column));
  if (owner->kind == Kind::String) {
    // The innermost level delimits each string's characters; the levels outside it are lists of strings.
    if (levels == 0) throw InternalError("a string column without offsets");
    const auto& bounds = owner->offsets[levels - 1];
    const char* chars = reinterpret_cast<const char*>(owner->values.data());
    std::vector<py::object> strings;
    strings.reserve(bounds.size() - 1);
    for (size_t i = 0; i + 1 < bounds.size(); ++i)
      strings.push_back(decode(chars + bounds[i], static_cast<size_t>(bounds[i + 1] - bounds[i])));
    return nest(owner, owner->offsets, levels - 1, object_array(std::move(strings)));
  }
  std::vector<py::ssize_t> shape;
  const size_t items = levels == 0 ? owner->entries : static_cast<size_t>(owner->offsets.back().back());
  shape.push_back(static_cast<py::ssize_t>(items));
  for (uint32_t n : owner->shape) shape.push_back(n);
  if (items * owner->item_width() != owner->value_count())
    throw InternalError(fmt::format("a column of {} items of {} values holds {} values", items,
                                    owner->item_width(), owner->value_count()));
  py::array content = view(owner, dtype_of(owner->type), shape, owner->values.data());
  return nest(owner, owner->offsets, levels, std::move(content));
}

py::object to_python(parquet::ColumnData&& column, const std::string& name) {
  using parquet::PhysicalType;
  for (const auto& valid : column.list_valid)
    if (std::find(valid.begin(), valid.end(), uint8_t{0}) != valid.end())
      throw UnsupportedError("null lists are not read into numpy",
                             {"", std::nullopt, "column '" + name + "'"});
  auto owner = std::make_shared<parquet::ColumnData>(std::move(column));
  py::object content;
  if (owner->is_string) {
    const char* chars = reinterpret_cast<const char*>(owner->values.data());
    const auto& bounds = owner->string_offsets;
    std::vector<py::object> strings;
    strings.reserve(bounds.size() - 1);
    for (size_t i = 0; i + 1 < bounds.size(); ++i)
      strings.push_back(
          owner->valid.empty() || owner->valid[i]
              ? py::object(decode(chars + bounds[i], static_cast<size_t>(bounds[i + 1] - bounds[i])))
              : py::none());
    content = object_array(std::move(strings));
  } else {
    py::dtype dtype;
    switch (owner->physical) {
      case PhysicalType::Boolean: dtype = py::dtype::of<bool>(); break;
      case PhysicalType::Int32: dtype = py::dtype::of<int32_t>(); break;
      case PhysicalType::Int64: dtype = py::dtype::of<int64_t>(); break;
      case PhysicalType::Float: dtype = py::dtype::of<float>(); break;
      case PhysicalType::Double: dtype = py::dtype::of<double>(); break;
      default:
        throw UnsupportedError(
            fmt::format("{} values are not read into numpy", physical_type_name(owner->physical)),
            {"", std::nullopt, "column '" + name + "'"});
    }
    content = view(owner, dtype, {static_cast<py::ssize_t>(owner->slots())}, owner->values.data());
    if (!owner->valid.empty()) {
      // Nulls as a numpy masked array: the values stay a view, the mask is the negated validity.
      py::array_t<bool> mask(static_cast<py::ssize_t>(owner->valid.size()));
      bool* masked = mask.mutable_data();
      for (size_t i = 0; i < owner->valid.size(); ++i) masked[i] = owner->valid[i] == 0;
      content =
          py::module_::import("numpy.ma").attr("MaskedArray")(content, "mask"_a = mask, "copy"_a = false);
    }
  }
  return nest(owner, owner->offsets, owner->offsets.size(), std::move(content));
}

void register_arrays(py::module_& m) {
  py::class_<Jagged>(m, "Jagged", R"(A jagged (variable-length) array, as uproot's and Parquet's lists.

Entry ``i`` is ``content[offsets[i]:offsets[i + 1]]``. ``offsets`` is a one-dimensional int64 numpy
array of ``len(self) + 1`` positions; ``content`` is a numpy array (whose first axis the offsets
index) or, for lists of lists, another ``Jagged``. Arrays read by trigml are views of its column
buffers: their ``base`` keeps the buffers alive, and nothing is copied.)")
      .def(py::init([](py::array offsets, py::object content) {
             py::array_t<int64_t, py::array::c_style | py::array::forcecast> checked(offsets);
             if (checked.ndim() != 1 || checked.size() < 1)
               throw UsageError("Jagged offsets must be a one-dimensional array of at least one position");
             const int64_t* o = checked.data();
             const auto n = static_cast<int64_t>(py::len(content));
             for (py::ssize_t i = 0; i + 1 < checked.size(); ++i)
               if (o[i] > o[i + 1]) throw UsageError(fmt::format("Jagged offsets decrease at {}", i));
             if (o[0] < 0 || o[checked.size() - 1] > n)
               throw UsageError(fmt::format("Jagged offsets reach {} but the content has {} items",
                                            o[checked.size() - 1], n));
             return Jagged{checked, std::move(content)};
           }),
           "offsets"_a, "content"_a, "A Jagged from its offsets (non-decreasing, into content) and content.")
      .def_readonly("offsets", &Jagged::offsets, "int64 positions into content, one more than the entries.")
      .def_readonly("content", &Jagged::content, "The items of every entry, one after the other.")
      .def("__len__", [](const Jagged& j) { return j.offsets.size() - 1; })
      .def(
          "__getitem__",
          [](const Jagged& j, py::ssize_t i) {
            const py::ssize_t n = j.offsets.size() - 1;
            if (i < 0) i += n;
            if (i < 0 || i >= n) throw py::index_error(fmt::format("entry {} of {}", i, n));
            auto o = j.offsets.unchecked<int64_t, 1>();
            return py::object(j.content[py::slice(o(i), o(i + 1), 1)]);
          },
          "entry"_a, "Entry i: a slice (a view) of content.")
      .def(
          "__getitem__",
          [](const Jagged& j, const py::slice& entries) {
            size_t start = 0, stop = 0, step = 0, count = 0;
            if (!entries.compute(static_cast<size_t>(j.offsets.size() - 1), &start, &stop, &step, &count))
              throw py::error_already_set();
            if (step != 1) throw py::index_error("Jagged slices take a step of 1");
            auto offsets = py::object(j.offsets[py::slice(static_cast<py::ssize_t>(start),
                                                          static_cast<py::ssize_t>(start + count + 1), 1)])
                               .cast<py::array>();
            return Jagged{offsets, j.content};
          },
          "entries"_a, "Entries [start, stop) as a Jagged sharing this one's content.")
      .def(
          "lengths", [](const Jagged& j) { return py::module_::import("numpy").attr("diff")(j.offsets); },
          "Each entry's number of items (int64 array).")
      .def(
          "to_list",
          [](const Jagged& j) {
            py::list out;
            auto o = j.offsets.unchecked<int64_t, 1>();
            for (py::ssize_t i = 0; i + 1 < j.offsets.size(); ++i) {
              py::object entry = j.content[py::slice(o(i), o(i + 1), 1)];
              out.append(py::hasattr(entry, "to_list") ? entry.attr("to_list")() : entry.attr("tolist")());
            }
            return out;
          },
          "The entries as nested Python lists.")
      .def("__repr__", [](const Jagged& j) {
        return fmt::format("Jagged({} entries, {} items of {})", j.offsets.size() - 1, py::len(j.content),
                           std::string(py::str(py::type::of(j.content).attr("__name__"))));
      });
}

}  // namespace trigml::python
