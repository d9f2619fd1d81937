#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common/error.hpp"
#include "common/json_values.hpp"
#include "rootio/file.hpp"
#include "rootio/rntuple.hpp"
#include "rootio/tree.hpp"

namespace trigml::cli {

std::pair<uint64_t, uint64_t> parse_range(const std::string& text, uint64_t total, const std::string& what) {
  if (text.empty()) return {0, total};
  auto colon = text.find(':');
  if (colon == std::string::npos) throw UsageError(fmt::format("--{} takes A:B, got '{}'", what, text));
  auto number = [&](const std::string& s, uint64_t fallback) -> uint64_t {
    if (s.empty()) return fallback;
    try {
      long long v = std::stoll(s);
      if (v < 0) v += static_cast<long long>(total);
      if (v < 0) throw UsageError(fmt::format("--{} '{}' starts before the first", what, text));
      return std::min<uint64_t>(static_cast<uint64_t>(v), total);
    } catch (const std::logic_error&) {
      throw UsageError(fmt::format("--{} takes integers A:B, got '{}'", what, text));
    }
  };
  uint64_t first = number(text.substr(0, colon), 0);
  uint64_t last = number(text.substr(colon + 1), total);
  if (first > last) throw UsageError(fmt::format("--{} '{}' is empty or reversed", what, text));
  return {first, last};
}

namespace {

// As for a tree, with "ntuple" and "fields" in place of "tree" and "branches".
void dump_ntuple(const rootio::RNTuple& ntuple, const std::vector<std::string>& names,
                 const std::string& range, bool json) {
  std::vector<uint32_t> fields;
  for (const auto& name : names) fields.push_back(ntuple.field(name));
  auto [first, last] = parse_range(range, ntuple.entries(), "entries");
  auto columns = ntuple.read(fields, first, last);
  if (json) {
    nlohmann::ordered_json out;
    out["ntuple"] = ntuple.name();
    out["entries"] = last - first;
    out["fields"] = nlohmann::ordered_json::object();
    for (size_t f = 0; f < fields.size(); ++f) {
      auto values = nlohmann::ordered_json::array();
      for (uint64_t e = 0; e < columns[f].entries; ++e)
        values.push_back(rootio::to_json(columns[f].entry(e)));
      out["fields"][names[f]] = std::move(values);
    }
    std::printf("%s\n", out.dump().c_str());
    return;
  }
  for (uint64_t e = 0; e < last - first; ++e) {
    std::printf("entry %llu\n", static_cast<unsigned long long>(first + e));
    for (size_t f = 0; f < fields.size(); ++f)
      std::printf("  %s = %s\n", names[f].c_str(), text_of(rootio::to_json(columns[f].entry(e))).c_str());
  }
}

}  // namespace

void register_dump(CLI::App& app) {
  auto* cmd = app.add_subcommand("dump", "Print branch values per entry");
  struct Options {
    std::string path, tree, range, rows;
    std::vector<std::string> names, branches;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("path", o->path, "ROOT file, Parquet file or dataset directory")->required();
  cmd->add_option("names", o->names, "ROOT: TREE BRANCH... or NTUPLE FIELD...; Parquet: COLUMN...")
      ->required();
  cmd->add_option("--entries", o->range, "Entry range A:B (half-open; negative counts from the end)");
  cmd->add_option("--rows", o->rows, "Row range A:B for Parquet (as --entries)");
  cmd->add_flag("--json", o->json,
                "ROOT: {\"tree\", \"entries\", \"branches\": {name: [...]}} (an RNTuple: \"ntuple\", "
                "\"fields\"); Parquet: {\"rows\", \"columns\": {name: [...]}}");
  cmd->callback([o] {
    if (is_parquet_path(o->path)) {
      dump_parquet(o->path, o->names, o->rows.empty() ? o->range : o->rows, o->json);
      return;
    }
    if (o->names.size() < 2) throw UsageError("dump of a ROOT file takes TREE BRANCH...");
    o->tree = o->names[0];
    o->branches.assign(o->names.begin() + 1, o->names.end());
    auto file = rootio::RootFile::open(o->path);
    if (file->find_key(o->tree).key.class_name == rootio::RNTuple::class_name) {
      dump_ntuple(*rootio::RNTuple::open(file, o->tree), o->branches, o->range, o->json);
      return;
    }
    auto tree = rootio::Tree::open(file, o->tree);
    std::vector<const rootio::Branch*> branches;
    for (const auto& name : o->branches) branches.push_back(&tree->branch(name));
    auto [first, last] = parse_range(o->range, tree->entries(), "entries");
    auto columns = tree->read(branches, first, last);
    if (o->json) {
      nlohmann::ordered_json out;
      out["tree"] = tree->name();
      out["entries"] = last - first;
      out["branches"] = nlohmann::ordered_json::object();
      for (size_t b = 0; b < branches.size(); ++b) {
        auto values = nlohmann::ordered_json::array();
        for (uint64_t e = 0; e < columns[b].entries; ++e)
          values.push_back(rootio::to_json(columns[b].entry(e)));
        out["branches"][o->branches[b]] = std::move(values);
      }
      std::printf("%s\n", out.dump().c_str());
      return;
    }
    for (uint64_t e = 0; e < last - first; ++e) {
      std::printf("entry %llu\n", static_cast<unsigned long long>(first + e));
      for (size_t b = 0; b < branches.size(); ++b)
        std::printf("  %s = %s\n", o->branches[b].c_str(),
                    text_of(rootio::to_json(columns[b].entry(e))).c_str());
    }
  });
}

}  // namespace trigml::cli
