// trigml._core: the compiled part of the Python package (python/trigml/__init__.py re-exports it).
#include "bindings.hpp"
#include "common/allocator.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "trigml's C++ core: ROOT and Parquet reading into numpy, the pipeline, the models.";
  m.attr("__version__") = TRIGML_VERSION;
  m.def("keep_freed_memory_for_reuse", &trigml::keep_freed_memory_for_reuse,
        R"(Sets this process's allocator as the trigml command line sets it: large freed buffers stay
in the heap for the next read instead of going back to the kernel, so reading the same branches
again (iterate, repeated arrays) does not fault in fresh pages: about 5 times faster on a virtual machine
(docs/performance.md). The price: the resident size stays at its peak, and a growing column's
earlier buffers stay resident too (up to about 2.6 times the column). Cannot be undone.)");
  trigml::python::register_errors(m);
  trigml::python::register_arrays(m);
  trigml::python::register_reading(m);
  trigml::python::register_pipeline(m);
#ifdef TRIGML_HAVE_TRAINING
  trigml::python::register_models(m);
  m.attr("has_training") = true;
#else
  m.attr("has_training") = false;
#endif
}
