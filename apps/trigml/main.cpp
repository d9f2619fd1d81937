#include <cstdio>
#include <exception>
#include <optional>

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

}  // namespace

int main(int argc, char** argv) {
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
