// Trials in other processes (`trigml tune --workers K`): the scheduler starts `trigml tune-trial`
// per trial and talks to it in JSON lines over its stdin and stdout:
//   scheduler → trial: the trial's training options (one line)
//   trial → scheduler: {"epoch": record} after each epoch;  scheduler → trial: {"keep": bool}
//   trial → scheduler: {"done": history} or {"failed": message}, then it exits.
#pragma once

#include <functional>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>

#include "train/trainer.hpp"

namespace trigml::tune {

nlohmann::json trial_spec(const train::TrainOptions& options);
train::TrainOptions trial_options(const nlohmann::json& spec);

// The trial side: trains with the options of `spec`, sending each epoch and the result as lines
// and reading the decisions. A scheduler that goes away (receive throws) ends the training.
void serve_trial(const nlohmann::json& spec, const std::function<std::string()>& receive,
                 const std::function<void(const std::string&)>& send);
// `trigml tune-trial`: the options as the first line of `in`, then as above over `in` and `out`.
void serve_trial(std::istream& in, std::ostream& out);
// Under mpirun, ranks other than 0: trials from rank 0, one after the other, each in a group of one
// (dist::Alone), until rank 0 says stop.
void serve_ranked_trials();

}  // namespace trigml::tune
