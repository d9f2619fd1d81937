// What the parts of the Python module (trigml._core) share: the registration of each part, the
// conversion of trigml's columns into numpy arrays that view their buffers, and the guard that a
// long call runs under (the GIL released, Ctrl-C turned into a stop at the next progress report).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "parquet/reader.hpp"
#include "rootio/column.hpp"
#include "rootio/value.hpp"

namespace trigml::python {

namespace py = pybind11;

void register_errors(py::module_& m);
void register_arrays(py::module_& m);
void register_reading(py::module_& m);
void register_pipeline(py::module_& m);  // generate, ingest, prepare
#ifdef TRIGML_HAVE_TRAINING
void register_models(py::module_& m);  // train, evaluate, load_model
#endif

// A jagged array: entry i is content[offsets[i]:offsets[i + 1]]; content is a numpy array (or, for
// a list of lists, another Jagged). Both are views of trigml's buffers, kept alive by their base.
struct Jagged {
  py::array offsets;  // int64, entries + 1
  py::object content;
};

// A branch read over a range: a numpy array for a flat branch (one row per entry, fixed inner
// dimensions as further axes), a Jagged for a variable-length one, an object array of str for
// strings and of dicts, lists and numbers for objects. Numbers are not copied: the arrays view the
// column's buffers, which the arrays' base keeps alive.
py::object to_python(rootio::Column&& column);
// A Parquet column of `rows` rows the same way (list columns as Jagged, nulls masked).
py::object to_python(parquet::ColumnData&& column, const std::string& name);
// A one-dimensional object array holding `items` (numpy.array would turn nested lists or arrays into
// more dimensions, so the references are placed one by one).
py::array object_array(std::vector<py::object>&& items);
// A dynamic value (an object read through its streamer) as dict, list, str, int, float or None.
py::object to_python(const rootio::Value& value);
// JSON (metrics, summaries) as Python dicts and lists.
py::object to_python(const nlohmann::json& json);

// Held around a long call into the library: releases the GIL, so other Python threads (a notebook's
// event loop) keep running, and while it lasts turns SIGINT (Ctrl-C) into a stop at the work's next
// progress report (InterruptedError, raised in Python as KeyboardInterrupt). A SIGINT that came too
// late to stop the work is handed back to Python, which raises KeyboardInterrupt as usual.
class LongCall {
 public:
  LongCall();
  ~LongCall();
  LongCall(const LongCall&) = delete;
  LongCall& operator=(const LongCall&) = delete;

 private:
  std::optional<py::gil_scoped_release> released_;
};

}  // namespace trigml::python
