#include <cstdio>
#include <exception>

#include "commands.hpp"
#include "common/allocator.hpp"
#include "common/error.hpp"

int main(int argc, char** argv) {
  trigml::keep_freed_memory_for_reuse();
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
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const trigml::UsageError& e) {
    std::fprintf(stderr, "trigml: usage error: %s\n", e.what());
    return 2;
  } catch (const trigml::Error& e) {
    std::fprintf(stderr, "trigml: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trigml: unexpected error: %s\n", e.what());
    return 3;
  }
  return 0;
}
