#include "tune/worker.hpp"

#include <istream>
#include <ostream>

#include "common/error.hpp"
#include "dist/dist.hpp"
#include "train/model_dir.hpp"

namespace trigml::tune {

nlohmann::json trial_spec(const train::TrainOptions& o) {
  return {{"data", o.data.string()},
          {"out", o.out.string()},
          {"model", train::to_json(o.model)},
          {"epochs", o.epochs},
          {"batch_size", o.batch_size},
          {"validation_fraction", o.validation_fraction},
          {"patience", o.patience},
          {"lr_step", o.lr_step_epochs},
          {"lr_gamma", o.lr_gamma},
          {"shuffle_buffer", o.shuffle_buffer},
          {"cache", o.cache},
          {"max_events", o.max_events},
          {"threads", o.threads},
          {"resume", o.resume}};
}

train::TrainOptions trial_options(const nlohmann::json& j) {
  train::TrainOptions o;
  try {
    o.data = j.at("data").get<std::string>();
    o.out = j.at("out").get<std::string>();
    o.model = train::model_config_from_json(j.at("model"), "the trial's options");
    o.epochs = j.at("epochs").get<int>();
    o.batch_size = j.at("batch_size").get<size_t>();
    o.validation_fraction = j.at("validation_fraction").get<double>();
    o.patience = j.at("patience").get<int>();
    o.lr_step_epochs = j.at("lr_step").get<int>();
    o.lr_gamma = j.at("lr_gamma").get<double>();
    o.shuffle_buffer = j.at("shuffle_buffer").get<size_t>();
    o.cache = j.at("cache").get<bool>();
    o.max_events = j.at("max_events").get<uint64_t>();
    o.threads = j.at("threads").get<int>();
    o.resume = j.at("resume").get<bool>();
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(std::string("tune-trial: the trial's options are not what tune sends: ") + e.what());
  }
  o.progress = false;
  return o;
}

namespace {

// The scheduler closed its end: nobody is left to tell anything.
class SchedulerGone : public IoError {
 public:
  using IoError::IoError;
};

nlohmann::json parse_line(const std::string& line, const char* what) {
  try {
    return nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(fmt::format("tune-trial: {} is not JSON: {}", what, e.what()));
  }
}

}  // namespace

void serve_trial(const nlohmann::json& spec, const std::function<std::string()>& receive,
                 const std::function<void(const std::string&)>& send) {
  const auto tell = [&](const nlohmann::json& message) { send(message.dump()); };
  try {
    train::TrainOptions options = trial_options(spec);
    options.after_epoch = [&](const train::EpochRecord& record) {
      tell({{"epoch", train::to_json(record)}});
      return parse_line(receive(), "the decision").at("keep").get<bool>();
    };
    nlohmann::json history = nlohmann::json::array();
    for (const auto& r : train::train_model(options).history) history.push_back(train::to_json(r));
    tell({{"done", history}});
  } catch (const SchedulerGone&) {
    throw;
  } catch (const std::exception& e) {
    tell({{"failed", e.what()}});
  }
}

void serve_trial(std::istream& in, std::ostream& out) {
  const auto receive = [&in] {
    std::string line;
    if (!std::getline(in, line)) throw SchedulerGone("tune-trial: the scheduler is gone");
    return line;
  };
  const auto send = [&out](const std::string& line) { out << line << '\n' << std::flush; };
  serve_trial(parse_line(receive(), "the trial's options"), receive, send);
}

void serve_ranked_trials() {
  const auto receive = [] { return dist::receive(0, "tune: from the scheduler"); };
  const auto send = [](const std::string& line) { dist::send(0, line, "tune: to the scheduler"); };
  while (true) {
    const nlohmann::json spec = parse_line(receive(), "the trial's options");
    if (spec.contains("stop")) return;
    const dist::Alone alone;
    serve_trial(spec, receive, send);
  }
}

}  // namespace trigml::tune
