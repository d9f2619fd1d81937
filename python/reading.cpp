// Reading, uproot's way: trigml.open(path) → File → Tree → arrays; and read_parquet for datasets.
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <algorithm>

#include "bindings.hpp"
#include "common/error.hpp"
#include "parquet/dataset.hpp"
#include "rootio/file.hpp"
#include "rootio/tree.hpp"
#include "rootio/writer.hpp"

namespace trigml::python {

namespace {

using namespace pybind11::literals;

struct File {
  std::shared_ptr<rootio::RootFile> file;
};

struct Tree {
  std::shared_ptr<rootio::Tree> tree;
};

// Python's view of a range: None for the ends, negative numbers counting from the end, clamped.
std::pair<uint64_t, uint64_t> entry_range(const rootio::Tree& tree, std::optional<int64_t> start,
                                          std::optional<int64_t> stop) {
  const auto n = static_cast<int64_t>(tree.entries());
  auto resolve = [n](std::optional<int64_t> i, int64_t otherwise) {
    int64_t v = i.value_or(otherwise);
    if (v < 0) v += n;
    return static_cast<uint64_t>(std::clamp<int64_t>(v, 0, n));
  };
  const uint64_t first = resolve(start, 0), last = resolve(stop, n);
  return {first, std::max(first, last)};
}

// The branches by name, or every branch without sub-branches when none are named.
std::vector<const rootio::Branch*> branches_of(const rootio::Tree& tree,
                                               const std::optional<std::vector<std::string>>& names) {
  std::vector<const rootio::Branch*> out;
  if (names) {
    for (const std::string& name : *names) out.push_back(&tree.branch(name));
    return out;
  }
  for (const rootio::Branch* branch : tree.all_branches())
    if (branch->branches.empty()) out.push_back(branch);
  return out;
}

py::dict arrays_of(const std::vector<const rootio::Branch*>& branches,
                   std::vector<rootio::Column>&& columns) {
  py::dict out;
  for (size_t b = 0; b < branches.size(); ++b)
    out[py::str(branches[b]->name)] = to_python(std::move(columns[b]));
  return out;
}

// tree.iterate(): a TreeReader moved through the range step by step. Each step's columns are moved
// out to the arrays it returns, so they stay valid after the next step.
class TreeIterator {
 public:
  TreeIterator(std::shared_ptr<rootio::Tree> tree, std::vector<const rootio::Branch*> branches,
               uint64_t first, uint64_t last, uint64_t step)
      : tree_(std::move(tree)),
        reader_(*tree_, std::move(branches)),
        next_(first),
        last_(last),
        step_(step) {}

  py::dict next() {
    if (next_ >= last_) throw py::stop_iteration();
    const uint64_t first = next_, last = std::min(last_, first + step_);
    std::vector<rootio::Column> columns;
    {
      LongCall call;
      if (last < last_) reader_.read_ahead(last, std::min(last_, last + step_));
      // Element by element: the reader keeps its vector (and reuses the moved-from columns' slots).
      for (rootio::Column& column : reader_.read(first, last)) columns.push_back(std::move(column));
    }
    next_ = last;
    return arrays_of(reader_.branches(), std::move(columns));
  }

 private:
  std::shared_ptr<rootio::Tree> tree_;  // outlives the reader, which refers to it
  rootio::TreeReader reader_;
  uint64_t next_, last_, step_;
};

py::object get_object(const File& f, const std::string& path) {
  const rootio::KeyEntry entry = f.file->find_key(path);
  const std::string& type = entry.key.class_name;
  if (type == "TTree" || type == "TNtuple" || type == "TNtupleD")
    return py::cast(Tree{rootio::Tree::open(f.file, entry.path, entry.key.cycle)});
  rootio::Value value;
  {
    LongCall call;
    value = f.file->read_object(entry.key);
  }
  return to_python(value);
}

py::object read_parquet(const std::filesystem::path& path, std::optional<std::vector<std::string>> columns,
                        bool as_pandas, unsigned threads) {
  std::vector<std::string> names;
  if (columns) {
    names = *columns;
  } else {
    const auto files = parquet::dataset_files(path);
    if (files.empty()) throw NotFoundError("no Parquet files", {path.string()});
    const auto first_file = parquet::FileReader::open(files.front().string());
    for (const auto& info : first_file->columns())
      if (std::find(names.begin(), names.end(), info.name) == names.end()) names.push_back(info.name);
  }
  std::vector<parquet::ColumnData> whole(names.size());
  {
    LongCall call;
    parquet::DatasetReader reader(path, names, {threads});
    std::vector<parquet::ColumnData> group;
    bool first = true;
    while (reader.next(group)) {
      for (size_t c = 0; c < names.size(); ++c) {
        // The first row group is taken over as it is; later ones are appended to it.
        if (first)
          std::swap(whole[c], group[c]);
        else
          whole[c].append_rows(group[c], 0, group[c].rows);
      }
      first = false;
    }
    if (first)  // no rows: empty columns of the dataset's types
      for (size_t c = 0; c < names.size(); ++c) whole[c].clear(reader.column_info(c));
  }
  py::dict out;
  for (size_t c = 0; c < names.size(); ++c) out[py::str(names[c])] = to_python(std::move(whole[c]), names[c]);
  if (!as_pandas) return out;
  // List columns become object columns of per-row numpy arrays (views of the content).
  py::dict frame_columns;
  for (auto [name, value] : out) {
    if (py::isinstance<Jagged>(value)) {
      const Jagged& j = value.cast<const Jagged&>();
      std::vector<py::object> rows;
      for (py::ssize_t i = 0; i + 1 < j.offsets.size(); ++i) rows.push_back(value[py::int_(i)]);
      frame_columns[name] = object_array(std::move(rows));
    } else {
      frame_columns[name] = value;
    }
  }
  return py::module_::import("pandas").attr("DataFrame")(frame_columns);
}

// The writer's leaf type of a numpy array, and the array as that type (C-contiguous).
std::pair<rootio::LeafType, py::array> leaf_values(py::handle values, const std::string& name) {
  py::array a = py::array::ensure(values, py::array::c_style);
  if (!a) throw UsageError(fmt::format("branch '{}': expected a numpy array", name));
  const char kind = a.dtype().kind();
  const auto size = a.dtype().itemsize();
  if (kind == 'b') return {rootio::LeafType::Bool, a};
  if (kind == 'u' && size == 1) return {rootio::LeafType::UInt8, a};
  if (kind == 'i' && size == 4) return {rootio::LeafType::Int32, a};
  if (kind == 'i' && size == 8) return {rootio::LeafType::Int64, a};
  if (kind == 'f' && size == 4) return {rootio::LeafType::Float32, a};
  if (kind == 'f' && size == 8) return {rootio::LeafType::Float64, a};
  throw UsageError(
      fmt::format("branch '{}': the writer takes bool, uint8, int32, int64, float32 and float64, not {}",
                  name, std::string(py::str(a.dtype()))));
}

void fill(rootio::TreeWriter& tree, rootio::BranchId id, rootio::LeafType type, const py::array& a,
          size_t first, size_t count) {
  auto span_of = [&]<typename T>(T*) { return std::span(static_cast<const T*>(a.data()) + first, count); };
  switch (type) {
    case rootio::LeafType::Bool:
    case rootio::LeafType::UInt8: tree.fill(id, span_of(static_cast<uint8_t*>(nullptr))); break;
    case rootio::LeafType::Int32: tree.fill(id, span_of(static_cast<int32_t*>(nullptr))); break;
    case rootio::LeafType::Int64: tree.fill(id, span_of(static_cast<int64_t*>(nullptr))); break;
    case rootio::LeafType::Float32: tree.fill(id, span_of(static_cast<float*>(nullptr))); break;
    case rootio::LeafType::Float64: tree.fill(id, span_of(static_cast<double*>(nullptr))); break;
  }
}

void write_tree(const std::filesystem::path& path, const std::string& name, const py::dict& branches,
                const std::string& compression) {
  rootio::WriterOptions options;
  options.compression =
      compression == "none"   ? rootio::Compression::None
      : compression == "zlib" ? rootio::Compression::Zlib
      : compression == "lz4"  ? rootio::Compression::LZ4
      : compression == "zstd"
          ? rootio::Compression::ZSTD
          : throw UsageError(fmt::format("compression takes none, zlib, lz4 or zstd, not '{}'", compression));
  struct Column {
    rootio::BranchId id = 0, counter = 0;
    rootio::LeafType type{};
    py::array values;
    std::vector<int32_t> lengths;  // jagged: per entry
    std::vector<int64_t> offsets;  // jagged: entries + 1
  };
  std::vector<Column> columns;
  std::optional<size_t> entries;
  auto writer = rootio::FileWriter::create(path, options);
  rootio::TreeWriter& tree = writer->add_tree(name, name);
  for (auto [key, value] : branches) {
    const std::string branch = py::str(key);
    Column c;
    size_t n = 0;
    if (py::isinstance<Jagged>(value)) {
      const Jagged& j = value.cast<const Jagged&>();
      std::tie(c.type, c.values) = leaf_values(j.content, branch);
      py::array_t<int64_t, py::array::c_style | py::array::forcecast> o(j.offsets);
      for (py::ssize_t i = 0; i < o.size(); ++i) c.offsets.push_back(o.at(i));
      for (size_t i = 0; i + 1 < c.offsets.size(); ++i)
        c.lengths.push_back(static_cast<int32_t>(c.offsets[i + 1] - c.offsets[i]));
      n = c.lengths.size();
      c.counter = tree.add_counter("n" + branch);
      c.id = tree.add_jagged(branch, c.type, c.counter);
    } else {
      std::tie(c.type, c.values) = leaf_values(value, branch);
      if (c.values.ndim() != 1)
        throw UsageError(fmt::format("branch '{}': flat branches are one-dimensional", branch));
      n = static_cast<size_t>(c.values.shape(0));
      c.id = tree.add_scalar(branch, c.type);
    }
    if (entries && *entries != n)
      throw UsageError(fmt::format("branch '{}' has {} entries, the others {}", branch, n, *entries));
    entries = n;
    columns.push_back(std::move(c));
  }
  LongCall call;
  const size_t total = entries.value_or(0), batch = static_cast<size_t>(options.cluster_entries);
  for (size_t first = 0; first < total; first += batch) {
    const size_t count = std::min(batch, total - first);
    for (const Column& c : columns) {
      if (c.offsets.empty()) {
        fill(tree, c.id, c.type, c.values, first, count);
        continue;
      }
      tree.fill(c.counter, std::span(c.lengths).subspan(first, count));
      fill(tree, c.id, c.type, c.values, static_cast<size_t>(c.offsets[first]),
           static_cast<size_t>(c.offsets[first + count] - c.offsets[first]));
    }
    tree.end_batch(count);
  }
  writer->close();
}

}  // namespace

void register_reading(py::module_& m) {
  py::class_<File>(m, "File", "A ROOT file opened by trigml.open: its keys, trees and objects.")
      .def_property_readonly(
          "file_path", [](const File& f) { return f.file->name(); }, "The path or URL it was opened from.")
      .def(
          "keys",
          [](const File& f, bool recursive, bool cycle) {
            py::list out;
            for (const rootio::KeyEntry& entry : f.file->keys(recursive))
              out.append(cycle ? fmt::format("{};{}", entry.path, entry.key.cycle) : entry.path);
            return out;
          },
          "recursive"_a = true, "cycle"_a = true,
          "Every key's path ('dir/name;cycle'), in file order, recursing into directories.")
      .def(
          "classnames",
          [](const File& f) {
            py::dict out;
            for (const rootio::KeyEntry& entry : f.file->keys(true))
              out[py::str(fmt::format("{};{}", entry.path, entry.key.cycle))] = entry.key.class_name;
            return out;
          },
          "Each key's class name ('TTree', 'TH1F', ...).")
      .def("__getitem__", &get_object, "path"_a,
           "The object under a key ('events', 'dir/events;1'): a Tree for a TTree, otherwise the object read "
           "through its streamer as dicts and lists. The highest cycle unless one is given.")
      .def("__contains__",
           [](const File& f, const std::string& path) {
             try {
               f.file->find_key(path);
               return true;
             } catch (const NotFoundError&) {
               return false;
             }
           })
      .def("__enter__", [](py::object self) { return self; })
      .def(
          "__exit__", [](const File&, const py::args&) {},
          "Nothing to close: the file is closed when unused.")
      .def("__repr__", [](const File& f) { return fmt::format("<trigml.File '{}'>", f.file->name()); });

  py::class_<Tree>(m, "Tree", "A TTree: its branches, read into numpy arrays.")
      .def_property_readonly(
          "name", [](const Tree& t) { return t.tree->name(); }, "The tree's name.")
      .def_property_readonly(
          "title", [](const Tree& t) { return t.tree->title(); }, "The tree's title.")
      .def_property_readonly(
          "num_entries", [](const Tree& t) { return t.tree->entries(); }, "The number of entries.")
      .def("__len__", [](const Tree& t) { return t.tree->entries(); })
      .def(
          "keys",
          [](const Tree& t, bool full_paths) {
            py::list out;
            for (const rootio::Branch* branch : t.tree->all_branches())
              out.append(full_paths ? branch->path : branch->name);
            return out;
          },
          "full_paths"_a = false,
          "Every branch's name (or path, 'Electron/Electron.PT'), depth first; either reads it.")
      .def(
          "typenames",
          [](const Tree& t, bool full_paths) {
            py::dict out;
            for (const rootio::Branch* branch : t.tree->all_branches())
              // As `trigml inspect` names them: a split object's values are in its sub-branches.
              out[py::str(full_paths ? branch->path : branch->name)] =
                  branch->branches.empty() || branch->element_type == 3 || branch->element_type == 4
                      ? t.tree->type_name(*branch)
                      : std::string("(split object)");
            return out;
          },
          "full_paths"_a = false,
          "Each branch's type as trigml reads it ('int32', 'float32[]', 'vector<TLorentzVector>', ...).")
      .def(
          "cluster_boundaries", [](const Tree& t) { return t.tree->cluster_boundaries(); },
          "Entries at which every branch starts a new basket: good step boundaries.")
      .def(
          "arrays",
          [](const Tree& t, std::optional<std::vector<std::string>> names, std::optional<int64_t> entry_start,
             std::optional<int64_t> entry_stop, unsigned threads) {
            const auto branches = branches_of(*t.tree, names);
            const auto [first, last] = entry_range(*t.tree, entry_start, entry_stop);
            std::vector<rootio::Column> columns;
            {
              LongCall call;
              columns = t.tree->read(branches, first, last, threads);
            }
            return arrays_of(branches, std::move(columns));
          },
          "branches"_a = py::none(), "entry_start"_a = py::none(), "entry_stop"_a = py::none(),
          "threads"_a = 0,
          R"(Reads branches over entries [entry_start, entry_stop) into a dict of name -> array.

Flat branches become numpy arrays (fixed inner dimensions as further axes), jagged ones Jagged,
strings object arrays of str, objects object arrays of dicts. Numbers are views of trigml's
buffers, not copies. Without branches, every branch that has no sub-branches. Negative entries
count from the end. threads: decompression threads (0: one per core).)")
      .def(
          "array",
          [](const Tree& t, const std::string& name, std::optional<int64_t> entry_start,
             std::optional<int64_t> entry_stop) {
            const auto [first, last] = entry_range(*t.tree, entry_start, entry_stop);
            rootio::Column column;
            {
              LongCall call;
              column = t.tree->read(t.tree->branch(name), first, last);
            }
            return to_python(std::move(column));
          },
          "branch"_a, "entry_start"_a = py::none(), "entry_stop"_a = py::none(),
          "One branch, as arrays() reads it.")
      .def(
          "iterate",
          [](const Tree& t, std::optional<std::vector<std::string>> names, uint64_t step_size,
             std::optional<int64_t> entry_start, std::optional<int64_t> entry_stop) {
            if (step_size == 0) throw UsageError("step_size must be at least 1 entry");
            const auto [first, last] = entry_range(*t.tree, entry_start, entry_stop);
            return std::make_unique<TreeIterator>(t.tree, branches_of(*t.tree, names), first, last,
                                                  step_size);
          },
          "branches"_a = py::none(), "step_size"_a = 100000, "entry_start"_a = py::none(),
          "entry_stop"_a = py::none(),
          "Yields dicts like arrays() for consecutive ranges of step_size entries (the last one shorter), "
          "reusing the reader: each basket is fetched and decompressed once.")
      .def("__repr__", [](const Tree& t) {
        return fmt::format("<trigml.Tree '{}' with {} entries>", t.tree->name(), t.tree->entries());
      });

  py::class_<TreeIterator>(m, "TreeIterator", "What Tree.iterate returns: dicts of arrays, step by step.")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", &TreeIterator::next);

  m.def(
      "open",
      [](const std::string& location) {
        LongCall call;
        return File{rootio::RootFile::open(location)};
      },
      "path"_a,
      "Opens a ROOT file: a local path, root:// (XRootD) or http(s):// URL. Local files are memory-mapped.");
  m.def(
      "write_tree", &write_tree, "path"_a, "name"_a, "branches"_a, "compression"_a = "zlib",
      R"(Writes a ROOT file with one TTree through trigml's writer (atomically: the file appears when complete).

branches: name -> one-dimensional numpy array (one value per entry) or Jagged of a
one-dimensional array (its counter branch is written as 'n' + name). Types: bool, uint8, int32,
int64, float32, float64. compression: none, zlib, lz4 or zstd.)");
  m.def("read_parquet", &read_parquet, "path"_a, "columns"_a = py::none(), "as_pandas"_a = false,
        "threads"_a = 1,
        R"(Reads a Parquet file or a dataset directory (trigml ingest/prepare's output).

Returns a dict of column name -> numpy array (list columns as Jagged, nullable ones as masked
arrays), in the dataset's row order; with as_pandas=True a pandas.DataFrame of the same values,
list columns as object columns holding each row's numpy array. columns: the ones to read (default:
all). threads: row groups decoded at once.)");
}

}  // namespace trigml::python
