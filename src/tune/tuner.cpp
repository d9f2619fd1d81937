#include "tune/tuner.hpp"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <fstream>
#include <optional>
#include <thread>

#include "common/error.hpp"
#include "common/terminal.hpp"
#include "dist/dist.hpp"
#include "parquet/writer.hpp"
#include "train/model_dir.hpp"
#include "train/prepared_data.hpp"
#include "tune/report.hpp"
#include "tune/worker.hpp"

extern char** environ;

namespace trigml::tune {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

struct Named {
  const char* name;
  int value;
};
const Named kStrategies[] = {{"grid", static_cast<int>(Strategy::Grid)},
                             {"random", static_cast<int>(Strategy::Random)},
                             {"asha", static_cast<int>(Strategy::Asha)}};
const Named kSamplers[] = {{"random", static_cast<int>(Sampler::Random)},
                           {"grid", static_cast<int>(Sampler::Grid)}};
const Named kStatuses[] = {{"running", static_cast<int>(TrialStatus::Running)},
                           {"completed", static_cast<int>(TrialStatus::Completed)},
                           {"pruned", static_cast<int>(TrialStatus::Pruned)},
                           {"failed", static_cast<int>(TrialStatus::Failed)}};

template <size_t N>
int parse_named(const Named (&table)[N], const std::string& name, const char* what) {
  for (const auto& entry : table)
    if (name == entry.name) return entry.value;
  std::string known;
  for (const auto& entry : table) known += (known.empty() ? "" : ", ") + std::string(entry.name);
  throw UsageError(fmt::format("unknown {} '{}' (known: {})", what, name, known));
}

template <size_t N>
std::string name_of(const Named (&table)[N], int value) {
  for (const auto& entry : table)
    if (entry.value == value) return entry.name;
  throw InternalError(fmt::format("no name for value {}", value));
}

// Which architectures an option changes: tuning one the model does not have would waste every trial.
bool affects(const std::string& name, model::Architecture a) {
  if (name == "hlf_layers") return a == model::Architecture::Hlf;
  if (name == "recurrent_units") return a != model::Architecture::Hlf;
  if (name == "head_units")
    return a == model::Architecture::Inclusive || a == model::Architecture::InclusiveLstm;
  return true;
}

nlohmann::json space_json(const Space& space) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : space.parameters) {
    nlohmann::json entry = {{"name", p.name}};
    if (p.distribution == Distribution::Choice)
      entry["choice"] = p.choices;
    else
      entry[p.distribution == Distribution::Uniform ? "uniform" : "log_uniform"] = {p.low, p.high};
    out.push_back(entry);
  }
  return out;
}

// A trial to run: its point and seed, and its training's options (checked).
struct PlannedTrial {
  TrialResult result;
  train::TrainOptions options;
};
using Plan = std::vector<PlannedTrial>;

// Each trial's point and seed.
struct Draw {
  Assignment point;
  uint64_t seed;
};

std::vector<Draw> draw_trials(const TuneOptions& o, const Space& space) {
  const uint64_t sampler_seed = o.sampler_seed.value_or(o.seed);
  std::vector<Draw> draws;
  if (o.strategy == Strategy::Grid) {
    const auto points = grid_points(space);
    if (o.trials > 0 && static_cast<uint64_t>(o.trials) < points.size())
      throw UsageError(
          fmt::format("the grid has {} points, more than --trials {}: raise --trials or shrink the space",
                      points.size(), o.trials),
          {space.source});
    for (size_t k = 0; k < points.size(); ++k) draws.push_back({points[k], o.seed + k});
  } else if (o.sampler == Sampler::Grid) {
    const auto points = grid_points(space, "--sampler grid");
    if (static_cast<uint64_t>(o.trials) > points.size())
      throw UsageError(fmt::format("--sampler grid tries each of the grid's {} points at most once: "
                                   "--trials {} is more",
                                   points.size(), o.trials),
                       {space.source});
    const size_t trials = o.trials > 0 ? static_cast<size_t>(o.trials) : points.size();
    for (const uint64_t k : grid_order(points.size(), sampler_seed)) {
      if (draws.size() == trials) break;
      draws.push_back({points[k], o.seed + k});
    }
  } else {
    if (o.trials < 1)
      throw UsageError(fmt::format("--strategy {} needs --trials N (at least 1)", to_string(o.strategy)));
    for (int i = 0; i < o.trials; ++i)
      draws.push_back({trial_point(space, sampler_seed, i), o.seed + static_cast<uint64_t>(i)});
  }
  return draws;
}

Plan plan_trials(const TuneOptions& o, const Space& space) {
  const std::vector<Draw> draws = draw_trials(o, space);
  Plan plan;
  for (size_t i = 0; i < draws.size(); ++i) {
    TrialResult trial;
    trial.trial = static_cast<int>(i);
    trial.params = draws[i].point;
    trial.seed = draws[i].seed;
    train::TrainOptions t = o.base;
    t.epochs = o.max_epochs;
    apply_point(trial.params, t);
    t.model.seed = trial.seed;
    t.out = trial_dir(o.out, trial.trial);
    t.progress = false;
    t.resume = false;
    try {
      train::check_options(t);
    } catch (const UsageError& e) {
      throw UsageError(fmt::format("trial {} ({}): {}", i, trial.params.dump(), e.detail()), {space.source});
    }
    plan.push_back({std::move(trial), std::move(t)});
  }
  return plan;
}

void check(const TuneOptions& o, const Space& space) {
  if (o.out.empty()) throw UsageError("--out is required");
  if (o.workers < 1) throw UsageError(fmt::format("--workers must be at least 1 (got {})", o.workers));
  if (o.workers > 1 && o.worker_command.empty())
    throw InternalError("tune: workers without a worker command");
  if (o.max_epochs < 1)
    throw UsageError(fmt::format("--max-epochs must be at least 1 (got {})", o.max_epochs));
  if (!(o.base.validation_fraction > 0))
    throw UsageError(
        "tune scores every trial on the validation fraction: --validation-fraction must be above 0");
  for (const auto& p : space.parameters) {
    if (!affects(p.name, o.base.model.architecture))
      throw UsageError(fmt::format("parameter '{}' does not change model {}: remove it from the space",
                                   p.name, model::to_string(o.base.model.architecture)),
                       {space.source});
    if (p.name == "epochs" && o.strategy == Strategy::Asha)
      throw UsageError(
          "asha decides how long each trial trains: remove 'epochs' from the space (use --max-epochs)",
          {space.source});
  }
  if (o.strategy == Strategy::Asha) rung_epochs({o.min_epochs, o.reduction_factor, o.max_epochs});
  // The data, as the first trial would find it, before anything trains.
  const fs::path dataset = train::PreparedData::resolve(o.base.data, "train");
  const train::PreparedData data(dataset);
  const uint64_t total = o.base.max_events > 0 ? std::min(o.base.max_events, data.events()) : data.events();
  if (std::llround(static_cast<double>(total) * o.base.validation_fraction) == 0)
    throw UsageError(fmt::format("--validation-fraction {} of {} events leaves no validation event",
                                 o.base.validation_fraction, total),
                     {dataset.string()});
}

nlohmann::json fingerprint(const TuneOptions& o, const Space& space) {
  const auto& b = o.base;
  return {{"space", space_json(space)},
          {"strategy", to_string(o.strategy)},
          {"sampler", to_string(o.sampler)},
          {"trials", o.trials},
          {"max_epochs", o.max_epochs},
          {"seed", o.seed},
          {"sampler_seed", o.sampler_seed.value_or(o.seed)},
          {"min_epochs", o.min_epochs},
          {"reduction_factor", o.reduction_factor},
          {"model", train::to_json(b.model)},
          {"batch_size", b.batch_size},
          {"validation_fraction", b.validation_fraction},
          {"patience", b.patience},
          {"lr_step", b.lr_step_epochs},
          {"lr_gamma", b.lr_gamma},
          {"shuffle_buffer", b.shuffle_buffer},
          {"max_events", b.max_events},
          {"data", fs::absolute(b.data).lexically_normal().string()}};
}

nlohmann::json trial_json(const TrialResult& t) {
  nlohmann::json history = nlohmann::json::array();
  for (const auto& r : t.history) history.push_back(train::to_json(r));
  return {{"trial", t.trial},   {"params", t.params}, {"seed", t.seed}, {"status", to_string(t.status)},
          {"history", history}, {"error", t.error}};
}

TrialResult trial_from_json(const nlohmann::json& j) {
  TrialResult t;
  t.trial = j.at("trial").get<int>();
  t.params = j.at("params");
  t.seed = j.at("seed").get<uint64_t>();
  t.status = parse_trial_status(j.at("status").get<std::string>());
  for (const auto& r : j.at("history")) t.history.push_back(train::epoch_record_from_json(r));
  t.error = j.at("error").get<std::string>();
  return t;
}

std::vector<train::EpochRecord> read_history(const fs::path& file) {
  std::vector<train::EpochRecord> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(train::epoch_record_from_json(nlohmann::json::parse(line)));
  return out;
}

// trials.parquet: one row per trial and epoch (a trial without a finished epoch: one row, epoch 0).
void write_trials_parquet(const fs::path& path, const Space& space, const std::deque<TrialResult>& trials) {
  std::vector<int32_t> trial, epoch;
  std::vector<std::string> status;
  std::vector<double> val_loss, val_accuracy, loss, accuracy, seconds;
  std::vector<int64_t> seed;
  struct ParamColumn {
    const Parameter* parameter;
    std::vector<double> reals;
    std::vector<int64_t> integers;
    std::vector<std::string> lists;
  };
  std::vector<ParamColumn> params;
  for (const auto& p : space.parameters) params.push_back({&p, {}, {}, {}});
  const double nan = std::nan("");
  for (const auto& t : trials) {
    const size_t rows = std::max<size_t>(t.history.size(), 1);
    for (size_t i = 0; i < rows; ++i) {
      const train::EpochRecord* r = i < t.history.size() ? &t.history[i] : nullptr;
      trial.push_back(t.trial);
      epoch.push_back(r ? r->epoch : 0);
      status.push_back(to_string(t.status));
      val_loss.push_back(r && r->has_validation ? r->val_loss : nan);
      val_accuracy.push_back(r && r->has_validation ? r->val_accuracy : nan);
      loss.push_back(r ? r->loss : nan);
      accuracy.push_back(r ? r->accuracy : nan);
      seconds.push_back(r ? r->seconds : nan);
      seed.push_back(static_cast<int64_t>(t.seed));
      for (auto& column : params) {
        const auto& value = t.params.at(column.parameter->name);
        switch (column.parameter->kind) {
          case ValueKind::Real: column.reals.push_back(value.get<double>()); break;
          case ValueKind::Integer: column.integers.push_back(value.get<int64_t>()); break;
          case ValueKind::IntegerList: column.lists.push_back(value.dump()); break;
        }
      }
    }
  }
  std::vector<parquet::ColumnSpec> specs = {
      {"trial", parquet::ColumnType::Int32},         {"epoch", parquet::ColumnType::Int32},
      {"status", parquet::ColumnType::String},       {"val_loss", parquet::ColumnType::Double},
      {"val_accuracy", parquet::ColumnType::Double}, {"loss", parquet::ColumnType::Double},
      {"accuracy", parquet::ColumnType::Double},     {"seconds", parquet::ColumnType::Double},
      {"seed", parquet::ColumnType::Int64}};
  std::vector<parquet::ColumnValues> values(specs.size());
  values[0].int32s = trial;
  values[1].int32s = epoch;
  values[2].strings = status;
  values[3].doubles = val_loss;
  values[4].doubles = val_accuracy;
  values[5].doubles = loss;
  values[6].doubles = accuracy;
  values[7].doubles = seconds;
  values[8].int64s = seed;
  for (const auto& column : params) {
    parquet::ColumnValues v;
    switch (column.parameter->kind) {
      case ValueKind::Real:
        specs.push_back({"param_" + column.parameter->name, parquet::ColumnType::Double});
        v.doubles = column.reals;
        break;
      case ValueKind::Integer:
        specs.push_back({"param_" + column.parameter->name, parquet::ColumnType::Int64});
        v.int64s = column.integers;
        break;
      case ValueKind::IntegerList:
        specs.push_back({"param_" + column.parameter->name, parquet::ColumnType::String});
        v.strings = column.lists;
        break;
    }
    values.push_back(v);
  }
  parquet::Writer writer(path, specs);
  writer.write(trial.size(), values);
  writer.close();
}

// The search's record: everything --resume needs, rewritten (atomically) after every epoch.
class TuneState {
 public:
  TuneState(const TuneOptions& options, const Space& space, const Plan& planned)
      : options_(options), space_(space), planned_(planned), print_(fingerprint(options, space)) {
    if (options.strategy == Strategy::Asha)
      asha_.emplace(AshaSettings{options.min_epochs, options.reduction_factor, options.max_epochs});
  }

  // --resume: the trials recorded before, checked against the plan.
  void load() {
    const fs::path path = options_.out / "tune.json";
    if (!fs::exists(path)) throw UsageError("nothing to resume: no tune.json", {options_.out.string()});
    try {
      const auto saved = nlohmann::json::parse(train::read_text_file(path));
      if (saved.at("fingerprint") != print_)
        throw UsageError(
            "--resume with another space, strategy or options than the interrupted search (see tune.json)",
            {path.string()});
      for (const auto& t : saved.at("trials")) trials_.push_back(trial_from_json(t));
      std::vector<RungDecision> decisions;
      for (const auto& d : saved.at("decisions"))
        decisions.push_back({d.at("trial").get<int>(), d.at("epoch").get<int>(), d.at("score").get<double>(),
                             d.at("keep").get<bool>()});
      if (asha_) asha_->restore(decisions);
    } catch (const nlohmann::json::exception& e) {
      throw FormatError(std::string("tune.json is damaged: ") + e.what(), {path.string()});
    }
    for (const auto& t : trials_)
      if (t.trial >= static_cast<int>(planned_.size()) ||
          planned_[static_cast<size_t>(t.trial)].result.params != t.params)
        throw FormatError(fmt::format("tune.json: trial {} is not the planned one", t.trial),
                          {path.string()});
  }

  // The recorded result of a trial, starting it (status running) if new.
  TrialResult& trial(int index) {
    for (auto& t : trials_)
      if (t.trial == index) return t;
    trials_.push_back(planned_[static_cast<size_t>(index)].result);
    return trials_.back();
  }
  const std::deque<TrialResult>& trials() const { return trials_; }
  size_t planned() const { return planned_.size(); }
  bool finished(int index) const {
    for (const auto& t : trials_)
      if (t.trial == index) return t.status != TrialStatus::Running;
    return false;
  }

  // May the trial train on after this epoch (its history already holds it)?
  bool decide(const TrialResult& t) {
    if (!asha_) return true;
    return asha_->decide(t.trial, t.history.back().epoch, t.best_val_loss());
  }
  bool was_stopped(int trial) const {
    if (!asha_) return false;
    for (const auto& d : asha_->decisions())
      if (d.trial == trial && !d.keep) return true;
    return false;
  }

  void save() const {
    nlohmann::json trials = nlohmann::json::array(), decisions = nlohmann::json::array();
    for (const auto& t : trials_) trials.push_back(trial_json(t));
    if (asha_)
      for (const auto& d : asha_->decisions())
        decisions.push_back({{"trial", d.trial}, {"epoch", d.epoch}, {"score", d.score}, {"keep", d.keep}});
    write_trials_parquet(options_.out / "trials.parquet", space_, trials_);
    train::write_text_file(
        options_.out / "tune.json",
        nlohmann::json{{"fingerprint", print_}, {"trials", trials}, {"decisions", decisions}}.dump(1) + "\n");
  }

  std::string progress_note() const {
    int done = 0, running = 0, pruned = 0, failed = 0, best = -1;
    double best_loss = INFINITY;
    for (const auto& t : trials_) {
      switch (t.status) {
        case TrialStatus::Running: ++running; break;
        case TrialStatus::Completed: ++done; break;
        case TrialStatus::Pruned: ++pruned; break;
        case TrialStatus::Failed: ++failed; break;
      }
      if (t.best_val_loss() < best_loss) best_loss = t.best_val_loss(), best = t.trial;
    }
    std::string note =
        fmt::format("{} completed, {} running, {} pruned, {} failed", done, running, pruned, failed);
    if (best >= 0) note += fmt::format(", best val_loss {:.4f} (trial {})", best_loss, best);
    return note;
  }

 private:
  const TuneOptions& options_;
  const Space& space_;
  const Plan& planned_;
  nlohmann::json print_;
  std::optional<SuccessiveHalving> asha_;
  std::deque<TrialResult> trials_;  // started ones, in the order started (references stay valid)
};

// Before a trial starts (or restarts after a kill): false when it needs no training, because it
// finished before the search was killed but was not yet recorded.
bool prepare_trial(TuneState& state, int index, train::TrainOptions& options) {
  TrialResult& result = state.trial(index);
  if (fs::exists(options.out)) {
    result.history = read_history(options.out / "history.jsonl");
    return false;
  }
  options.resume = fs::exists(options.out.string() + ".partial/checkpoint/state.json");
  if (!options.resume) result.history.clear();
  return true;
}

// A running trial finished an epoch: recorded, and decided (may it train on?).
bool record_epoch(TuneState& state, int index, const train::EpochRecord& record, Progress& progress) {
  TrialResult& result = state.trial(index);
  // A resumed trial repeats the epoch after its checkpoint: it replaces what was recorded of it.
  result.history.resize(std::min(result.history.size(), static_cast<size_t>(record.epoch - 1)));
  result.history.push_back(record);
  const bool keep = state.decide(result);
  state.save();
  progress.set_note(fmt::format("trial {} epoch {}: {}", index, record.epoch, state.progress_note()));
  return keep;
}

void finish_trial(TuneState& state, int index, Progress& progress) {
  TrialResult& result = state.trial(index);
  if (result.status != TrialStatus::Failed)
    result.status = state.was_stopped(index) ? TrialStatus::Pruned : TrialStatus::Completed;
  state.save();
  progress.set_note(state.progress_note());
  progress.advance(1);
}

// One trial, in this process.
void run_trial(TuneState& state, int index, train::TrainOptions options, Progress& progress) {
  if (prepare_trial(state, index, options)) {
    options.after_epoch = [&](const train::EpochRecord& record) {
      return record_epoch(state, index, record, progress);
    };
    try {
      state.trial(index).history = train::train_model(options).history;
    } catch (const std::exception& e) {
      state.trial(index).status = TrialStatus::Failed;
      state.trial(index).error = e.what();
    }
  }
  finish_trial(state, index, progress);
}

// Where trials run besides this process: child processes, or the other ranks of an MPI job. A slot
// runs one trial at a time and speaks the protocol of worker.hpp.
class Slots {
 public:
  virtual ~Slots() = default;
  virtual int count() const = 0;
  virtual void start(int slot, const nlohmann::json& spec) = 0;
  virtual void send(int slot, const nlohmann::json& message) = 0;
  struct Event {
    int slot = 0;
    std::optional<std::string> line;  // none: the slot's worker is gone (gone_why says how)
    std::string gone_why;
  };
  // What the slots said (waits at most about a second).
  virtual std::vector<Event> wait() = 0;
  virtual void release(int slot) = 0;  // its trial has answered done or failed
};

// Each trial in a child process started as worker_command (`trigml tune-trial`), connected by a
// socket pair on its stdin and stdout (a socket, so that writing to a dead child fails instead of
// raising SIGPIPE).
class ProcessSlots final : public Slots {
 public:
  ProcessSlots(int count, std::vector<std::string> command)
      : command_(std::move(command)), children_(static_cast<size_t>(count)) {}
  ~ProcessSlots() override {
    for (auto& child : children_)
      if (child.pid > 0) {
        ::kill(child.pid, SIGKILL);
        reap(child);
      }
  }
  int count() const override { return static_cast<int>(children_.size()); }

  void start(int slot, const nlohmann::json& spec) override {
    int ends[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0)
      throw IoError(std::string("tune: cannot make a socket pair: ") + std::strerror(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, ends[1], 0);
    posix_spawn_file_actions_adddup2(&actions, ends[1], 1);
    std::vector<char*> argv;
    for (const auto& word : command_) argv.push_back(const_cast<char*>(word.c_str()));
    argv.push_back(nullptr);
    Child& child = children_[static_cast<size_t>(slot)];
    const int failed = posix_spawn(&child.pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(ends[1]);
    child.socket = ends[0];
    child.pending.clear();
    if (failed != 0) {
      ::close(child.socket);
      child = Child{};
      throw IoError(
          fmt::format("tune: cannot start a worker ({}): {}", command_.front(), std::strerror(failed)));
    }
    send(slot, spec);
  }

  void send(int slot, const nlohmann::json& message) override {
    const std::string line = message.dump() + "\n";
    const int socket = children_[static_cast<size_t>(slot)].socket;
    for (size_t done = 0; done < line.size();) {
      const ssize_t n = ::send(socket, line.data() + done, line.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // the child is gone: reading its end says so
      done += static_cast<size_t>(n);
    }
  }

  std::vector<Event> wait() override {
    std::vector<pollfd> fds;
    std::vector<int> slots;
    for (size_t i = 0; i < children_.size(); ++i)
      if (children_[i].pid > 0) {
        fds.push_back({children_[i].socket, POLLIN, 0});
        slots.push_back(static_cast<int>(i));
      }
    std::vector<Event> events;
    if (::poll(fds.data(), fds.size(), 1000) < 0) {
      if (errno == EINTR) return events;
      throw IoError(std::string("tune: poll failed: ") + std::strerror(errno));
    }
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      Child& child = children_[static_cast<size_t>(slots[i])];
      char buffer[65536];
      const ssize_t n = ::read(child.socket, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int status = reap(child);
        events.push_back(
            {slots[i], std::nullopt,
             WIFSIGNALED(status)
                 ? fmt::format("its process was killed by signal {}", WTERMSIG(status))
                 : fmt::format("its process ended with status {} without a result", WEXITSTATUS(status))});
        continue;
      }
      child.pending.append(buffer, static_cast<size_t>(n));
      for (size_t end; (end = child.pending.find('\n')) != std::string::npos;) {
        events.push_back({slots[i], child.pending.substr(0, end), {}});
        child.pending.erase(0, end + 1);
      }
    }
    return events;
  }

  void release(int slot) override { reap(children_[static_cast<size_t>(slot)]); }

 private:
  struct Child {
    pid_t pid = -1;
    int socket = -1;
    std::string pending;  // bytes after the last complete line
  };
  static int reap(Child& child) {
    int status = 0;
    if (child.socket >= 0) ::close(child.socket);
    if (child.pid > 0) ::waitpid(child.pid, &status, 0);
    child = Child{};
    return status;
  }
  std::vector<std::string> command_;
  std::vector<Child> children_;
};

// Under mpirun: slot s is rank s + 1, which serves trials until told to stop (serve_ranked_trials).
class RankSlots final : public Slots {
 public:
  int count() const override { return dist::size() - 1; }
  void start(int slot, const nlohmann::json& spec) override { send(slot, spec); }
  void send(int slot, const nlohmann::json& message) override {
    dist::send(slot + 1, message.dump(), "tune: to a trial");
  }
  std::vector<Event> wait() override {
    std::vector<Event> events;
    const auto until = Clock::now() + std::chrono::seconds(1);
    while (events.empty() && Clock::now() < until) {
      while (auto message = dist::try_receive("tune: from the trials"))
        events.push_back({message->from - 1, std::move(message->bytes), {}});
      if (events.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return events;
  }
  void release(int) override {}
  // Every serving rank is told that the search is over.
  void stop_all() {
    for (int r = 1; r < dist::size(); ++r) dist::send(r, nlohmann::json{{"stop", true}}.dump(), "tune: stop");
  }
};

// Hands the trials to the slots as they free up, and answers their epochs with ASHA's decisions.
class Scheduler {
 public:
  Scheduler(TuneState& state, const Plan& plan, Slots& slots, Progress& progress)
      : state_(state),
        plan_(plan),
        slots_(slots),
        progress_(progress),
        trial_of_(static_cast<size_t>(slots.count()), -1) {}

  void run() {
    while (true) {
      for (int slot = 0; slot < slots_.count(); ++slot)
        if (trial_of_[static_cast<size_t>(slot)] < 0) start_next(slot);
      if (std::all_of(trial_of_.begin(), trial_of_.end(), [](int t) { return t < 0; })) return;
      for (const auto& event : slots_.wait()) handle(event);
    }
  }

 private:
  void start_next(int slot) {
    while (next_ < plan_.size()) {
      const int index = static_cast<int>(next_++);
      if (state_.finished(index)) {
        progress_.advance(1);
        continue;
      }
      train::TrainOptions options = plan_[static_cast<size_t>(index)].options;
      if (!prepare_trial(state_, index, options)) {
        finish_trial(state_, index, progress_);
        continue;
      }
      state_.save();  // the trial is running
      trial_of_[static_cast<size_t>(slot)] = index;
      slots_.start(slot, trial_spec(options));
      return;
    }
  }

  void handle(const Slots::Event& event) {
    const int index = trial_of_[static_cast<size_t>(event.slot)];
    if (index < 0) return;  // a child's end of stream after its answer
    TrialResult& result = state_.trial(index);
    if (!event.line) {
      result.status = TrialStatus::Failed;
      result.error = "the trial's worker is gone: " + event.gone_why;
      end(event.slot, index);
      return;
    }
    try {
      const auto message = nlohmann::json::parse(*event.line);
      if (message.contains("epoch")) {
        const bool keep =
            record_epoch(state_, index, train::epoch_record_from_json(message.at("epoch")), progress_);
        slots_.send(event.slot, {{"keep", keep}});
      } else if (message.contains("done")) {
        result.history.clear();
        for (const auto& r : message.at("done")) result.history.push_back(train::epoch_record_from_json(r));
        end(event.slot, index);
      } else {
        result.status = TrialStatus::Failed;
        result.error = message.at("failed").get<std::string>();
        end(event.slot, index);
      }
    } catch (const nlohmann::json::exception& e) {
      throw InternalError(fmt::format("tune: trial {}'s worker sent '{}': {}", index, *event.line, e.what()));
    }
  }

  void end(int slot, int index) {
    slots_.release(slot);
    trial_of_[static_cast<size_t>(slot)] = -1;
    finish_trial(state_, index, progress_);
  }

  TuneState& state_;
  const Plan& plan_;
  Slots& slots_;
  Progress& progress_;
  std::vector<int> trial_of_;  // per slot: its trial, or -1
  size_t next_ = 0;
};

void copy_best(const fs::path& out, int trial) {
  const fs::path best = out / "best", partial = out / "best.partial";
  fs::remove_all(partial);
  fs::copy(trial_dir(out, trial), partial, fs::copy_options::recursive);
  fs::remove_all(best);
  fs::rename(partial, best);
}

}  // namespace

Strategy parse_strategy(const std::string& name) {
  return static_cast<Strategy>(parse_named(kStrategies, name, "strategy"));
}
std::string to_string(Strategy s) {
  return name_of(kStrategies, static_cast<int>(s));
}
Sampler parse_sampler(const std::string& name) {
  return static_cast<Sampler>(parse_named(kSamplers, name, "sampler"));
}
std::string to_string(Sampler s) {
  return name_of(kSamplers, static_cast<int>(s));
}
TrialStatus parse_trial_status(const std::string& name) {
  return static_cast<TrialStatus>(parse_named(kStatuses, name, "trial status"));
}
std::string to_string(TrialStatus s) {
  return name_of(kStatuses, static_cast<int>(s));
}

double TrialResult::best_val_loss() const {
  double best = INFINITY;
  for (const auto& r : history)
    if (r.has_validation) best = std::min(best, r.val_loss);
  return best;
}

fs::path trial_dir(const fs::path& out, int trial) {
  return out / "trials" / fmt::format("{:04}", trial);
}

TuneSummary run_tune(const TuneOptions& options) {
  const auto start = Clock::now();
  // Under mpirun every rank checks alike (so that all stop on a bad search); rank 0 schedules and the
  // other ranks serve trials.
  Space space;
  Plan plan;
  dist::together("tune: checks", [&] {
    space = load_space(options.space_file);
    check(options, space);
    plan = plan_trials(options, space);
    if (dist::is_root() && fs::exists(options.out) && !options.resume)
      throw UsageError("the tune directory already exists: remove it, choose another --out or add --resume",
                       {options.out.string()});
  });
  std::unique_ptr<TuneState> recorded;
  dist::together("tune: state", [&] {
    if (!dist::is_root()) return;
    recorded = std::make_unique<TuneState>(options, space, plan);
    if (options.resume) {
      recorded->load();
    } else {
      fs::create_directories(options.out / "trials");
      recorded->save();
    }
  });
  if (!dist::is_root()) {
    serve_ranked_trials();
    return {};
  }
  TuneState& state = *recorded;

  Progress progress(fmt::format("tune {}", to_string(options.strategy)), state.planned(), "trials",
                    options.progress);
  if (dist::size() > 1) {
    RankSlots ranks;
    try {
      Scheduler(state, plan, ranks, progress).run();
    } catch (...) {
      ranks.stop_all();
      throw;
    }
    ranks.stop_all();
  } else if (options.workers > 1) {
    ProcessSlots processes(options.workers, options.worker_command);
    Scheduler(state, plan, processes, progress).run();
  } else {
    for (size_t i = 0; i < state.planned(); ++i) {
      if (state.finished(static_cast<int>(i))) {
        progress.advance(1);
        continue;
      }
      run_trial(state, static_cast<int>(i), plan[i].options, progress);
    }
  }
  progress.finish();

  TuneSummary summary;
  summary.trials.assign(state.trials().begin(), state.trials().end());
  std::sort(summary.trials.begin(), summary.trials.end(),
            [](const TrialResult& a, const TrialResult& b) { return a.trial < b.trial; });
  double best = INFINITY;
  for (const auto& t : summary.trials) {
    summary.epochs_trained += t.history.size();
    if (t.status != TrialStatus::Failed && t.best_val_loss() < best)
      best = t.best_val_loss(), summary.best_trial = t.trial;
  }
  if (summary.best_trial < 0)
    throw Error(fmt::format("every trial failed; the first: {}", summary.trials.front().error),
                {options.out.string()});
  copy_best(options.out, summary.best_trial);
  summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  write_tune_report(options.out, space, options, summary);
  return summary;
}

}  // namespace trigml::tune
