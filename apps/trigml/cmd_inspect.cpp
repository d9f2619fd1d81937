#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "commands.hpp"
#include "io/source.hpp"
#include "io/url.hpp"
#include "rootio/file.hpp"
#include "rootio/interpretation.hpp"
#include "rootio/rntuple.hpp"
#include "rootio/tree.hpp"

namespace trigml::cli {

namespace {

std::string compression_name(int setting) {
  if (setting < 0) return "inherited";
  int algorithm = setting / 100;
  int level = setting % 100;
  if (level == 0) return "none";
  switch (algorithm) {
    case 0:
    case 1: return fmt::format("zlib-{}", level);
    case 2: return fmt::format("lzma-{}", level);
    case 3: return fmt::format("old-{}", level);
    case 4: return fmt::format("lz4-{}", level);
    case 5: return fmt::format("zstd-{}", level);
    default: return fmt::format("unknown-{}", setting);
  }
}

nlohmann::ordered_json describe_root_file(const std::string& path) {
  auto file = rootio::RootFile::open(path);
  nlohmann::ordered_json out;
  out["file"] = io::printable_location(path);
  out["format"] = "root";
  out["root_version"] = file->header().version % 1000000;
  out["bytes"] = file->source().size();
  out["compression"] = compression_name(file->header().compress);
  out["streamer_records"] = file->streamers().size();
  out["keys"] = nlohmann::ordered_json::array();
  std::vector<rootio::KeyEntry> trees, ntuples;
  for (const auto& entry : file->keys()) {
    out["keys"].push_back({{"path", entry.path},
                           {"class", entry.key.class_name},
                           {"cycle", entry.key.cycle},
                           {"bytes", entry.key.nbytes},
                           {"uncompressed_bytes", entry.key.object_length}});
    const std::string& c = entry.key.class_name;
    if (c == "TTree" || c == "TNtuple" || c == "TNtupleD") trees.push_back(entry);
    if (c == rootio::RNTuple::class_name) ntuples.push_back(entry);
  }
  out["trees"] = nlohmann::ordered_json::array();
  for (const auto& entry : trees) {
    auto tree = rootio::Tree::open(file, entry.path, entry.key.cycle);
    nlohmann::ordered_json t;
    t["path"] = entry.path;
    t["cycle"] = entry.key.cycle;
    t["entries"] = tree->entries();
    t["branches"] = nlohmann::ordered_json::array();
    for (const rootio::Branch* b : tree->all_branches()) {
      int64_t compressed = 0;
      for (int32_t bytes : b->basket_bytes) compressed += bytes;
      int setting = b->compress >= 0 ? b->compress : file->header().compress;
      t["branches"].push_back({{"name", b->name},
                               {"path", b->path},
                               {"class", b->class_name},
                               {"type", b->branches.empty() || b->element_type == 3 || b->element_type == 4
                                            ? tree->type_name(*b)
                                            : std::string("(split object)")},
                               {"baskets", b->total_baskets()},
                               {"compressed_bytes", compressed},
                               {"uncompressed_bytes", b->total_bytes},
                               {"compression", compression_name(setting)}});
    }
    out["trees"].push_back(std::move(t));
  }
  out["ntuples"] = nlohmann::ordered_json::array();
  for (const auto& entry : ntuples) {
    auto ntuple = rootio::RNTuple::open(file, fmt::format("{};{}", entry.path, entry.key.cycle));
    const auto& anchor = ntuple->anchor();
    nlohmann::ordered_json n;
    n["path"] = entry.path;
    n["cycle"] = entry.key.cycle;
    n["format"] = fmt::format("{}.{}.{}.{}", anchor.epoch, anchor.major, anchor.minor, anchor.patch);
    n["writer"] = ntuple->description().writer;
    n["entries"] = ntuple->entries();
    n["clusters"] = ntuple->description().clusters.size();
    n["fields"] = nlohmann::ordered_json::array();
    // Every field, subfields after their parent, so that paths such as "jets.pt" can be read.
    for (uint32_t id = 0; id < ntuple->description().fields.size(); ++id)
      n["fields"].push_back({{"path", ntuple->path_of(id)}, {"type", ntuple->type_name(id)}});
    out["ntuples"].push_back(std::move(n));
  }
  if (io::is_remote(path)) {
    io::SourceStats stats = file->source().stats();
    out["network"] = {{"requests", stats.requests},
                      {"vector_reads", stats.vector_reads},
                      {"ranges", stats.ranges},
                      {"bytes", stats.bytes},
                      {"retries", stats.retries}};
  }
  return out;
}

void print_text(const nlohmann::ordered_json& info) {
  std::printf("%s: ROOT file, version %d, %llu bytes, compression %s, %zu streamer records\n",
              info["file"].get<std::string>().c_str(), info["root_version"].get<int>(),
              static_cast<unsigned long long>(info["bytes"].get<uint64_t>()),
              info["compression"].get<std::string>().c_str(), info["streamer_records"].get<size_t>());
  std::printf("keys:\n");
  for (const auto& k : info["keys"])
    std::printf("  %-40s %-16s cycle %-3d %10lld bytes\n", k["path"].get<std::string>().c_str(),
                k["class"].get<std::string>().c_str(), k["cycle"].get<int>(), k["bytes"].get<long long>());
  for (const auto& t : info["trees"]) {
    std::printf("tree %s;%d: %llu entries, %zu branches\n", t["path"].get<std::string>().c_str(),
                t["cycle"].get<int>(), static_cast<unsigned long long>(t["entries"].get<uint64_t>()),
                t["branches"].size());
    std::printf("  %-44s %-28s %7s %12s %12s %s\n", "branch", "type", "baskets", "compressed", "uncompressed",
                "compression");
    for (const auto& b : t["branches"])
      std::printf("  %-44s %-28s %7zu %12lld %12lld %s\n", b["path"].get<std::string>().c_str(),
                  b["type"].get<std::string>().c_str(), b["baskets"].get<size_t>(),
                  b["compressed_bytes"].get<long long>(), b["uncompressed_bytes"].get<long long>(),
                  b["compression"].get<std::string>().c_str());
  }
  for (const auto& n : info["ntuples"]) {
    std::printf("rntuple %s;%d: %llu entries, %zu clusters, %zu fields, format %s, written by %s\n",
                n["path"].get<std::string>().c_str(), n["cycle"].get<int>(),
                static_cast<unsigned long long>(n["entries"].get<uint64_t>()), n["clusters"].get<size_t>(),
                n["fields"].size(), n["format"].get<std::string>().c_str(),
                n["writer"].get<std::string>().c_str());
    std::printf("  %-44s %s\n", "field", "type");
    for (const auto& f : n["fields"])
      std::printf("  %-44s %s\n", f["path"].get<std::string>().c_str(), f["type"].get<std::string>().c_str());
  }
  if (info.contains("network")) {
    const auto& n = info["network"];
    std::printf(
        "network: %llu requests (%llu vector reads), %llu ranges, %llu bytes read of %llu, %llu retries\n",
        n["requests"].get<unsigned long long>(), n["vector_reads"].get<unsigned long long>(),
        n["ranges"].get<unsigned long long>(), n["bytes"].get<unsigned long long>(),
        info["bytes"].get<unsigned long long>(), n["retries"].get<unsigned long long>());
  }
}

}  // namespace

void register_inspect(CLI::App& app) {
  auto* cmd = app.add_subcommand("inspect", "Show what a ROOT file, Parquet file or dataset directory holds");
  auto path = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("path", *path, "ROOT file, Parquet file or dataset directory")->required();
  cmd->add_flag("--json", *json, "Machine-readable output");
  cmd->callback([path, json] {
    if (is_parquet_path(*path)) {
      inspect_parquet(*path, *json);
      return;
    }
    auto info = describe_root_file(*path);
    if (*json) {
      std::printf("%s\n", info.dump(1).c_str());
    } else {
      print_text(info);
    }
  });
}

}  // namespace trigml::cli
