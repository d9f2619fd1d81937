// The program: the commands without the models run here; a model command (command_table.hpp) is
// handed, arguments and all, to the models module next to the program.
#include <dlfcn.h>

#include <cstdio>
#include <filesystem>
#include <system_error>

#include "command_table.hpp"

namespace {

#ifdef TRIGML_MODELS_MODULE
int run_in_models_module(int argc, char** argv) {
  std::error_code error;
  const std::filesystem::path program = std::filesystem::read_symlink("/proc/self/exe", error);
  const std::filesystem::path module = program.parent_path() / TRIGML_MODELS_MODULE;
  void* handle = dlopen(module.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    std::fprintf(stderr, "trigml: error: the model commands are in %s, which could not be loaded: %s\n",
                 module.c_str(), dlerror());
    return 2;
  }
  auto* entry = reinterpret_cast<int (*)(int, char**)>(dlsym(handle, "trigml_models_main"));
  if (entry == nullptr) {
    std::fprintf(stderr, "trigml: error: %s has no entry point trigml_models_main: %s\n", module.c_str(),
                 dlerror());
    return 2;
  }
  return entry(argc, argv);
}
#endif

}  // namespace

int main(int argc, char** argv) {
#ifdef TRIGML_MODELS_MODULE
  if (trigml::cli::wants_models(argc, argv)) return run_in_models_module(argc, argv);
#endif
  return trigml::cli::run(argc, argv);
}
