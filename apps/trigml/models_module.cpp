// The models module's entry point: the program (main.cpp) loads this shared object for a model
// command and hands it the arguments; here every command of the build is registered.
#include "command_table.hpp"

extern "C" __attribute__((visibility("default"))) int trigml_models_main(int argc, char** argv) {
  return trigml::cli::run(argc, argv);
}
