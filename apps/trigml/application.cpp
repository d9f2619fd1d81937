#include <algorithm>
#include <cstdio>
#include <exception>
#include <optional>
#include <stdexcept>

#include "command_table.hpp"
#include "commands.hpp"
#include "common/allocator.hpp"
#include "common/error.hpp"
#include "dist/dist.hpp"

namespace {

// Under mpirun every rank runs this program. An error every rank holds (agreed, dist::together) is
// printed by rank 0 alone; an error of one rank alone is printed by it, and ends the whole job, since
// the other ranks would otherwise wait for it in their next collective.
int report(const char* kind, const char* message, int code) {
  if (trigml::dist::size() == 1) {
    std::fprintf(stderr, "trigml: %s: %s\n", kind, message);
    return code;
  }
  if (trigml::dist::failure_agreed()) {
    if (trigml::dist::is_root()) std::fprintf(stderr, "trigml: %s: %s\n", kind, message);
    return code;
  }
  std::fprintf(stderr, "trigml: %s: rank %d of %d: %s\n", kind, trigml::dist::rank(), trigml::dist::size(),
               message);
  trigml::dist::abort_job(code);
}

// The table in command_table.hpp decides where a command runs: a command registered here but missing
// from it, or listed on the wrong side, would be unreachable or load libtorch for nothing.
void check_command_table(const CLI::App& app) {
#ifdef TRIGML_HAVE_TRAINING
  constexpr bool holds_models = true;
#else
  constexpr bool holds_models = false;
#endif
  for (const CLI::App* command : app.get_subcommands([](const CLI::App*) { return true; })) {
    const auto entry = std::find_if(trigml::cli::kCommands.begin(), trigml::cli::kCommands.end(),
                                    [&](const auto& e) { return e.name == command->get_name(); });
    if (entry == trigml::cli::kCommands.end() || (entry->needs_models && !holds_models))
      throw std::logic_error("command '" + command->get_name() + "' is not where command_table.hpp says");
  }
}

}  // namespace

namespace trigml::cli {

bool wants_models(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    for (const auto& command : kCommands)
      if (command.name == argv[i]) return command.needs_models;
  return true;
}

int run(int argc, char** argv) {
  trigml::keep_freed_memory_for_reuse();
  std::optional<trigml::dist::Session> session;
  try {
    session.emplace(argc, argv);
  } catch (const trigml::Error& e) {
    std::fprintf(stderr, "trigml: error: %s\n", e.what());
    return 2;
  }
  CLI::App app{"trigml: LHC event topology classification, from ROOT files to served models"};
  app.set_version_flag("--version", TRIGML_VERSION);
  app.require_subcommand(1);
  trigml::cli::register_remote_options(app);
  trigml::cli::register_inspect(app);
  trigml::cli::register_dump(app);
  trigml::cli::register_generate(app);
  trigml::cli::register_ingest(app);
  trigml::cli::register_prepare(app);
  trigml::cli::register_export_tfrecord(app);
#ifdef TRIGML_HAVE_TRAINING
  trigml::cli::register_train(app);
  trigml::cli::register_evaluate(app);
  trigml::cli::register_run(app);
  trigml::cli::register_tune(app);
  trigml::cli::register_export(app);
  trigml::cli::register_score(app);
#endif
#ifdef TRIGML_HAVE_SERVE
  trigml::cli::register_serve(app);
#endif
  check_command_table(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Every rank parsed the same arguments: the help or the complaint is printed once.
    return trigml::dist::is_root() ? app.exit(e) : e.get_exit_code();
  } catch (const trigml::UsageError& e) {
    return report("usage error", e.what(), 2);
  } catch (const trigml::Error& e) {
    return report("error", e.what(), 1);
  } catch (const std::exception& e) {
    return report("unexpected error", e.what(), 3);
  }
  return 0;
}

}  // namespace trigml::cli
