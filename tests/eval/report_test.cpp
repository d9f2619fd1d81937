// The report directory: metrics.json, valid PNG figures, a self-contained report.html embedding
// exactly those figures, the model as tables with rounded numbers, a page no wider than a 1280-pixel
// window in Chromium, the history reader's errors, and no partial files when writing fails.
#include "eval/report.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <sstream>

#include "common/error.hpp"
#include "common/run_command.hpp"
#include "eval/history.hpp"
#include "eval/plots.hpp"

using namespace trigml;
using namespace trigml::eval;
namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("trigml-report-test-{}-{}", ::getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // 3000 events whose true class gets a higher probability, as a trained network would give.
  static Metrics sample_metrics() {
    std::mt19937_64 random(3);
    std::normal_distribution<double> gauss;
    std::vector<int32_t> labels;
    std::vector<float> probabilities;
    for (int i = 0; i < 3000; ++i) {
      int32_t label = i % 3;
      std::array<double, 3> e{};
      double sum = 0;
      for (int k = 0; k < 3; ++k)
        sum += e[static_cast<size_t>(k)] = std::exp(gauss(random) + (k == label ? 1.5 + label : 0));
      labels.push_back(label);
      for (double v : e) probabilities.push_back(static_cast<float>(v / sum));
    }
    return evaluate(labels, probabilities, {"qcd", "ttbar", "wjets"});
  }

  static std::vector<HistoryRow> sample_history() {
    std::vector<HistoryRow> rows;
    for (int epoch = 1; epoch <= 12; ++epoch) {
      HistoryRow r;
      r.epoch = epoch;
      r.loss = 0.5 + 0.6 / epoch;
      r.accuracy = 0.85 - 0.3 / epoch;
      r.val_loss = 0.55 + 0.55 / epoch + 0.004 * epoch;
      r.val_accuracy = 0.83 - 0.3 / epoch;
      rows.push_back(r);
    }
    return rows;
  }

  // model.json of a trained inclusive model as trigml train writes it, with what trigml evaluate
  // adds; its paths are long, without a place to break them, as a deep directory tree gives.
  static nlohmann::json inclusive_model_info() {
    const std::string deep = "/data/" + std::string(120, 'd') + "/trigml-out";
    nlohmann::json info = nlohmann::json::parse(R"({
      "format": "trigml-model", "version": 1, "trigml_version": "0.9.0",
      "architecture": {"architecture": "inclusive", "hlf_features": 14, "particle_features": 19,
                       "hlf_hidden": [50, 20, 10], "recurrent_units": 50, "head_units": 25, "classes": 3,
                       "dropout": 0.2, "learning_rate": 0.001, "gradient_clip_norm": 0.0, "seed": 1},
      "classes": ["qcd", "ttbar", "wjets"], "parameters": 12353,
      "training": {"train_events": 48937, "validation_events": 5438, "epochs": 12, "best_epoch": 9,
                   "stopped_early": true, "batch_size": 128, "validation_fraction": 0.1, "patience": 3,
                   "lr_step_epochs": 2, "lr_gamma": 0.7, "threads": 2, "ranks": 1,
                   "weight_digests": ["9f0c1d2e3a4b5c6d"]},
      "layers": [
        {"name": "gru", "kind": "GRU, reset-after gates; its last step", "inputs": "19 features per particle",
         "outputs": 50, "parameters": 10650},
        {"name": "head", "kind": "dense, ReLU", "inputs": "50 (recurrent) + 14 high-level features, after dropout 0.2",
         "outputs": 25, "parameters": 1625},
        {"name": "out", "kind": "dense, softmax", "inputs": "25", "outputs": 3, "parameters": 78}],
      "inference_events_per_second": 48213.456789012345})");
    info["training"]["data"] = deep + "/prepared/train";
    info["path"] = deep + "/models/inclusive";
    info["evaluated_on"] = deep + "/prepared/test";
    return info;
  }

  fs::path dir_;
};

constexpr std::string_view kPngSignature = "\x89PNG\r\n\x1a\n";

// Width and height from the PNG's IHDR chunk (big-endian, right after the signature and the
// chunk's length and type).
std::pair<uint32_t, uint32_t> png_size(const std::string& png) {
  auto be32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(png[at + i]);
    return v;
  };
  return {be32(16), be32(20)};
}

TEST_F(ReportTest, WritesMetricsFiguresAndAPageThatEmbedsThem) {
  Metrics metrics = sample_metrics();
  nlohmann::json model_info = {{"model", "hlf"}, {"parameters", 1203}, {"note", "<b>escaped</b>"}};
  write_report(dir_ / "report", metrics, sample_history(), model_info);

  nlohmann::json j = nlohmann::json::parse(read_file(dir_ / "report/metrics.json"));
  for (const char* name : {"qcd", "ttbar", "wjets"}) {
    ASSERT_TRUE(j["auc"].contains(name)) << name;
    EXPECT_GT(j["auc"][name].get<double>(), 0.5) << name;
  }
  EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), metrics.accuracy);

  std::string html = read_file(dir_ / "report/report.html");
  for (const char* figure : {"roc.png", "roc_log.png", "confusion_matrix.png", "loss.png", "accuracy.png"}) {
    SCOPED_TRACE(figure);
    std::string png = read_file(dir_ / "report" / figure);
    ASSERT_GT(png.size(), 10000u) << "a drawn figure, not an empty image";
    EXPECT_EQ(png.substr(0, 8), kPngSignature);
    EXPECT_EQ(png_size(png), (std::pair<uint32_t, uint32_t>{900, 700}));
    // The page's copy, decoded by coreutils' base64, is the file byte for byte.
    std::string marker = fmt::format("({})</figcaption>", figure);
    size_t caption = html.find(marker);
    ASSERT_NE(caption, std::string::npos);
    std::string prefix = "data:image/png;base64,";
    size_t begin = html.rfind(prefix, caption);
    ASSERT_NE(begin, std::string::npos);
    begin += prefix.size();
    write_text(dir_ / "embedded.b64", html.substr(begin, html.find('"', begin) - begin));
    auto decoded = trigml::testing::run_command("base64 -d " + (dir_ / "embedded.b64").string() + " > " +
                                                (dir_ / "embedded.png").string());
    ASSERT_EQ(decoded.status, 0) << decoded.output;
    EXPECT_TRUE(read_file(dir_ / "embedded.png") == png);
  }
  EXPECT_EQ(html.find("<img src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos) << "no external stylesheet";
  EXPECT_NE(html.find("<style>"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;escaped&lt;/b&gt;"), std::string::npos) << "model info is escaped";
  EXPECT_NE(html.find(fmt::format("{:.4f}", metrics.classes[1].auc)), std::string::npos) << "the AUC table";
  EXPECT_NE(html.find("true \\ predicted"), std::string::npos) << "the confusion matrix";
  for (const auto& entry : fs::directory_iterator(dir_ / "report"))
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
}

TEST(ReportNumbers, AreRoundedToMeaningfulDigits) {
  EXPECT_EQ(with_thousands(0), "0");
  EXPECT_EQ(with_thousands(999), "999");
  EXPECT_EQ(with_thousands(1000), "1,000");
  EXPECT_EQ(with_thousands(12353), "12,353");
  EXPECT_EQ(with_thousands(-1234567), "-1,234,567");
  EXPECT_EQ(with_thousands(std::numeric_limits<int64_t>::min()), "-9,223,372,036,854,775,808");
  EXPECT_EQ(significant(0.0536123), "0.05361");
  EXPECT_EQ(significant(0.978712), "0.9787");
  EXPECT_EQ(significant(12.3456), "12.35");
  EXPECT_EQ(significant(12.3456, 3), "12.3");
  EXPECT_EQ(significant(0.001), "0.001");
  EXPECT_EQ(significant(999.96), "1000");
  EXPECT_EQ(significant(4321.7), "4,322");
  EXPECT_EQ(significant(48213.456789012345), "48,213");
  EXPECT_EQ(significant(std::nan("")), "nan");
  EXPECT_EQ(significant(-std::numeric_limits<double>::infinity()), "-inf");
}

TEST_F(ReportTest, TheModelReadsAsTablesWithRoundedNumbers) {
  std::vector<HistoryRow> history = sample_history();
  for (HistoryRow& r : history) {
    r.learning_rate = 0.001 * std::pow(0.7, (r.epoch - 1) / 2);
    r.seconds = 10.0 / 3.0 * r.epoch;
    r.events_per_second = 9876.54321;
  }
  write_report(dir_, sample_metrics(), history, inclusive_model_info());
  const std::string html = read_file(dir_ / "report.html");
  const std::string model = html.substr(html.find("<h2>Model</h2>"),
                                        html.find("<h2>Classification</h2>") - html.find("<h2>Model</h2>"));
  // The layers with their parameters, and the total the report adds up: the original's 12,353
  // (10,650 + 1,625 + 78, SparkDLTrigger section 4.3).
  for (const char* row :
       {"<td class=\"name\">gru</td><td class=\"text\">GRU, reset-after gates; its last step</td>"
        "<td class=\"text\">19 features per particle</td><td>50</td><td>10,650</td>",
        "<td>25</td><td>1,625</td>", "<td>3</td><td>78</td>",
        "<tr class=\"total\"><td class=\"name\" colspan=\"4\">total</td><td>12,353</td>"})
    EXPECT_NE(model.find(row), std::string::npos) << row;
  EXPECT_NE(model.find("<b>inclusive</b> classifier of 3 classes (qcd, ttbar, wjets), 12,353 parameters."),
            std::string::npos);
  // The training settings, in words.
  for (const char* text :
       {">48,937<", ">5,438 (the last 10 % of the training split)<",
        ">12 run; the weights kept are epoch 9's", "Adam, learning rate 0.001, × 0.7 every 2 epochs",
        ">after 3 epochs without a lower validation loss<", ">none<", ">2 per rank, 1 rank<",
        ">9f0c1d2e3a4b5c6d<", "48,213 events/s", "trigml 0.9.0", "trigml-model, version 1"})
    EXPECT_NE(model.find(text), std::string::npos) << text;
  // The history: one row per epoch, the kept epoch marked, 4 significant digits, whole events/s.
  // Epoch 9: loss 0.5 + 0.6/9 = 0.56667, accuracy 0.85 − 0.3/9 = 0.81667, learning rate
  // 0.001 · 0.7⁴ = 0.0002401, 30 s.
  EXPECT_NE(model.find("<tr class=\"best\"><td>9</td><td>0.5667</td><td>0.8167</td>"), std::string::npos);
  EXPECT_NE(model.find("<td>0.0002401</td><td>30</td><td>9,877</td></tr>"), std::string::npos);
  // No raw JSON, and no number with more than 4 significant digits after its decimal point
  // anywhere on the page (base64 has no '.').
  EXPECT_EQ(model.find("{\""), std::string::npos) << model;
  std::smatch long_number;
  EXPECT_FALSE(std::regex_search(html, long_number, std::regex("\\.0*[1-9][0-9]{4,}"))) << long_number.str();
}

// The page as a user sees it: rendered by headless Chromium in a window 1280 pixels wide, nothing
// on it reaches past the right edge (scripts/report-screenshot measures every element).
TEST_F(ReportTest, NothingIsWiderThanA1280PixelWindowInChromium) {
  if (trigml::testing::run_command("command -v chromium").status != 0)
    GTEST_SKIP()
        << "chromium is not installed (Debian's chromium; scripts/bootstrap installs it): the page is "
           "not rendered";
  const std::string script = std::string(TRIGML_SOURCE_DIR) + "/scripts/report-screenshot ";
  // Sixty epochs, every column filled.
  std::vector<HistoryRow> history(60, sample_history()[0]);
  for (size_t i = 0; i < history.size(); ++i) {
    history[i].epoch = static_cast<int>(i + 1);
    history[i].learning_rate = 0.001;
    history[i].seconds = 12.5;
    history[i].events_per_second = 123456.7;
  }
  write_report(dir_, sample_metrics(), history, inclusive_model_info());
  const auto report = trigml::testing::run_command(script + (dir_ / "report.html").string());
  EXPECT_EQ(report.status, 0) << report.output;
  EXPECT_NE(report.output.find("in a window 1280 px wide the page is 1280 px wide"), std::string::npos)
      << report.output;

  // The same check on a page with an unbreakable cell of 400 characters sees it.
  write_text(dir_ / "wide.html", "<!DOCTYPE html><html><body><table><tr><td>" + std::string(400, 'x') +
                                     "</td></tr></table></body></html>");
  const auto wide = trigml::testing::run_command(script + (dir_ / "wide.html").string());
  EXPECT_EQ(wide.status, 1) << wide.output;
  EXPECT_NE(wide.output.find("  td reaches "), std::string::npos) << wide.output;
}

TEST_F(ReportTest, WithoutHistoryThereAreNoTrainingCurves) {
  write_report(dir_, sample_metrics(), {}, nlohmann::json::object());
  EXPECT_TRUE(fs::exists(dir_ / "roc_log.png"));
  EXPECT_FALSE(fs::exists(dir_ / "loss.png"));
  EXPECT_NE(read_file(dir_ / "report.html").find("No training history"), std::string::npos);
}

TEST_F(ReportTest, AnUnwritableDirectoryIsAClearErrorAndLeavesNothing) {
  Metrics metrics = sample_metrics();
  write_text(dir_ / "a-file", "x");
  try {
    write_report(dir_ / "a-file" / "report", metrics, sample_history(), {});
    FAIL() << "a report under a regular file was written";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("a-file/report"), std::string::npos) << e.what();
  }
  // A directory in the place of report.html: the rename of the last file fails, and neither a
  // report.html nor a temporary file remains.
  fs::create_directories(dir_ / "blocked" / "report.html" / "occupied");
  EXPECT_THROW(write_report(dir_ / "blocked", metrics, {}, {}), IoError);
  EXPECT_TRUE(fs::is_directory(dir_ / "blocked" / "report.html"));
  for (const auto& entry : fs::directory_iterator(dir_ / "blocked"))
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
}

TEST_F(ReportTest, ReadsHistoryLines) {
  write_text(dir_ / "history.jsonl",
             "{\"epoch\":1,\"loss\":1.25,\"accuracy\":0.5,\"val_loss\":1.5,\"val_accuracy\":0.25,"
             "\"learning_rate\":0.001,\"seconds\":2.5,\"events_per_second\":4000}\n"
             "\n"
             "{\"epoch\":2,\"loss\":null,\"accuracy\":0.75,\"extra\":\"ignored\"}\n");
  auto rows = read_history(dir_ / "history.jsonl");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].epoch, 1);
  EXPECT_EQ(rows[0].loss, 1.25);
  EXPECT_EQ(rows[0].val_accuracy, 0.25);
  EXPECT_EQ(rows[0].learning_rate, 0.001);
  EXPECT_EQ(rows[0].events_per_second, 4000);
  EXPECT_EQ(rows[1].epoch, 2);
  EXPECT_TRUE(std::isnan(rows[1].loss));
  EXPECT_EQ(rows[1].accuracy, 0.75);
  EXPECT_FALSE(rows[1].val_loss.has_value());
  EXPECT_FALSE(rows[1].seconds.has_value());
}

TEST_F(ReportTest, BadHistoryLinesNameTheFileAndLine) {
  std::string good = "{\"epoch\":1,\"loss\":1.0,\"accuracy\":0.5}\n";
  struct Case {
    std::string third_line, message;
  };
  for (const Case& c :
       {Case{"{\"epoch\":3,\"loss\":", "not a JSON value"}, Case{"[1, 2]", "not a JSON object"},
        Case{"{\"epoch\":3,\"accuracy\":0.5}", "no \"loss\""},
        Case{"{\"epoch\":2.5,\"loss\":1,\"accuracy\":0.5}", "\"epoch\""},
        Case{"{\"epoch\":3,\"loss\":\"low\",\"accuracy\":0.5}", "\"loss\" is not a number"}}) {
    SCOPED_TRACE(c.third_line);
    write_text(dir_ / "history.jsonl", good + good + c.third_line + "\n");
    try {
      read_history(dir_ / "history.jsonl");
      FAIL() << "a bad line was accepted";
    } catch (const FormatError& e) {
      EXPECT_EQ(e.context().file, (dir_ / "history.jsonl").string());
      EXPECT_EQ(e.context().object, "line 3");
      EXPECT_EQ(e.context().offset, 2 * good.size());
      EXPECT_NE(e.detail().find(c.message), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(read_history(dir_ / "missing.jsonl"), IoError);
}

TEST_F(ReportTest, PlotsRejectAnEmptyHistory) {
  EXPECT_THROW(plot_history({}, HistoryQuantity::Loss), UsageError);
}

}  // namespace
