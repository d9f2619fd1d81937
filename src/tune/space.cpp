#include "tune/space.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/error.hpp"
#include "train/model_dir.hpp"

namespace trigml::tune {
namespace {

// The tunable options of `trigml train`: one row per option, its kind and where it goes.
struct Tunable {
  const char* name;
  ValueKind kind;
  void (*set)(train::TrainOptions&, const nlohmann::json&);
};

const Tunable kTunables[] = {
    {"learning_rate", ValueKind::Real,
     [](auto& o, const auto& v) { o.model.learning_rate = v.template get<double>(); }},
    {"dropout", ValueKind::Real, [](auto& o, const auto& v) { o.model.dropout = v.template get<double>(); }},
    {"clip_norm", ValueKind::Real,
     [](auto& o, const auto& v) { o.model.gradient_clip_norm = v.template get<double>(); }},
    {"hlf_layers", ValueKind::IntegerList,
     [](auto& o, const auto& v) { o.model.hlf_hidden = v.template get<std::vector<int64_t>>(); }},
    {"recurrent_units", ValueKind::Integer,
     [](auto& o, const auto& v) { o.model.recurrent_units = v.template get<int64_t>(); }},
    {"head_units", ValueKind::Integer,
     [](auto& o, const auto& v) { o.model.head_units = v.template get<int64_t>(); }},
    {"batch_size", ValueKind::Integer,
     [](auto& o, const auto& v) {
       o.batch_size = static_cast<size_t>(std::max<int64_t>(0, v.template get<int64_t>()));
     }},
    {"epochs", ValueKind::Integer, [](auto& o, const auto& v) { o.epochs = v.template get<int>(); }},
    {"patience", ValueKind::Integer, [](auto& o, const auto& v) { o.patience = v.template get<int>(); }},
    {"lr_step", ValueKind::Integer, [](auto& o, const auto& v) { o.lr_step_epochs = v.template get<int>(); }},
    {"lr_gamma", ValueKind::Real, [](auto& o, const auto& v) { o.lr_gamma = v.template get<double>(); }},
    {"shuffle_buffer", ValueKind::Integer,
     [](auto& o, const auto& v) {
       o.shuffle_buffer = static_cast<size_t>(std::max<int64_t>(0, v.template get<int64_t>()));
     }},
};

// The name the example uses for hlf_layers (ModelConfig's field).
constexpr const char* kHlfLayersAlias = "hlf_hidden";

const Tunable* find_tunable(const std::string& name) {
  for (const auto& t : kTunables)
    if (name == t.name) return &t;
  return nullptr;
}

std::string known_names() {
  std::string out;
  for (const auto& t : kTunables) out += (out.empty() ? "" : ", ") + std::string(t.name);
  return out;
}

std::string describe(const toml::node& node) {
  if (auto v = node.value_exact<int64_t>()) return std::to_string(*v);
  if (auto v = node.value_exact<double>()) return fmt::format("{}", *v);
  if (auto v = node.value_exact<bool>()) return *v ? "true" : "false";
  if (auto v = node.value_exact<std::string>()) return "\"" + *v + "\"";
  if (node.is_array()) return "a list";
  if (node.is_table()) return "a table";
  return "a date or time";
}

// A TOML value as JSON, or a UsageError saying what was expected.
nlohmann::json to_json_value(const toml::node& node, ValueKind kind, const std::string& what,
                             const std::string& source) {
  const auto bad = [&](const std::string& expected) -> nlohmann::json {
    throw UsageError(fmt::format("{}: expected {}, got {}", what, expected, describe(node)), {source});
  };
  switch (kind) {
    case ValueKind::Real:
      if (auto v = node.value_exact<double>()) return *v;
      if (auto v = node.value_exact<int64_t>()) return static_cast<double>(*v);
      return bad("a number");
    case ValueKind::Integer:
      if (auto v = node.value_exact<int64_t>()) return *v;
      return bad("an integer");
    case ValueKind::IntegerList: {
      const auto* array = node.as_array();
      if (!array) return bad("a list of integers such as [50, 20, 10]");
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : *array) {
        auto v = item.value_exact<int64_t>();
        if (!v) return bad("a list of integers such as [50, 20, 10]");
        out.push_back(*v);
      }
      if (out.empty()) return bad("at least one layer size");
      return out;
    }
  }
  return bad("a value");
}

// What `trigml train` would say about this one value, before any training starts.
void check_value(const Tunable& tunable, const nlohmann::json& value, const std::string& source) {
  train::TrainOptions options;
  options.out = "check";
  if (tunable.kind == ValueKind::IntegerList) options.model.architecture = model::Architecture::Hlf;
  tunable.set(options, value);
  if (tunable.kind == ValueKind::Integer && value.get<int64_t>() < 0)
    throw UsageError(fmt::format("parameter '{}': {} must not be negative", tunable.name, value.dump()),
                     {source});
  try {
    train::check_options(options);
  } catch (const UsageError& e) {
    throw UsageError(fmt::format("parameter '{}' = {}: {}", tunable.name, value.dump(), e.detail()),
                     {source});
  }
}

double draw(const Parameter& p, Random& random) {
  return p.distribution == Distribution::Uniform
             ? random.uniform(p.low, p.high)
             : std::exp(random.uniform(std::log(p.low), std::log(p.high)));
}

}  // namespace

bool Space::has(const std::string& name) const {
  return std::any_of(parameters.begin(), parameters.end(),
                     [&](const Parameter& p) { return p.name == name; });
}

std::vector<std::string> tunable_names() {
  std::vector<std::string> out;
  for (const auto& t : kTunables) out.emplace_back(t.name);
  return out;
}

ValueKind kind_of(const std::string& name) {
  const Tunable* t = find_tunable(name);
  if (!t) throw InternalError("not a tunable option: " + name);
  return t->kind;
}

Space parse_space(const std::string& text, const std::string& source) {
  toml::table table;
  try {
    table = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw UsageError(fmt::format("invalid TOML at line {}: {}", e.source().begin.line, e.description()),
                     {source});
  }
  for (const auto& [key, value] : table)
    if (key.str() != "params")
      throw UsageError(fmt::format("unknown key '{}': a space file has one table, [params]", key.str()),
                       {source});
  const toml::table* params = table["params"].as_table();
  if (!params || params->empty())
    throw UsageError("no parameters: the file needs a [params] table with at least one entry", {source});

  Space space;
  space.source = source;
  for (const auto& [key, node] : *params) {
    std::string name(key.str());
    if (name == kHlfLayersAlias) name = "hlf_layers";
    const Tunable* tunable = find_tunable(name);
    if (!tunable)
      throw UsageError(fmt::format("unknown parameter '{}' (tunable: {})", key.str(), known_names()),
                       {source});
    if (space.has(name))
      throw UsageError(fmt::format("parameter '{}' is given twice (hlf_hidden is hlf_layers)", name),
                       {source});
    const toml::table* spec = node.as_table();
    if (!spec || spec->size() != 1)
      throw UsageError(
          fmt::format("parameter '{}': expected one of {{ choice = [...] }}, {{ uniform = [low, high] "
                      "}} or {{ log_uniform = [low, high] }}",
                      name),
          {source});
    const auto entry = spec->begin();
    const std::string form_name(entry->first.str());
    const toml::node& form = entry->second;
    Parameter p;
    p.name = name;
    p.kind = tunable->kind;
    const toml::array* values = form.as_array();
    if (form_name == "choice") {
      p.distribution = Distribution::Choice;
      if (!values || values->empty())
        throw UsageError(fmt::format("parameter '{}': choice needs a non-empty list of values", name),
                         {source});
      for (const auto& value : *values) {
        p.choices.push_back(to_json_value(value, p.kind, fmt::format("parameter '{}'", name), source));
        check_value(*tunable, p.choices.back(), source);
      }
    } else if (form_name == "uniform" || form_name == "log_uniform") {
      p.distribution = form_name == "uniform" ? Distribution::Uniform : Distribution::LogUniform;
      if (p.kind == ValueKind::IntegerList)
        throw UsageError(fmt::format("parameter '{}': a list of layer sizes takes choice only", name),
                         {source});
      if (!values || values->size() != 2)
        throw UsageError(fmt::format("parameter '{}': {} needs [low, high]", name, form_name), {source});
      p.low = to_json_value(*values->get(0), ValueKind::Real, fmt::format("parameter '{}'", name), source)
                  .get<double>();
      p.high = to_json_value(*values->get(1), ValueKind::Real, fmt::format("parameter '{}'", name), source)
                   .get<double>();
      if (!(p.low < p.high) || !std::isfinite(p.low) || !std::isfinite(p.high))
        throw UsageError(fmt::format("parameter '{}': the range [{}, {}] is empty (low must be below high)",
                                     name, p.low, p.high),
                         {source});
      if (p.distribution == Distribution::LogUniform && !(p.low > 0))
        throw UsageError(fmt::format("parameter '{}': log_uniform needs low > 0 (got {})", name, p.low),
                         {source});
      if (p.kind == ValueKind::Integer && std::llround(p.low) == std::llround(p.high))
        throw UsageError(fmt::format("parameter '{}': the integer range [{}, {}] holds one value: use choice",
                                     name, p.low, p.high),
                         {source});
      for (double end : {p.low, p.high})
        check_value(*tunable,
                    p.kind == ValueKind::Integer ? nlohmann::json(std::llround(end)) : nlohmann::json(end),
                    source);
    } else {
      throw UsageError(
          fmt::format("parameter '{}': unknown form '{}' (choice, uniform or log_uniform)", name, form_name),
          {source});
    }
    space.parameters.push_back(std::move(p));
  }
  std::sort(space.parameters.begin(), space.parameters.end(),
            [](const Parameter& a, const Parameter& b) { return a.name < b.name; });
  return space;
}

Space load_space(const std::filesystem::path& file) {
  std::string text;
  try {
    text = train::read_text_file(file);
  } catch (const Error& e) {
    throw UsageError("cannot read the space file: " + e.detail(), {file.string()});
  }
  return parse_space(text, file.string());
}

uint64_t grid_size(const Space& space) {
  uint64_t size = 1;
  for (const auto& p : space.parameters) {
    if (p.distribution != Distribution::Choice) return 0;
    size *= p.choices.size();
  }
  return size;
}

std::vector<Assignment> grid_points(const Space& space, std::string_view option) {
  for (const auto& p : space.parameters)
    if (p.distribution != Distribution::Choice)
      throw UsageError(fmt::format("{} takes the grid's points, every combination of the choices, but "
                                   "parameter '{}' is a continuous range (use --strategy random or asha "
                                   "with --sampler random, or a choice list)",
                                   option, p.name),
                       {space.source});
  std::vector<Assignment> points;
  const uint64_t count = grid_size(space);
  for (uint64_t index = 0; index < count; ++index) {
    Assignment point = nlohmann::json::object();
    uint64_t rest = index;
    for (size_t i = space.parameters.size(); i-- > 0;) {
      const auto& p = space.parameters[i];
      point[p.name] = p.choices[rest % p.choices.size()];
      rest /= p.choices.size();
    }
    points.push_back(std::move(point));
  }
  return points;
}

std::vector<uint64_t> grid_order(uint64_t size, uint64_t seed) {
  constexpr uint64_t kOrderStream = 0x6772;  // "gr": the grid order's stream of chunk_seed
  Random random(chunk_seed(seed, 0, kOrderStream));
  std::vector<uint64_t> order(size);
  std::iota(order.begin(), order.end(), uint64_t{0});
  for (uint64_t i = size; i > 1; --i) std::swap(order[i - 1], order[random.next() % i]);  // Fisher–Yates
  return order;
}

Assignment sample_point(const Space& space, Random& random) {
  Assignment point = nlohmann::json::object();
  for (const auto& p : space.parameters) {
    if (p.distribution == Distribution::Choice) {
      point[p.name] = p.choices[random.next() % p.choices.size()];
    } else if (p.kind == ValueKind::Integer) {
      point[p.name] = std::llround(draw(p, random));
    } else {
      point[p.name] = draw(p, random);
    }
  }
  return point;
}

Assignment trial_point(const Space& space, uint64_t seed, int trial) {
  constexpr uint64_t kSampleStream = 0x7475;  // "tu": the sampling stream of chunk_seed
  Random random(chunk_seed(seed, static_cast<uint64_t>(trial), kSampleStream));
  return sample_point(space, random);
}

void apply_point(const Assignment& assignment, train::TrainOptions& options) {
  for (const auto& [name, value] : assignment.items()) {
    const Tunable* tunable = find_tunable(name);
    if (!tunable) throw InternalError("not a tunable option: " + name);
    tunable->set(options, value);
  }
}

}  // namespace trigml::tune
