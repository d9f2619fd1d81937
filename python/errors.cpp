// trigml's error hierarchy (src/common/error.hpp) as Python exceptions: trigml.Error and one
// subclass per kind, each carrying the message and, as attributes, where it happened.
#include <array>

#include "bindings.hpp"
#include "common/error.hpp"

namespace trigml::python {

namespace {

struct Kind {
  const char* name;
  const char* doc;
  PyObject* type = nullptr;
};

// In the order of error.hpp; Error itself first.
std::array<Kind, 7> kinds = {{
    {"Error",
     "Base of trigml's errors. Attributes: file (path or URL, or None), offset (byte offset in the file, or "
     "None), object (the branch, column or key, or None) and detail (the message without them)."},
    {"FormatError", "The input is malformed: truncated, corrupt, or inconsistent with itself."},
    {"UnsupportedError", "The input is valid but uses a construct trigml does not read."},
    {"NotFoundError", "A name that was asked for does not exist: key, tree, branch, column, process."},
    {"IoError", "The operating system refused: cannot open, read, write or rename."},
    {"UsageError", "The caller asked for something impossible: bad option, bad range, bad configuration."},
    {"InternalError", "A broken invariant inside trigml itself: always a bug (please report it)."},
}};

PyObject* type_of(const Error& e) {
  if (dynamic_cast<const FormatError*>(&e)) return kinds[1].type;
  if (dynamic_cast<const UnsupportedError*>(&e)) return kinds[2].type;
  if (dynamic_cast<const NotFoundError*>(&e)) return kinds[3].type;
  if (dynamic_cast<const IoError*>(&e)) return kinds[4].type;
  if (dynamic_cast<const UsageError*>(&e)) return kinds[5].type;
  if (dynamic_cast<const InternalError*>(&e)) return kinds[6].type;
  return kinds[0].type;
}

void raise(const Error& e) {
  if (dynamic_cast<const InterruptedError*>(&e)) {
    PyErr_SetString(PyExc_KeyboardInterrupt, e.what());
    return;
  }
  py::object instance = py::reinterpret_borrow<py::object>(type_of(e))(e.what());
  const ErrorContext& where = e.context();
  instance.attr("file") = where.file.empty() ? py::none() : py::object(py::str(where.file));
  instance.attr("offset") = where.offset ? py::object(py::int_(*where.offset)) : py::none();
  instance.attr("object") = where.object.empty() ? py::none() : py::object(py::str(where.object));
  instance.attr("detail") = e.detail();
  PyErr_SetObject(type_of(e), instance.ptr());
}

}  // namespace

void register_errors(py::module_& m) {
  std::string module_name = py::str(m.attr("__name__"));
  for (size_t k = 0; k < kinds.size(); ++k) {
    PyObject* base = k == 0 ? PyExc_Exception : kinds[0].type;
    kinds[k].type =
        PyErr_NewExceptionWithDoc((module_name + "." + kinds[k].name).c_str(), kinds[k].doc, base, nullptr);
    if (!kinds[k].type) throw py::error_already_set();
    // Python code sees the exceptions as trigml.Error, trigml.FormatError, ...
    py::handle(kinds[k].type).attr("__module__") = "trigml";
    m.add_object(kinds[k].name, py::handle(kinds[k].type));
  }
  py::register_exception_translator([](std::exception_ptr failure) {
    try {
      if (failure) std::rethrow_exception(failure);
    } catch (const Error& e) {
      raise(e);
    }
  });
}

}  // namespace trigml::python
