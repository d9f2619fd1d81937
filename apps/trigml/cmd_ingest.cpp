#include <cstdio>
#include <map>

#include "commands.hpp"
#include "common/error.hpp"
#include "dist/dist.hpp"
#include "ingest/ingest.hpp"

namespace trigml::cli {

void print_ingest_summary(const ingest::IngestSummary& summary) {
  std::printf("%-8s %6s %12s %12s %10s %9s\n", "class", "files", "read", "selected", "efficiency", "seconds");
  for (const auto& c : summary.classes) {
    double efficiency =
        c.counts.read ? 100.0 * static_cast<double>(c.counts.selected) / static_cast<double>(c.counts.read)
                      : 0;
    std::printf("%-8s %6llu %12llu %12llu %9.2f%% %9.1f\n", c.name.c_str(),
                static_cast<unsigned long long>(c.files), static_cast<unsigned long long>(c.counts.read),
                static_cast<unsigned long long>(c.counts.selected), efficiency, c.seconds);
  }
  for (const auto& [file, error] : summary.skipped)
    std::printf("skipped %s: %s\n", file.c_str(), error.c_str());
  std::printf("%llu parts written in %.1f s\n", static_cast<unsigned long long>(summary.parts),
              summary.seconds);
}

void register_ingest(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("ingest", "Select events and compute their features: ROOT files → Parquet dataset");
  struct Options {
    std::vector<std::string> classes;
    std::string config, out, schema = "delphes", on_error = "fail", compression;
    unsigned threads = 0;
    bool resume = false;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option(
      "--class", o->classes,
      "CLASS=PATH (qcd, ttbar, wjets; PATH a file, glob, directory, root:// or https:// URL, or @list.txt)");
  cmd->add_option("--config", o->config, "TOML file with [classes], out, threads, schema, on_error");
  cmd->add_option("--out", o->out, "Output dataset directory");
  cmd->add_option("--threads", o->threads, "Worker threads (default: all cores)");
  cmd->add_option("--schema", o->schema, "delphes, nanoaod, or a TOML schema mapping");
  cmd->add_option("--on-error", o->on_error, "fail (default) or skip a corrupt input");
  cmd->add_flag("--resume", o->resume, "Finish an interrupted run: only inputs without a part are read");
  cmd->add_option("--compression", o->compression,
                  fmt::format("Parquet pages: snappy, zstd, lz4_raw or none (default {})",
                              parquet::codec_name(parquet::kDatasetCodec)));
  cmd->callback([o] {
    ingest::IngestOptions options;
    if (!o->config.empty()) options = ingest::load_ingest_config(o->config);
    if (!o->compression.empty()) options.codec = parquet::parse_codec(o->compression);
    std::map<std::string, ingest::ClassSpec> by_name;
    for (auto& spec : options.classes) by_name[spec.name] = spec;
    for (const std::string& item : o->classes) {
      auto eq = item.find('=');
      if (eq == std::string::npos) throw UsageError(fmt::format("--class takes CLASS=PATH, got '{}'", item));
      std::string name = item.substr(0, eq);
      auto& spec = by_name[name];
      spec.name = name;
      spec.label = ingest::class_label(name);
      spec.inputs.push_back(item.substr(eq + 1));
    }
    options.classes.clear();
    for (auto& [name, spec] : by_name) options.classes.push_back(spec);
    std::sort(options.classes.begin(), options.classes.end(),
              [](auto& a, auto& b) { return a.label < b.label; });
    if (!o->out.empty()) options.out = o->out;
    if (o->threads) options.threads = o->threads;
    if (o->schema != "delphes" || o->config.empty()) options.schema = o->schema;
    const ingest::OnError on_error = ingest::parse_on_error(o->on_error, "--on-error");
    if (on_error == ingest::OnError::Skip || o->config.empty()) options.on_error = on_error;
    options.resume = o->resume;
    const ingest::IngestSummary summary = ingest::run_ingest(options);
    if (dist::is_root()) print_ingest_summary(summary);
  });
}

}  // namespace trigml::cli
