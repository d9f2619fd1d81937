#include <fnmatch.h>
#include <glob.h>
#include <toml++/toml.h>

#include <algorithm>
#include <utility>

#include "common/error.hpp"
#include "ingest/ingest.hpp"
#include "io/source.hpp"
#include "io/url.hpp"

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

namespace {

bool has_wildcard(std::string_view text) {
  return text.find_first_of("*?[") != std::string_view::npos;
}

// root://host//dir/*.root: the server lists the directory, the last component is matched.
std::vector<std::string> expand_remote(const std::string& pattern) {
  io::Url url = io::parse_url(pattern);
  size_t slash = url.path.rfind('/');
  std::string directory = url.path.substr(0, slash + 1), name = url.path.substr(slash + 1);
  if (has_wildcard(directory))
    throw UsageError("wildcards are taken in the last component of a URL only", {url.printable()});
  if (!has_wildcard(name) && !name.empty()) return {pattern};
  std::vector<std::string> out;
  for (const std::string& entry : io::list_remote_directory(url.with_path(directory).full())) {
    bool wanted = name.empty() ? entry.size() > 5 && entry.ends_with(".root")
                               : ::fnmatch(name.c_str(), entry.c_str(), FNM_PERIOD) == 0;
    if (wanted) out.push_back(url.with_path(directory + entry).full());
  }
  if (out.empty()) throw NotFoundError("no file on the server matches the pattern", {url.printable()});
  return out;
}

}  // namespace

std::vector<std::string> expand_inputs(const std::string& pattern) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  if (pattern.starts_with("@")) {
    // A list file: one path, URL or pattern a line; blank lines and '#' comments are skipped.
    std::string text = io::read_text(pattern.substr(1));
    size_t start = 0;
    while (start < text.size()) {
      size_t end = std::min(text.find('\n', start), text.size());
      std::string line = text.substr(start, end - start);
      start = end + 1;
      line.erase(0, line.find_first_not_of(" \t\r"));
      line.erase(line.find_last_not_of(" \t\r") + 1);
      if (line.empty() || line[0] == '#') continue;
      for (std::string& item : expand_inputs(line)) out.push_back(std::move(item));
    }
    if (out.empty()) throw NotFoundError("the list file names no inputs", {pattern.substr(1)});
    return out;
  }
  if (io::is_remote(pattern)) {
    out = expand_remote(pattern);
  } else if (fs::is_directory(pattern)) {
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
  return parse_ingest_config(io::read_text(path), path);
}

OnError parse_on_error(std::string_view text, std::string_view setting, ErrorContext context) {
  if (text == "fail") return OnError::Fail;
  if (text == "skip") return OnError::Skip;
  throw UsageError(fmt::format("{} takes 'fail' or 'skip', not '{}'", setting, text), std::move(context));
}

IngestOptions parse_ingest_config(std::string_view toml_text, const std::string& path) {
  toml::table table;
  try {
    table = toml::parse(toml_text, path);
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
  if (auto entries = table["part_entries"].value<int64_t>()) {
    if (*entries < 1)
      throw UsageError(fmt::format("part_entries must be positive, not {}", *entries), {path});
    options.part_entries = static_cast<uint64_t>(*entries);
  }
  options.schema = table["schema"].value_or(std::string("delphes"));
  options.on_error = parse_on_error(table["on_error"].value_or(std::string("fail")), "on_error", {path});
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
