// The search space of `trigml tune`: which of `trigml train`'s options a search varies and over
// what values, read from a TOML file of the form
//   [params]
//   learning_rate = { log_uniform = [1e-4, 1e-2] }
//   dropout = { uniform = [0.0, 0.5] }
//   hlf_layers = { choice = [[50, 20, 10], [100, 50], [32]] }
// A point of the space (an Assignment) is a JSON object, name → value, applied to TrainOptions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/random.hpp"
#include "train/trainer.hpp"

namespace trigml::tune {

// What kind of value a tunable option takes.
enum class ValueKind { Real, Integer, IntegerList };

enum class Distribution { Choice, Uniform, LogUniform };

struct Parameter {
  std::string name;  // the train option's name with underscores ("learning_rate")
  ValueKind kind = ValueKind::Real;
  Distribution distribution = Distribution::Choice;
  double low = 0, high = 0;             // Uniform, LogUniform (integers are rounded)
  std::vector<nlohmann::json> choices;  // Choice
};

// The parameters in name order: sampling draws them in this order.
struct Space {
  std::vector<Parameter> parameters;
  std::string source;  // the file, for messages
  bool has(const std::string& name) const;
};

using Assignment = nlohmann::json;  // {"dropout": 0.1, "hlf_layers": [50, 20, 10], ...}

// Reads and checks a space file: unknown or untunable names, empty or reversed ranges, choices of
// the wrong type, values `trigml train` would refuse (UsageError naming the file and parameter).
Space load_space(const std::filesystem::path& file);
Space parse_space(const std::string& toml_text, const std::string& source);

// Every combination of the choices, the last parameter varying fastest. UsageError naming `option`
// (what asked for the grid) when the space has a continuous range (a grid cannot enumerate it).
std::vector<Assignment> grid_points(const Space& space, std::string_view option = "--strategy grid");
uint64_t grid_size(const Space& space);  // the product of the choices' counts (0 with a range)

// The grid's point indices [0, size) in an order the seed shuffles (its own stream of the seed).
std::vector<uint64_t> grid_order(uint64_t size, uint64_t seed);

// One point drawn from the space: choices uniformly, uniform and log-uniform ranges continuously.
Assignment sample_point(const Space& space, Random& random);
// Trial `trial`'s point of a random search with `seed`: its own stream, whatever the other trials.
Assignment trial_point(const Space& space, uint64_t seed, int trial);

// Sets the options an assignment names; the others keep their values.
void apply_point(const Assignment& assignment, train::TrainOptions& options);

// The names `trigml train` options take in a space, for messages and documentation.
std::vector<std::string> tunable_names();
ValueKind kind_of(const std::string& name);

}  // namespace trigml::tune
