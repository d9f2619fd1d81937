// Every subcommand of trigml, and whether it needs the models (libtorch). The program itself holds
// the others; the model commands live in a module loaded only when one of them is asked for, so that
// dump, ingest and prepare start without loading libtorch and the ~280 libraries it brings
// (0.65 s of start-up for each call, most of it libtorch's operator registry).
#pragma once

#include <array>
#include <string_view>

namespace trigml::cli {

struct CommandEntry {
  std::string_view name;
  bool needs_models;
};

inline constexpr std::array kCommands = {
    CommandEntry{"inspect", false}, CommandEntry{"dump", false},      CommandEntry{"generate", false},
    CommandEntry{"ingest", false},  CommandEntry{"prepare", false},   CommandEntry{"export-tfrecord", false},
    CommandEntry{"train", true},    CommandEntry{"evaluate", true},   CommandEntry{"run", true},
    CommandEntry{"tune", true},     CommandEntry{"tune-trial", true}, CommandEntry{"export", true},
    CommandEntry{"score", true},    CommandEntry{"broker", true},     CommandEntry{"produce", true},
    CommandEntry{"serve", true},
};

// Whether these arguments ask for a model command: the first argument that names a command decides;
// with none (`trigml`, `trigml --help`) the models are wanted too, so that the help lists every command.
bool wants_models(int argc, char** argv);

// Parses the arguments against every command this build holds and runs the chosen one: the program's
// main without the models, the module's entry point with them.
int run(int argc, char** argv);

}  // namespace trigml::cli
