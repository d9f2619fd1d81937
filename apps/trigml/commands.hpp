// Each subcommand lives in its own cmd_<name>.cpp and registers itself on the application.
#pragma once

#include <CLI/CLI.hpp>

namespace trigml::cli {

void register_generate(CLI::App& app);

}  // namespace trigml::cli
