// trigml._core: the compiled part of the Python package (python/trigml/__init__.py re-exports it).
#include "bindings.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "trigml's C++ core: ROOT and Parquet reading into numpy, the pipeline, the models.";
  m.attr("__version__") = TRIGML_VERSION;
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
