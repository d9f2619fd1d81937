// `trigml tune`: space files (the issue's form, bad spaces refused before anything trains), the grid's
// enumeration, successive halving's rung arithmetic worked by hand, and searches on a tiny hlf
// dataset: the number of trials, ASHA's decisions for a fixed seed recomputed from the recorded
// validation losses, trials.parquet as DuckDB reads it, and best/.
#include <gtest/gtest.h>
#include <signal.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "../train/fixture.hpp"
#include "common/error.hpp"
#include "common/mpi.hpp"
#include "common/run_command.hpp"
#include "interop/peers.hpp"
#include "train/model_dir.hpp"
#include "tune/asha.hpp"
#include "tune/report.hpp"
#include "tune/space.hpp"
#include "tune/tuner.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace trigml::tune;
using trigml::UsageError;

namespace {

const char* kIssueExample = R"([params]
learning_rate = { log_uniform = [1e-4, 1e-2] }
dropout = { uniform = [0.0, 0.5] }
hlf_hidden = { choice = [[50, 20, 10], [100, 50], [32]] }
batch_size = { choice = [64, 128, 256] }
)";

// The message of the UsageError that parsing `text` throws ("" if none).
std::string refusal(const std::string& text) {
  try {
    parse_space(text, "space.toml");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(Space, ReadsTheIssuesFormInNameOrder) {
  const Space space = parse_space(kIssueExample, "space.toml");
  ASSERT_EQ(space.parameters.size(), 4u);
  EXPECT_EQ(space.parameters[0].name, "batch_size");
  EXPECT_EQ(space.parameters[1].name, "dropout");
  EXPECT_EQ(space.parameters[2].name, "hlf_layers");  // hlf_hidden is train's --hlf-layers
  EXPECT_EQ(space.parameters[3].name, "learning_rate");
  EXPECT_EQ(space.parameters[3].distribution, Distribution::LogUniform);
  EXPECT_EQ(space.parameters[3].low, 1e-4);
  EXPECT_EQ(space.parameters[2].choices[1], json({100, 50}));
  EXPECT_EQ(grid_size(space), 0u);  // continuous ranges
}

TEST(Space, SamplesStayInTheirRangesAndLogUniformIsUniformInTheLogarithm) {
  const Space space = parse_space(kIssueExample, "space.toml");
  trigml::Random random(5);
  int below_1e3 = 0;
  const int draws = 4000;
  for (int i = 0; i < draws; ++i) {
    const Assignment p = sample_point(space, random);
    const double rate = p.at("learning_rate").get<double>(), dropout = p.at("dropout").get<double>();
    ASSERT_GE(rate, 1e-4);
    ASSERT_LT(rate, 1e-2);
    ASSERT_GE(dropout, 0.0);
    ASSERT_LT(dropout, 0.5);
    const int batch = p.at("batch_size").get<int>();
    ASSERT_TRUE(batch == 64 || batch == 128 || batch == 256);
    if (rate < 1e-3) ++below_1e3;
  }
  // log10 uniform on [-4, -2]: half the draws below 1e-3 (binomial sd = sqrt(4000)/2 ≈ 32).
  EXPECT_NEAR(below_1e3, draws / 2, 160);
}

TEST(Space, GridTakesEveryChoiceLastParameterFastest) {
  const Space space =
      parse_space("[params]\nbatch_size = { choice = [64, 100] }\ndropout = { choice = [0.0, 0.1, 0.2] }\n",
                  "space.toml");
  const auto points = grid_points(space);
  ASSERT_EQ(points.size(), 6u);
  EXPECT_EQ(grid_size(space), 6u);
  EXPECT_EQ(points[0], json({{"batch_size", 64}, {"dropout", 0.0}}));
  EXPECT_EQ(points[1], json({{"batch_size", 64}, {"dropout", 0.1}}));
  EXPECT_EQ(points[5], json({{"batch_size", 100}, {"dropout", 0.2}}));
}

TEST(Space, TheOriginalsGridIs243Points) {
  const Space space = load_space(fs::path(TRIGML_SOURCE_DIR) / "configs" / "tune-original-grid.toml");
  EXPECT_EQ(grid_size(space), 243u);  // 3 batch sizes × 3 epoch counts × 27 layer triples
  EXPECT_EQ(grid_points(space).size(), 243u);
}

TEST(Space, BadSpacesAreRefusedWithTheirReason) {
  EXPECT_NE(
      refusal("[params]\nlearning_rat = { uniform = [0.1, 0.2] }\n").find("unknown parameter 'learning_rat'"),
      std::string::npos);
  EXPECT_NE(refusal("[params]\ndropout = { uniform = [0.3, 0.3] }\n").find("is empty"), std::string::npos);
  EXPECT_NE(refusal("[params]\ndropout = { uniform = [0.4, 0.1] }\n").find("is empty"), std::string::npos);
  EXPECT_NE(refusal("[params]\nlearning_rate = { log_uniform = [0, 0.1] }\n").find("low > 0"),
            std::string::npos);
  EXPECT_NE(refusal("[params]\nbatch_size = { choice = [] }\n").find("non-empty"), std::string::npos);
  EXPECT_NE(refusal("[params]\nbatch_size = { choice = [64.5] }\n").find("expected an integer"),
            std::string::npos);
  EXPECT_NE(refusal("[params]\ndropout = { choice = [1.5] }\n").find("--dropout must be in [0, 1)"),
            std::string::npos);
  EXPECT_NE(refusal("[params]\nhlf_layers = { uniform = [1, 5] }\n").find("choice only"), std::string::npos);
  EXPECT_NE(refusal("[params]\ndropout = { normal = [0, 1] }\n").find("unknown form 'normal'"),
            std::string::npos);
  EXPECT_NE(refusal("[params]\n").find("no parameters"), std::string::npos);
  EXPECT_NE(refusal("[search]\n").find("unknown key 'search'"), std::string::npos);
  EXPECT_NE(refusal("[params\n").find("invalid TOML"), std::string::npos);
  EXPECT_NE(refusal("[params]\nvalidation_fraction = { choice = [0.1, 0.2] }\n").find("unknown parameter"),
            std::string::npos);
  try {
    grid_points(parse_space("[params]\ndropout = { uniform = [0.0, 0.5] }\n", "space.toml"));
    ADD_FAILURE() << "a grid over a continuous range was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("continuous range"), std::string::npos) << e.what();
  }
}

// The report's parallel-coordinates axes: every choice is categorical, its values at their place in
// the space file's list (numbers too: learning rates a decade apart are evenly spaced steps), a
// log-uniform range logarithmic, a uniform one linear.
TEST(Space, ChoicesAreCategoricalAxesAndRangesKeepTheirScale) {
  const Space space = parse_space(
      "[params]\nlearning_rate = { choice = [1e-3, 3e-3, 1e-2] }\nbatch_size = { choice = [64, 128, 256] }\n"
      "hlf_layers = { choice = [[50, 20, 10], [32]] }\ndropout = { uniform = [0.0, 0.5] }\n"
      "recurrent_units = { log_uniform = [10, 100] }\n",
      "space.toml");
  std::map<std::string, trigml::eval::ParallelAxis> axes;
  const std::map<std::string, std::vector<json>> values = {
      {"learning_rate", {0.01, 0.001, 0.003}},
      {"batch_size", {256, 64, 64}},
      {"hlf_layers", {json::array({32}), json::array({50, 20, 10}), json::array({32})}},
      {"dropout", {0.25, 0.0, 0.5}},
      {"recurrent_units", {10, 31, 100}}};
  for (const auto& p : space.parameters) axes[p.name] = parallel_axis(p, values.at(p.name));
  EXPECT_EQ(axes["learning_rate"].labels, (std::vector<std::string>{"0.001", "0.003", "0.01"}));
  EXPECT_EQ(axes["learning_rate"].values, (std::vector<double>{2, 0, 1}));
  EXPECT_EQ(axes["batch_size"].labels, (std::vector<std::string>{"64", "128", "256"}));
  EXPECT_EQ(axes["batch_size"].values, (std::vector<double>{2, 0, 0}));
  EXPECT_EQ(axes["hlf_layers"].labels, (std::vector<std::string>{"[50,20,10]", "[32]"}));
  EXPECT_EQ(axes["hlf_layers"].values, (std::vector<double>{1, 0, 1}));
  EXPECT_TRUE(axes["dropout"].labels.empty());
  EXPECT_FALSE(axes["dropout"].log);
  EXPECT_EQ(axes["dropout"].values, (std::vector<double>{0.25, 0.0, 0.5}));
  EXPECT_TRUE(axes["recurrent_units"].labels.empty());
  EXPECT_TRUE(axes["recurrent_units"].log);
  EXPECT_EQ(axes["recurrent_units"].values, (std::vector<double>{10, 31, 100}));
}

TEST(Asha, RungsAreMinTimesEtaToTheKBelowTheMaximum) {
  EXPECT_EQ(rung_epochs({1, 3, 9}), (std::vector<int>{1, 3}));
  EXPECT_EQ(rung_epochs({1, 3, 10}), (std::vector<int>{1, 3, 9}));
  EXPECT_EQ(rung_epochs({2, 2, 16}), (std::vector<int>{2, 4, 8}));
  EXPECT_THROW(rung_epochs({3, 3, 3}), UsageError);
  EXPECT_THROW(rung_epochs({1, 1, 9}), UsageError);
}

TEST(Asha, ATrialGoesOnOnlyAmongTheBestFloorNOverEtaOfItsRung) {
  SuccessiveHalving asha({1, 2, 8});      // rungs at epochs 1, 2, 4
  EXPECT_TRUE(asha.decide(0, 1, 0.50));   // first at rung 1: n = 1, keep max(1, 0) = 1
  EXPECT_TRUE(asha.decide(0, 3, 0.10));   // epoch 3 is no rung
  EXPECT_FALSE(asha.decide(1, 1, 0.60));  // n = 2, keep 1: 0.50 is better, so rank 2
  EXPECT_TRUE(asha.decide(2, 1, 0.40));   // n = 3, keep 1: best so far, rank 1
  EXPECT_TRUE(asha.decide(3, 1, 0.45));   // n = 4, keep 2: only 0.40 is better, rank 2
  EXPECT_FALSE(asha.decide(4, 1, 0.50));  // n = 5, keep 2: 0.40, 0.45 and (tie, earlier) 0.50 rank before
  EXPECT_TRUE(asha.decide(2, 2, 0.30));   // rung 2, first
  EXPECT_FALSE(asha.decide(3, 2, 0.35));  // n = 2, keep 1
  EXPECT_FALSE(asha.decide(1, 1, 0.01));  // asked again (a resumed trial): the decision made stands
  EXPECT_EQ(asha.decisions().size(), 7u);
}

// A tiny prepared dataset and a fresh tune directory.
fs::path tiny_data() {
  return trigml::testing::prepared_dataset(300);
}

fs::path fresh(const std::string& name) {
  const fs::path dir = trigml::testing::train_work_dir() / name;
  fs::remove_all(dir);
  return dir;
}

fs::path write_space(const fs::path& dir, const std::string& text) {
  fs::create_directories(dir);
  const fs::path file = dir / "space.toml";
  std::ofstream(file) << text;
  return file;
}

TuneOptions tiny_search(const fs::path& work, const std::string& space, Strategy strategy) {
  TuneOptions o;
  o.out = work / "tune";
  o.space_file = write_space(work, space);
  o.base.data = tiny_data();
  o.base.model.architecture = trigml::model::Architecture::Hlf;
  o.base.max_events = 400;
  o.base.validation_fraction = 0.25;
  o.base.patience = 0;
  o.base.shuffle_buffer = 256;
  o.strategy = strategy;
  o.max_epochs = 1;
  o.progress = false;
  return o;
}

json duckdb(const std::string& sql) {
  using trigml::testing::kInterop;
  using trigml::testing::quote;
  const auto result = trigml::testing::run_command("node " + quote((kInterop / "duckdb_query.mjs").string()) +
                                                   " " + quote(sql));
  try {
    return json::parse(result.output);
  } catch (const json::exception&) {
    ADD_FAILURE() << "DuckDB failed: " << result.output;
    return json::array();
  }
}

TEST(Tune, GridRunsEveryPointAndDuckDbReadsTrialsParquet) {
  const fs::path work = fresh("grid");
  TuneOptions o = tiny_search(
      work, "[params]\nbatch_size = { choice = [32, 64] }\nhlf_layers = { choice = [[8], [16, 8]] }\n",
      Strategy::Grid);
  const TuneSummary summary = run_tune(o);
  ASSERT_EQ(summary.trials.size(), 4u);
  EXPECT_EQ(summary.epochs_trained, 4u);
  for (const auto& t : summary.trials) {
    EXPECT_EQ(t.status, TrialStatus::Completed);
    EXPECT_EQ(t.seed, 1u + static_cast<uint64_t>(t.trial));
    EXPECT_TRUE(fs::exists(trial_dir(o.out, t.trial) / "model.json"));
  }
  EXPECT_EQ(summary.trials[3].params, json({{"batch_size", 64}, {"hlf_layers", {16, 8}}}));
  // best/ is the model directory of the lowest validation loss.
  double lowest = INFINITY;
  int best = -1;
  for (const auto& t : summary.trials)
    if (t.best_val_loss() < lowest) lowest = t.best_val_loss(), best = t.trial;
  EXPECT_EQ(summary.best_trial, best);
  EXPECT_EQ(trigml::train::read_text_file(o.out / "best" / "history.jsonl"),
            trigml::train::read_text_file(trial_dir(o.out, best) / "history.jsonl"));
  // The report: both figures as 900 × 700 PNGs, beside the page and embedded in it, and a ranking row
  // per trial, the best first.
  for (const char* figure : {"parallel_coordinates.png", "learning_curves.png"}) {
    const std::string png = trigml::train::read_text_file(o.out / figure);
    ASSERT_GT(png.size(), 24u) << figure;
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << figure;
    const auto be32 = [&](size_t at) {
      return static_cast<uint32_t>(static_cast<unsigned char>(png[at])) << 24 |
             static_cast<uint32_t>(static_cast<unsigned char>(png[at + 1])) << 16 |
             static_cast<uint32_t>(static_cast<unsigned char>(png[at + 2])) << 8 |
             static_cast<uint32_t>(static_cast<unsigned char>(png[at + 3]));
    };
    EXPECT_EQ(be32(16), 900u) << figure;  // IHDR width, height
    EXPECT_EQ(be32(20), 700u) << figure;
  }
  const std::string html = trigml::train::read_text_file(o.out / "report.html");
  size_t images = 0;
  for (size_t at = 0; (at = html.find("data:image/png;base64,", at)) != std::string::npos; ++at) ++images;
  EXPECT_EQ(images, 2u);
  EXPECT_NE(html.find(fmt::format("<tr><td>1</td><td>{}</td>", best)), std::string::npos);
  EXPECT_NE(html.find("<tr><td>4</td>"), std::string::npos);

  if (!trigml::testing::duckdb_available())
    GTEST_SKIP() << "DuckDB's Node.js package is not installed (tests/interop/install)";
  const std::string file = (o.out / "trials.parquet").string();
  const json rows = duckdb(
      "SELECT trial, epoch, status, val_loss, val_accuracy, seconds, param_batch_size, "
      "param_hlf_layers FROM read_parquet('" +
      file + "') ORDER BY trial");
  ASSERT_EQ(rows.size(), 4u) << rows.dump();
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& t = summary.trials[i];
    EXPECT_EQ(rows[i].at("trial"), t.trial);
    EXPECT_EQ(rows[i].at("epoch"), 1);
    EXPECT_EQ(rows[i].at("status"), "completed");
    EXPECT_NEAR(rows[i].at("val_loss").get<double>(), t.history[0].val_loss, 1e-12);
    EXPECT_NEAR(rows[i].at("val_accuracy").get<double>(), t.history[0].val_accuracy, 1e-12);
    EXPECT_GT(rows[i].at("seconds").get<double>(), 0.0);
    // DuckDB's JSON rows carry BIGINT as text.
    const json& batch = rows[i].at("param_batch_size");
    EXPECT_EQ(batch.is_string() ? std::stoll(batch.get<std::string>()) : batch.get<int64_t>(),
              t.params.at("batch_size").get<int64_t>());
    EXPECT_EQ(json::parse(rows[i].at("param_hlf_layers").get<std::string>()), t.params.at("hlf_layers"));
  }
}

TEST(Tune, RandomRunsTrialsSeededAndRefusesBadSearchesBeforeTraining) {
  const fs::path work = fresh("random");
  TuneOptions o =
      tiny_search(work, "[params]\nlearning_rate = { log_uniform = [1e-3, 1e-2] }\n", Strategy::Random);
  o.trials = 3;
  o.seed = 11;
  const TuneSummary summary = run_tune(o);
  ASSERT_EQ(summary.trials.size(), 3u);
  EXPECT_NE(summary.trials[0].params, summary.trials[1].params);
  for (const auto& t : summary.trials) {
    // Trial i's point is the seed's draw for i: the same in any search with that seed.
    EXPECT_EQ(t.params, trial_point(load_space(o.space_file), 11, t.trial));
    const double rate = t.params.at("learning_rate").get<double>();
    EXPECT_GE(rate, 1e-3);
    EXPECT_LT(rate, 1e-2);
    EXPECT_EQ(t.seed, 11u + static_cast<uint64_t>(t.trial));
  }

  // Refused before any trial: nothing is created.
  const auto refused = [&](TuneOptions bad, const std::string& space, const std::string& expected) {
    bad.out = work / "refused";
    bad.space_file = write_space(work / "bad", space);
    try {
      run_tune(bad);
      ADD_FAILURE() << "accepted: " << space;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(bad.out));
  };
  TuneOptions grid = o;
  grid.strategy = Strategy::Grid;
  grid.trials = 5;
  refused(grid, "[params]\nbatch_size = { choice = [32, 64, 128] }\ndropout = { choice = [0.0, 0.1] }\n",
          "the grid has 6 points, more than --trials 5");
  refused(grid, "[params]\ndropout = { uniform = [0.0, 0.1] }\n", "continuous range");
  refused(o, "[params]\nrecurrent_units = { choice = [8, 16] }\n", "does not change model hlf");
  refused(o, "[params]\nbogus = { choice = [8, 16] }\n", "unknown parameter 'bogus'");
  TuneOptions asha = o;
  asha.strategy = Strategy::Asha;
  refused(asha, "[params]\ndropout = { choice = [0.0, 0.1] }\n",
          "asha needs --max-epochs (1) above --min-epochs (1)");
  asha.max_epochs = 3;
  refused(asha, "[params]\nepochs = { choice = [1, 2] }\n", "remove 'epochs'");
  TuneOptions no_validation = o;
  no_validation.base.validation_fraction = 0;
  refused(no_validation, "[params]\ndropout = { choice = [0.0] }\n", "--validation-fraction must be above 0");
  // An existing tune directory is not overwritten.
  try {
    run_tune(o);
    ADD_FAILURE() << "an existing tune directory was reused";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("already exists"), std::string::npos) << e.what();
  }
}

TEST(Tune, AshaStopsTheTrialsBehindTheirRungForAFixedSeed) {
  const fs::path work = fresh("asha");
  TuneOptions o =
      tiny_search(work, "[params]\nlearning_rate = { log_uniform = [1e-4, 3e-2] }\n", Strategy::Asha);
  o.trials = 6;
  o.seed = 4;
  o.max_epochs = 3;
  o.min_epochs = 1;
  o.reduction_factor = 3;  // one rung, at epoch 1
  const TuneSummary summary = run_tune(o);
  ASSERT_EQ(summary.trials.size(), 6u);
  // The rule, recomputed from the recorded epoch-1 losses in trial order: trial i goes on iff fewer
  // than max(1, ⌊n/3⌋) of the n − 1 earlier ones have a loss ≤ its own.
  std::vector<double> rung;
  int pruned = 0;
  uint64_t epochs = 0;
  for (const auto& t : summary.trials) {
    ASSERT_FALSE(t.history.empty());
    const double score = t.history[0].val_loss;
    size_t better = 0;
    for (double s : rung) better += s <= score ? 1 : 0;
    rung.push_back(score);
    const size_t kept = std::max<size_t>(1, rung.size() / 3);
    const bool keep = better < kept;
    EXPECT_EQ(t.status, keep ? TrialStatus::Completed : TrialStatus::Pruned) << "trial " << t.trial;
    EXPECT_EQ(t.history.size(), keep ? 3u : 1u) << "trial " << t.trial;
    pruned += keep ? 0 : 1;
    epochs += t.history.size();
  }
  EXPECT_EQ(summary.epochs_trained, epochs);
  EXPECT_GE(pruned, 1);  // the arithmetic prunes at least trial 1 or 2 (n = 2, 3 keep one)
  EXPECT_LT(epochs, 6u * 3u);
}

// --sampler grid: ASHA over the grid's points takes each once, in the sampler seed's order, with the
// grid search's seed for it; a trial it does not stop is the grid search's training of that point, epoch
// for epoch.
TEST(Tune, AshaOverTheGridRunsTheGridsOwnTrainingsAndStopsSome) {
  const fs::path work = fresh("asha-grid");
  const std::string space =
      "[params]\nlearning_rate = { choice = [1e-4, 1e-3, 1e-2] }\nbatch_size = { choice = [32, 64] }\n";
  TuneOptions grid = tiny_search(work / "grid", space, Strategy::Grid);
  grid.max_epochs = 3;
  grid.seed = 5;
  const TuneSummary full = run_tune(grid);
  ASSERT_EQ(full.trials.size(), 6u);

  TuneOptions asha = tiny_search(work / "asha", space, Strategy::Asha);
  asha.sampler = Sampler::Grid;
  asha.max_epochs = 3;
  asha.seed = 5;          // the grid's trainings
  asha.sampler_seed = 9;  // in this order
  const TuneSummary search = run_tune(asha);
  ASSERT_EQ(search.trials.size(), 6u);  // --trials 0: every point
  const auto order = grid_order(6, 9);
  EXPECT_NE(order, std::vector<uint64_t>({0, 1, 2, 3, 4, 5})) << "the seed shuffles the grid";
  std::set<std::string> points;
  int stopped = 0;
  for (const auto& t : search.trials) {
    const auto& same = full.trials[order[static_cast<size_t>(t.trial)]];
    EXPECT_EQ(t.params, same.params) << "trial " << t.trial;
    EXPECT_EQ(t.seed, same.seed) << "trial " << t.trial;
    points.insert(t.params.dump());
    ASSERT_LE(t.history.size(), same.history.size());
    for (size_t e = 0; e < t.history.size(); ++e)
      EXPECT_EQ(t.history[e].val_loss, same.history[e].val_loss) << "trial " << t.trial << " epoch " << e;
    stopped += t.status == TrialStatus::Pruned ? 1 : 0;
  }
  EXPECT_EQ(points.size(), 6u);
  EXPECT_GE(stopped, 1);
  EXPECT_LT(search.epochs_trained, full.epochs_trained);

  // Refused before training: a range, or more trials than points.
  TuneOptions ranged = asha;
  ranged.out = work / "refused";
  ranged.space_file = write_space(work / "ranged", "[params]\ndropout = { uniform = [0.0, 0.1] }\n");
  EXPECT_THROW(
      {
        try {
          run_tune(ranged);
        } catch (const UsageError& e) {
          EXPECT_NE(std::string(e.what()).find("--sampler grid takes the grid's points"), std::string::npos)
              << e.what();
          throw;
        }
      },
      UsageError);
  TuneOptions too_many = asha;
  too_many.out = work / "refused";
  too_many.trials = 7;
  EXPECT_THROW(run_tune(too_many), UsageError);
  EXPECT_FALSE(fs::exists(work / "refused"));
}

}  // namespace

namespace {

const std::string kCli = TRIGML_CLI;

json read_json(const fs::path& file) {
  return json::parse(trigml::train::read_text_file(file));
}

TEST(TuneCli, AKilledSearchResumesWithoutRerunningFinishedTrials) {
  const fs::path work = fresh("kill");
  const fs::path space = write_space(work, "[params]\nbatch_size = { choice = [32, 64] }\n");
  const auto arguments = [&](const fs::path& out) {
    return fmt::format(
        "{} tune {} --model hlf --space {} --strategy grid --max-epochs 30 --max-events 400 "
        "--validation-fraction 0.25 "
        "--patience 0 --out {}",
        kCli, tiny_data().string(), space.string(), out.string());
  };
  const fs::path reference = work / "reference", killed = work / "killed";
  const auto uninterrupted = trigml::testing::run_command("timeout 300 " + arguments(reference));
  ASSERT_EQ(uninterrupted.status, 0) << uninterrupted.output;

  // Killed while trial 1 trains, once it has a checkpoint (trial 0 is then finished).
  const fs::path state = trial_dir(killed, 1).string() + ".partial/checkpoint/state.json";
  {
    trigml::testing::Background run(arguments(killed), work / "killed.log");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (std::chrono::steady_clock::now() < deadline) {
      if (fs::exists(state)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_TRUE(fs::exists(state)) << run.output();
    ::kill(run.pid(), SIGKILL);
    ASSERT_EQ(run.wait(std::chrono::seconds(30)), 128 + SIGKILL) << run.output();
  }
  const int checkpointed = read_json(state).at("epochs_done").get<int>();
  ASSERT_GE(checkpointed, 1);
  ASSERT_LT(checkpointed, 30) << "trial 1 finished before the kill";
  const json before = read_json(killed / "tune.json");
  ASSERT_EQ(before.at("trials")[0].at("status"), "completed");
  ASSERT_EQ(before.at("trials")[1].at("status"), "running");
  const auto finished_stamp = fs::last_write_time(trial_dir(killed, 0) / "model.json");

  const auto resumed = trigml::testing::run_command("timeout 300 " + arguments(killed) + " --resume");
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  // Trial 0 was not trained again; trial 1 went on from its checkpoint: the epochs before it keep the
  // times measured before the kill, and every loss is the uninterrupted search's.
  EXPECT_EQ(fs::last_write_time(trial_dir(killed, 0) / "model.json"), finished_stamp);
  const json after = read_json(killed / "tune.json"), expected = read_json(reference / "tune.json");
  ASSERT_EQ(after.at("trials").size(), 2u);
  for (size_t t = 0; t < 2; ++t) {
    const auto& got = after.at("trials")[t].at("history");
    const auto& want = expected.at("trials")[t].at("history");
    EXPECT_EQ(after.at("trials")[t].at("status"), "completed");
    ASSERT_EQ(got.size(), 30u);
    for (size_t e = 0; e < got.size(); ++e)
      EXPECT_EQ(got[e].at("val_loss").get<double>(), want[e].at("val_loss").get<double>())
          << "trial " << t << " epoch " << e + 1;
  }
  for (int e = 0; e < checkpointed; ++e)
    EXPECT_EQ(after.at("trials")[1].at("history")[static_cast<size_t>(e)].at("seconds"),
              before.at("trials")[1].at("history")[static_cast<size_t>(e)].at("seconds"));
  EXPECT_TRUE(fs::exists(killed / "best" / "model.json"));
}

}  // namespace

namespace {

std::vector<double> val_losses(const json& tune_state, size_t trial) {
  std::vector<double> out;
  for (const auto& r : tune_state.at("trials")[trial].at("history"))
    out.push_back(r.at("val_loss").get<double>());
  return out;
}

TEST(TuneCli, WorkerProcessesTrainTheTrialsOfOneProcess) {
  const fs::path work = fresh("workers");
  const fs::path space = write_space(
      work, "[params]\nbatch_size = { choice = [32, 64] }\nhlf_layers = { choice = [[8], [12]] }\n");
  const auto arguments = [&](const fs::path& out) {
    return fmt::format(
        "timeout 300 {} tune {} --model hlf --space {} --strategy grid --max-epochs 2 --max-events 400 "
        "--validation-fraction 0.25 --patience 0 --out {}",
        kCli, tiny_data().string(), space.string(), out.string());
  };
  const auto one = trigml::testing::run_command(arguments(work / "one"));
  ASSERT_EQ(one.status, 0) << one.output;
  const auto two = trigml::testing::run_command(arguments(work / "two") + " --workers 2");
  ASSERT_EQ(two.status, 0) << two.output;
  const json expected = read_json(work / "one" / "tune.json"), got = read_json(work / "two" / "tune.json");
  ASSERT_EQ(got.at("trials").size(), 4u);
  std::map<int, size_t> position;  // trials are recorded in the order they started
  for (size_t i = 0; i < got.at("trials").size(); ++i)
    position[got.at("trials")[i].at("trial").get<int>()] = i;
  for (size_t t = 0; t < 4; ++t) {
    const size_t at = position.at(static_cast<int>(t));
    EXPECT_EQ(got.at("trials")[at].at("status"), "completed");
    EXPECT_EQ(got.at("trials")[at].at("params"), expected.at("trials")[t].at("params"));
    EXPECT_EQ(val_losses(got, at), val_losses(expected, t)) << "trial " << t;
  }
  EXPECT_TRUE(fs::exists(work / "two" / "best" / "model.json"));
  // The ranking names the best trial of the one-process search.
  EXPECT_NE(two.output.find("best: trial"), std::string::npos) << two.output;
}

}  // namespace

namespace {

// With two workers the trials reach the rung in an order set by timing; the decisions, in the order
// recorded, must still follow the rule, and each trial's epochs its decision.
TEST(TuneCli, AshaWithTwoWorkersDecidesByTheRuleInArrivalOrder) {
  const fs::path work = fresh("asha-workers");
  const fs::path space = write_space(work, "[params]\nlearning_rate = { log_uniform = [1e-4, 3e-2] }\n");
  const auto run = trigml::testing::run_command(fmt::format(
      "timeout 300 {} tune {} --model hlf --space {} --strategy asha --trials 6 --seed 4 --max-epochs 3 "
      "--max-events 400 --validation-fraction 0.25 --patience 0 --workers 2 --out {}",
      kCli, tiny_data().string(), space.string(), (work / "tune").string()));
  ASSERT_EQ(run.status, 0) << run.output;
  const json state = read_json(work / "tune" / "tune.json");
  ASSERT_EQ(state.at("decisions").size(), 6u);  // every trial reaches the one rung, epoch 1
  std::vector<double> arrived;
  std::map<int, bool> kept;
  for (const auto& d : state.at("decisions")) {
    EXPECT_EQ(d.at("epoch"), 1);
    const double score = d.at("score").get<double>();
    size_t better = 0;
    for (double s : arrived) better += s <= score ? 1 : 0;
    arrived.push_back(score);
    EXPECT_EQ(d.at("keep").get<bool>(), better < std::max<size_t>(1, arrived.size() / 3)) << d.dump();
    kept[d.at("trial").get<int>()] = d.at("keep").get<bool>();
  }
  ASSERT_EQ(state.at("trials").size(), 6u);
  for (const auto& t : state.at("trials")) {
    const bool keep = kept.at(t.at("trial").get<int>());
    EXPECT_EQ(t.at("status"), keep ? "completed" : "pruned");
    EXPECT_EQ(t.at("history").size(), keep ? 3u : 1u);
    EXPECT_EQ(t.at("history")[0].at("val_loss"), [&] {
      for (const auto& d : state.at("decisions"))
        if (d.at("trial") == t.at("trial")) return d.at("score");
      return json();
    }());
  }
}

}  // namespace
