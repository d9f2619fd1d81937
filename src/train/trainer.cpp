#include "train/trainer.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <functional>

#include "common/error.hpp"
#include "common/random.hpp"
#include "common/terminal.hpp"
#include "dist/dist.hpp"
#include "train/loader.hpp"
#include "train/model_dir.hpp"
#include "train/prepared_data.hpp"

namespace trigml::train {
namespace fs = std::filesystem;

nlohmann::json to_json(const EpochRecord& r) {
  nlohmann::json j = {{"epoch", r.epoch},       {"loss", r.loss},
                      {"accuracy", r.accuracy}, {"learning_rate", r.learning_rate},
                      {"seconds", r.seconds},   {"events_per_second", r.events_per_second},
                      {"events", r.events}};
  if (r.has_validation) {
    j["val_loss"] = r.val_loss;
    j["val_accuracy"] = r.val_accuracy;
  }
  if (r.ranks > 1) {
    j["ranks"] = r.ranks;
    j["steps"] = r.steps;
    j["allreduce_seconds"] = r.allreduce_seconds;
  }
  return j;
}

EpochRecord epoch_record_from_json(const nlohmann::json& j) {
  EpochRecord r;
  r.epoch = j.at("epoch").get<int>();
  r.loss = j.at("loss").get<double>();
  r.accuracy = j.at("accuracy").get<double>();
  r.learning_rate = j.at("learning_rate").get<double>();
  r.seconds = j.at("seconds").get<double>();
  r.events_per_second = j.at("events_per_second").get<double>();
  r.events = j.at("events").get<uint64_t>();
  r.has_validation = j.contains("val_loss");
  if (r.has_validation) {
    r.val_loss = j.at("val_loss").get<double>();
    r.val_accuracy = j.at("val_accuracy").get<double>();
  }
  if (j.contains("ranks")) {
    r.ranks = j.at("ranks").get<int>();
    r.steps = j.at("steps").get<uint64_t>();
    r.allreduce_seconds = j.at("allreduce_seconds").get<double>();
  }
  return r;
}

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

void check_options(const TrainOptions& o) {
  const auto bad = [](const std::string& what) { throw UsageError(what); };
  if (o.epochs < 1) bad(fmt::format("--epochs must be at least 1 (got {})", o.epochs));
  if (o.batch_size < 1) bad("--batch-size must be at least 1");
  if (!(o.validation_fraction >= 0 && o.validation_fraction < 1))
    bad(fmt::format("--validation-fraction must be in [0, 1) (got {})", o.validation_fraction));
  if (o.patience < 0) bad("--patience must not be negative");
  if (o.lr_step_epochs < 0) bad("--lr-step must not be negative");
  if (!(o.lr_gamma > 0 && o.lr_gamma <= 1))
    bad(fmt::format("--lr-gamma must be in (0, 1] (got {})", o.lr_gamma));
  if (o.threads < 1) bad("--threads must be at least 1");
  const auto& m = o.model;
  if (!(m.learning_rate > 0 && std::isfinite(m.learning_rate)))
    bad(fmt::format("--learning-rate must be positive (got {})", m.learning_rate));
  if (!(m.dropout >= 0 && m.dropout < 1)) bad(fmt::format("--dropout must be in [0, 1) (got {})", m.dropout));
  if (m.gradient_clip_norm < 0) bad("--clip-norm must not be negative");
  if (m.recurrent_units < 1 || m.head_units < 1) bad("layer sizes must be at least 1");
  for (auto units : m.hlf_hidden)
    if (units < 1) bad("--hlf-layers sizes must be at least 1");
  if (m.architecture == model::Architecture::Hlf && m.hlf_hidden.empty())
    bad("--hlf-layers needs at least one layer");
  if (o.out.empty()) bad("--out is required");
}

namespace {

// Mean cross-entropy and accuracy of logits against labels.
void score_logits(const std::vector<float>& logits, const std::vector<int32_t>& labels, size_t classes,
                  double& loss_sum, uint64_t& correct) {
  for (size_t i = 0; i < labels.size(); ++i) {
    const float* row = &logits[i * classes];
    size_t best = 0;
    float top = row[0];
    for (size_t k = 1; k < classes; ++k)
      if (row[k] > top) top = row[k], best = k;
    double sum = 0;
    for (size_t k = 0; k < classes; ++k) sum += std::exp(static_cast<double>(row[k]) - top);
    loss_sum += std::log(sum) + top - row[static_cast<size_t>(labels[i])];
    if (best == static_cast<size_t>(labels[i])) ++correct;
  }
}

// What a resumed run must share with the run it continues.
nlohmann::json fingerprint(const TrainOptions& o, const PreparedData& data) {
  return {{"model", to_json(o.model)},
          {"batch_size", o.batch_size},
          {"validation_fraction", o.validation_fraction},
          {"patience", o.patience},
          {"lr_step_epochs", o.lr_step_epochs},
          {"lr_gamma", o.lr_gamma},
          {"shuffle_buffer", o.shuffle_buffer},
          {"max_events", o.max_events},
          {"data", fs::absolute(data.path()).lexically_normal().string()},
          {"preprocessing", data.preprocessing()}};
}

struct Checkpoint {
  int epochs_done = 0;
  int best_epoch = 0;
  double best_val_loss = INFINITY;
  int bad_epochs = 0;
  bool stopped = false;
  std::vector<EpochRecord> history;
};

fs::path weights_file(const fs::path& dir, int epoch) {
  return dir / fmt::format("weights-{:04}.pt", epoch);
}
fs::path optimizer_file(const fs::path& dir, int epoch) {
  return dir / fmt::format("optimizer-{:04}.pt", epoch);
}

// libtorch writes archives by path: write under a temporary name, then rename.
template <typename Save>
void save_atomically(const fs::path& path, Save&& save) {
  const fs::path temporary = path.string() + ".tmp";
  save(temporary);
  fs::rename(temporary, path);
}

std::string history_lines(const std::vector<EpochRecord>& history) {
  std::string text;
  for (const auto& r : history) text += to_json(r).dump() + "\n";
  return text;
}

}  // namespace

TrainSummary train_model(const TrainOptions& options) {
  check_options(options);
  TrainOptions o = options;
  // Every rank checks the data and the checkpoint alike; rank 0 alone creates the directory.
  fs::path dataset;
  std::unique_ptr<PreparedData> prepared;
  uint64_t total = 0, validation_events = 0, train_events = 0;
  const fs::path partial = o.out.string() + ".partial";
  const fs::path checkpoint_dir = partial / "checkpoint";
  const fs::path state_path = checkpoint_dir / "state.json";
  nlohmann::json print;
  Checkpoint state;
  dist::together("train: data and checkpoint", [&] {
    dataset = PreparedData::resolve(o.data, "train");
    prepared = std::make_unique<PreparedData>(dataset);
    o.model.hlf_features = static_cast<int64_t>(prepared->hlf_features());
    o.model.particle_features = static_cast<int64_t>(prepared->particle_features());
    o.model.classes = static_cast<int64_t>(prepared->classes().size());

    total = o.max_events > 0 ? std::min(o.max_events, prepared->events()) : prepared->events();
    validation_events =
        static_cast<uint64_t>(std::llround(static_cast<double>(total) * o.validation_fraction));
    train_events = total - validation_events;
    if (train_events == 0) throw UsageError("no events left to train on", {dataset.string()});
    if (o.validation_fraction > 0 && validation_events == 0)
      throw UsageError(fmt::format("--validation-fraction {} of {} events leaves no validation event",
                                   o.validation_fraction, total),
                       {dataset.string()});

    if (fs::exists(o.out))
      throw UsageError("the model directory already exists: remove it or choose another --out",
                       {o.out.string()});
    print = fingerprint(o, *prepared);

    if (o.resume) {
      if (!fs::exists(state_path))
        throw UsageError("nothing to resume: no checkpoint at " + state_path.string(), {o.out.string()});
      nlohmann::json saved;
      try {
        saved = nlohmann::json::parse(read_text_file(state_path));
        if (saved.at("fingerprint") != print)
          throw UsageError(
              "--resume with other options or data than the interrupted run (see its checkpoint/state.json)",
              {state_path.string()});
        state.epochs_done = saved.at("epochs_done").get<int>();
        state.best_epoch = saved.at("best_epoch").get<int>();
        state.best_val_loss =
            saved.at("best_val_loss").is_null() ? INFINITY : saved.at("best_val_loss").get<double>();
        state.bad_epochs = saved.at("bad_epochs").get<int>();
        state.stopped = saved.at("stopped").get<bool>();
        for (const auto& r : saved.at("history")) state.history.push_back(epoch_record_from_json(r));
      } catch (const nlohmann::json::exception& e) {
        throw FormatError(std::string("checkpoint state is damaged: ") + e.what(), {state_path.string()});
      }
    } else if (dist::is_root()) {
      fs::remove_all(partial);
      fs::create_directories(checkpoint_dir);
      write_text_file(partial / "preprocessing.json", prepared->preprocessing().dump(2) + "\n");
    }
  });
  const PreparedData& data = *prepared;

  model::set_threads(o.threads);
  model::Classifier classifier(o.model);
  dist::together("train: resumed weights", [&] {
    if (state.epochs_done > 0) {
      classifier.load_weights(weights_file(checkpoint_dir, state.epochs_done));
      classifier.load_optimizer(optimizer_file(checkpoint_dir, state.epochs_done));
    }
  });

  const bool recurrent = o.model.architecture != model::Architecture::Hlf;
  LoaderOptions train_loading;
  train_loading.batch_size = o.batch_size;
  train_loading.shuffle_buffer = std::max<size_t>(o.shuffle_buffer, 1);
  train_loading.need_hlf = o.model.architecture != model::Architecture::Particles;
  train_loading.need_particles = recurrent;
  train_loading.cache = o.cache;
  train_loading.seed = o.model.seed;
  const int ranks = dist::size();
  train_loading.share = static_cast<size_t>(dist::rank());
  train_loading.shares = static_cast<size_t>(ranks);
  BatchLoader train_loader(data, 0, train_events, train_loading);
  LoaderOptions validation_loading = train_loading;
  validation_loading.shuffle_buffer = 0;
  validation_loading.batch_size = std::max<size_t>(o.batch_size, 512);

  BatchLoader validation_loader(data, train_events, total, validation_loading);

  const size_t classes = data.classes().size();
  model::Batch batch;
  std::vector<int32_t> labels;
  std::vector<int64_t> rows;
  std::vector<float> logits;
  size_t batch_events = 0;
  double allreduce_seconds = 0;
  const auto add_gradients = [&](std::span<float> gradients) {
    const auto t0 = Clock::now();
    dist::all_reduce_sum(gradients, "train: gradients");
    allreduce_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
  };

  for (int epoch = state.epochs_done + 1; epoch <= o.epochs && !state.stopped; ++epoch) {
    const auto start = Clock::now();
    const double rate = o.model.learning_rate *
                        (o.lr_step_epochs > 0 ? std::pow(o.lr_gamma, (epoch - 1) / o.lr_step_epochs) : 1.0);
    classifier.set_learning_rate(rate);
    model::seed_dropout(chunk_seed(o.model.seed, static_cast<uint64_t>(epoch), 2));

    Progress progress(
        fmt::format("train {} epoch {}/{}", model::to_string(o.model.architecture), epoch, o.epochs),
        train_events, "events", o.progress && dist::is_root());
    EpochRecord record;
    record.epoch = epoch;
    record.learning_rate = rate;
    record.ranks = ranks;
    allreduce_seconds = 0;
    double loss_sum = 0;
    uint64_t correct = 0;
    train_loader.start_epoch(static_cast<uint64_t>(epoch));
    while (train_loader.next(batch, labels, rows, &batch_events)) {
      const auto step = ranks == 1 ? classifier.train_batch(batch, labels)
                                   : classifier.train_share(batch, labels, static_cast<int64_t>(batch_events),
                                                            add_gradients);
      if (!std::isfinite(step.loss))
        throw Error(
            fmt::format(
                "training diverged: the loss is {} in epoch {}; lower --learning-rate or set --clip-norm",
                step.loss, epoch),
            {dataset.string()});
      // A share's loss is its part of the batch's mean: times the batch, the share's summed loss.
      loss_sum += step.loss * static_cast<double>(batch_events);
      correct += static_cast<uint64_t>(step.correct);
      record.events += batch_events;
      ++record.steps;
      if (ranks == 1)
        progress.set_note(fmt::format("loss {:.4f} acc {:.4f}", loss_sum / static_cast<double>(record.events),
                                      static_cast<double>(correct) / static_cast<double>(record.events)));
      progress.advance(batch_events);
    }
    const double train_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    record.allreduce_seconds = allreduce_seconds;
    std::array<double, 2> train_sums = {loss_sum, static_cast<double>(correct)};
    dist::all_reduce_sum(train_sums, "train: epoch loss");
    record.loss = train_sums[0] / static_cast<double>(record.events);
    record.accuracy = train_sums[1] / static_cast<double>(record.events);
    record.events_per_second = static_cast<double>(record.events) / train_seconds;

    if (validation_events > 0) {
      double val_loss_sum = 0;
      uint64_t val_correct = 0, val_events = 0;
      validation_loader.start_epoch(0);
      while (validation_loader.next(batch, labels, rows, &batch_events)) {
        if (!labels.empty()) {
          logits = classifier.logits(batch);
          score_logits(logits, labels, classes, val_loss_sum, val_correct);
        }
        val_events += batch_events;
      }
      // Summed over the ranks' shares (in rank order): every rank decides early stopping alike.
      std::array<double, 2> val_sums = {val_loss_sum, static_cast<double>(val_correct)};
      dist::all_reduce_sum(val_sums, "train: validation loss");
      record.has_validation = true;
      record.val_loss = val_sums[0] / static_cast<double>(val_events);
      record.val_accuracy = val_sums[1] / static_cast<double>(val_events);
      progress.set_note(fmt::format("loss {:.4f} acc {:.4f} val_loss {:.4f} val_acc {:.4f}", record.loss,
                                    record.accuracy, record.val_loss, record.val_accuracy));
    }
    record.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    progress.finish();

    state.history.push_back(record);
    bool best = false;
    if (!record.has_validation || record.val_loss < state.best_val_loss) {
      state.best_val_loss = record.has_validation ? record.val_loss : INFINITY;
      state.best_epoch = epoch;
      state.bad_epochs = 0;
      best = true;
    } else if (o.patience > 0 && ++state.bad_epochs >= o.patience) {
      state.stopped = true;
    }
    if (o.after_epoch && !o.after_epoch(record)) state.stopped = true;
    dist::together("train: checkpoint", [&] {
      if (!dist::is_root()) return;
      if (best) save_atomically(partial / "best.pt", [&](const fs::path& p) { classifier.save_weights(p); });
      save_atomically(weights_file(checkpoint_dir, epoch),
                      [&](const fs::path& p) { classifier.save_weights(p); });
      save_atomically(optimizer_file(checkpoint_dir, epoch),
                      [&](const fs::path& p) { classifier.save_optimizer(p); });
      nlohmann::json saved = {
          {"fingerprint", print},
          {"epochs_done", epoch},
          {"best_epoch", state.best_epoch},
          {"best_val_loss",
           std::isfinite(state.best_val_loss) ? nlohmann::json(state.best_val_loss) : nlohmann::json()},
          {"bad_epochs", state.bad_epochs},
          {"stopped", state.stopped},
          {"history", nlohmann::json::array()}};
      for (const auto& r : state.history) saved["history"].push_back(to_json(r));
      write_text_file(state_path, saved.dump(1) + "\n");
      write_text_file(partial / "history.jsonl", history_lines(state.history));
      fs::remove(weights_file(checkpoint_dir, epoch - 1));
      fs::remove(optimizer_file(checkpoint_dir, epoch - 1));
    });
    state.epochs_done = epoch;
  }

  TrainSummary summary;
  summary.history = state.history;
  summary.best_epoch = state.best_epoch;
  summary.stopped_early = state.stopped;
  summary.train_events = train_events;
  summary.validation_events = validation_events;
  summary.parameters = classifier.parameter_count();

  // Every rank's digest of its weights: the same on all, or the ranks have diverged.
  const std::vector<std::string> digests = dist::all_gather(weight_digest(classifier), "train: weights");
  if (std::adjacent_find(digests.begin(), digests.end(), std::not_equal_to<>()) != digests.end())
    throw InternalError(
        fmt::format("the ranks' weights differ after training: {}", nlohmann::json(digests).dump()));
  nlohmann::json info = {{"format", kModelFormat},
                         {"version", 1},
                         {"trigml_version", TRIGML_VERSION},
                         {"architecture", to_json(o.model)},
                         {"classes", data.classes()},
                         {"parameters", summary.parameters},
                         {"training",
                          {{"data", fs::absolute(dataset).lexically_normal().string()},
                           {"train_events", train_events},
                           {"validation_events", validation_events},
                           {"epochs", state.epochs_done},
                           {"best_epoch", state.best_epoch},
                           {"stopped_early", state.stopped},
                           {"batch_size", o.batch_size},
                           {"validation_fraction", o.validation_fraction},
                           {"patience", o.patience},
                           {"lr_step_epochs", o.lr_step_epochs},
                           {"lr_gamma", o.lr_gamma},
                           {"threads", o.threads},
                           {"ranks", ranks},
                           {"weight_digests", digests}}}};
  dist::together("train: model directory", [&] {
    if (!dist::is_root()) return;
    if (fs::exists(partial / "best.pt")) fs::rename(partial / "best.pt", partial / "weights.pt");
    fs::remove_all(checkpoint_dir);
    write_text_file(partial / "model.json", info.dump(2) + "\n");
    fs::rename(partial, o.out);
  });
  return summary;
}

}  // namespace trigml::train
