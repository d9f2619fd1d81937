#include <glob.h>
#include <toml++/toml.h>

#include <algorithm>

#include "common/error.hpp"
#include "ingest/ingest.hpp"

namespace trigml::ingest {

const std::vector<std::string>& class_names() {
  static const std::vector<std::string> names = {"qcd", "ttbar", "wjets"};
  return names;
}

int32_t class_label(const std::string& name) {
  const auto& names = class_names();
  auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end())
    throw UsageError(fmt::format("unknown class '{}' (expected qcd, ttbar or wjets)", name));
  return static_cast<int32_t>(it - names.begin());
}

std::vector<std::string> expand_inputs(const std::string& pattern) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  if (fs::is_directory(pattern)) {
    for (const auto& entry : fs::directory_iterator(pattern))
      if (entry.is_regular_file() && entry.path().extension() == ".root")
        out.push_back(entry.path().string());
    if (out.empty()) throw NotFoundError("directory holds no .root files", {pattern});
  } else if (pattern.find_first_of("*?[") != std::string::npos) {
    glob_t matches{};
    int status = ::glob(pattern.c_str(), 0, nullptr, &matches);
    for (size_t i = 0; status == 0 && i < matches.gl_pathc; ++i) out.emplace_back(matches.gl_pathv[i]);
    ::globfree(&matches);
    if (out.empty()) throw NotFoundError("no file matches the pattern", {pattern});
  } else {
    if (!fs::exists(pattern)) throw NotFoundError("no such file", {pattern});
    out.push_back(pattern);
  }
  std::sort(out.begin(), out.end());
  return out;
}

IngestOptions load_ingest_config(const std::string& path) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw UsageError(fmt::format("invalid TOML at line {}: {}", e.source().begin.line, e.description()),
                     {path});
  }
  IngestOptions options;
  const toml::table* classes = table["classes"].as_table();
  if (!classes)
    throw UsageError("needs a [classes] table: qcd = [\"files...\"], ttbar = [...], wjets = [...]", {path});
  for (const auto& [name, value] : *classes) {
    ClassSpec spec;
    spec.name = std::string(name.str());
    spec.label = class_label(spec.name);
    if (const auto* list = value.as_array()) {
      for (const auto& item : *list)
        if (auto text = item.value<std::string>()) spec.inputs.push_back(*text);
    } else if (auto text = value.value<std::string>()) {
      spec.inputs.push_back(*text);
    }
    if (spec.inputs.empty()) throw UsageError(fmt::format("class '{}' lists no inputs", spec.name), {path});
    options.classes.push_back(std::move(spec));
  }
  std::sort(options.classes.begin(), options.classes.end(),
            [](const ClassSpec& a, const ClassSpec& b) { return a.label < b.label; });
  if (auto out = table["out"].value<std::string>()) options.out = *out;
  options.threads = static_cast<unsigned>(table["threads"].value_or(0));
  options.schema = table["schema"].value_or(std::string("delphes"));
  std::string on_error = table["on_error"].value_or(std::string("fail"));
  if (on_error != "fail" && on_error != "skip")
    throw UsageError(fmt::format("on_error must be 'fail' or 'skip', not '{}'", on_error), {path});
  options.on_error = on_error == "fail" ? OnError::Fail : OnError::Skip;
  if (auto compression = table["compression"].value<std::string>()) {
    try {
      options.codec = parquet::parse_codec(*compression);
    } catch (const UsageError& e) {
      throw UsageError(e.detail(), {path});
    }
  }
  return options;
}

}  // namespace trigml::ingest
