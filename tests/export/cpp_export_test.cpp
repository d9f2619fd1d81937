// `trigml export --format cpp`: the generated header and source compile stand-alone as C++17 with
// the system compiler, allocate nothing, and score the test split as trigml does (float within
// 1e-5); the fixed-point type rounds and saturates as its comment says (hand-computed values).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>

#include "common/error.hpp"
#include "common/files.hpp"
#include "eval/roc.hpp"
#include "export/export.hpp"
#include "export/export_fixture.hpp"
#include "export/network.hpp"
#include "export/quantization.hpp"
#include "interop/peers.hpp"

using namespace trigml;
namespace fs = std::filesystem;
using trigml::testing::quote;
using trigml::testing::run_command;

namespace {

// Scores raw inputs (hlf.f32 [N, 14], particles.f32 [Σ n, 19], lengths.i32 [N]) with the generated
// predict() event by event and writes probabilities.f32.
constexpr const char* kDriver = R"(#include <cstdio>
#include <cstdint>
#include <vector>
#include "trigml_model.hpp"
template <class T> std::vector<T> load(const char* name) {
  std::vector<T> out;
  if (FILE* f = std::fopen(name, "rb")) {
    T v;
    while (std::fread(&v, sizeof v, 1, f) == 1) out.push_back(v);
    std::fclose(f);
  }
  return out;
}
int main() {
  using namespace trigml_model;
  const auto hlf = load<float>("hlf.f32");
  const auto particles = load<float>("particles.f32");
  const auto lengths = load<int32_t>("lengths.i32");
  std::vector<float> out(lengths.size() * kClasses);
  size_t row = 0;
  for (size_t i = 0; i < lengths.size(); ++i) {
    predict(&hlf[i * kHlfFeatures], reinterpret_cast<const float (*)[kParticleFeatures]>(&particles[row * kParticleFeatures]),
            lengths[i], &out[i * kClasses]);
    row += static_cast<size_t>(lengths[i]);
  }
  FILE* f = std::fopen("probabilities.f32", "wb");
  std::fwrite(out.data(), sizeof(float), out.size(), f);
  return std::fclose(f) == 0 ? 0 : 1;
}
)";

constexpr const char* kCompile = "c++ -std=c++17 -O2 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror";

template <class T>
void write_raw(const fs::path& file, const std::vector<T>& values) {
  std::ofstream out(file, std::ios::binary);
  out.write(reinterpret_cast<const char*>(values.data()),
            static_cast<std::streamsize>(values.size() * sizeof(T)));
}

fs::path generated(const std::string& architecture, const std::string& flags) {
  const fs::path dir =
      trigml::testing::train_work_dir() / ("cpp-" + architecture + (flags.empty() ? "" : "-fixed"));
  const auto r = run_command(std::string(TRIGML_CLI) + " export " +
                             quote(trigml::testing::trained_model(architecture).string()) +
                             " --format cpp --out " + quote(dir.string()) + " " + flags);
  EXPECT_EQ(r.status, 0) << r.output;
  return dir;
}

// The generated code's probabilities for the test split.
std::vector<float> generated_probabilities(const fs::path& dir) {
  const auto& block = trigml::testing::padded_test_split().block;
  write_raw(dir / "hlf.f32", block.hlf);
  write_raw(dir / "particles.f32", block.particles);
  std::vector<int32_t> lengths;
  for (size_t i = 0; i < block.size(); ++i) lengths.push_back(static_cast<int32_t>(block.length(i)));
  write_raw(dir / "lengths.i32", lengths);
  std::ofstream(dir / "driver.cpp") << kDriver;
  auto r = run_command("cd " + quote(dir.string()) + " && " + kCompile +
                       " -c trigml_model.cpp -o trigml_model.o && " + kCompile +
                       " driver.cpp trigml_model.o -o driver && ./driver");
  EXPECT_EQ(r.status, 0) << r.output;
  const auto bytes = trigml::testing::file_contents(dir / "probabilities.f32");
  std::vector<float> out(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
  return out;
}

double largest_difference(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double largest = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    largest = std::max(largest, std::abs(double(a[i]) - double(b[i])));
  return a.size() == b.size() ? largest : INFINITY;
}

class CppExport : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (run_command("c++ --version").status != 0) GTEST_SKIP() << "no system C++ compiler (c++)";
  }
};

}  // namespace

TEST_P(CppExport, CompilesStandAloneAllocatesNothingAndScoresAsTrigmlDoes) {
  const auto dir = generated(GetParam(), "");
  const auto probabilities = generated_probabilities(dir);
  EXPECT_LT(largest_difference(probabilities, trigml::testing::trigml_probabilities(
                                                  trigml::testing::trained_model(GetParam()))),
            1e-5);
  // Only the standard library, and nothing from the heap: no allocation function is referenced.
  const auto includes = run_command("grep -h '^#include' " + quote((dir / "trigml_model.hpp").string()) +
                                    " " + quote((dir / "trigml_model.cpp").string()));
  EXPECT_EQ(includes.output, "#include \"trigml_model.hpp\"\n#include <cmath>\n#include <cstdint>\n");
  const auto symbols = run_command("nm -u " + quote((dir / "trigml_model.o").string()));
  ASSERT_EQ(symbols.status, 0) << symbols.output;
  for (const char* allocation : {"malloc", "calloc", "realloc", "_Znwm", "_Znam"})
    EXPECT_EQ(symbols.output.find(allocation), std::string::npos) << allocation << " in\n" << symbols.output;
}

TEST_P(CppExport, FixedPointStaysNearFloatAtWideTypes) {
  const auto fixed = generated_probabilities(generated(GetParam(), "--fixed 24,8"));
  const auto reference = trigml::testing::trigml_probabilities(trigml::testing::trained_model(GetParam()));
  // 16 fraction bits: each rounding is at most 2^-17; the probabilities move by far less than 1e-2.
  const double difference = largest_difference(fixed, reference);
  EXPECT_LT(difference, 1e-2);
  EXPECT_GT(difference, 0.0);  // and it is fixed point, not float
}

// The quantisation scan's emulation is the generated fixed-point code: the same probabilities.
TEST_P(CppExport, ScanEmulationGivesTheGeneratedFixedPointCodesProbabilities) {
  const auto generated_fixed = generated_probabilities(generated(GetParam(), "--fixed 12,5"));
  auto classifier =
      train::load_classifier(train::read_model_directory(trigml::testing::trained_model(GetParam())));
  const auto network = exporter::network_from_parameters(classifier.config(), classifier.parameters());
  const exporter::FixedNetwork fixed(network, {12, 5});
  const auto& block = trigml::testing::padded_test_split().block;
  std::vector<float> emulated(block.size() * 3);
  for (size_t i = 0; i < block.size(); ++i)
    fixed.probabilities(std::span(block.hlf).subspan(i * block.hlf_features, block.hlf_features),
                        std::span(block.particles)
                            .subspan(static_cast<size_t>(block.particle_offsets[i]) * block.particle_features,
                                     static_cast<size_t>(block.length(i)) * block.particle_features),
                        block.length(i), std::span(emulated).subspan(i * 3, 3));
  EXPECT_LT(largest_difference(emulated, generated_fixed), 1e-6);
  // 12 bits move the probabilities visibly: the comparison is not float against float.
  EXPECT_GT(largest_difference(
                emulated, trigml::testing::trigml_probabilities(trigml::testing::trained_model(GetParam()))),
            1e-4);
}

INSTANTIATE_TEST_SUITE_P(Architectures, CppExport, ::testing::ValuesIn(trigml::testing::kArchitectures),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           std::string name = param_info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// Fixed<16, 6>: 10 fraction bits (resolution 2^-10 = 0.0009765625), range [-32, 32 - 2^-10].
TEST(CppExportFixed, RoundsToNearestTiesUpAndSaturates) {
  if (run_command("c++ --version").status != 0) GTEST_SKIP() << "no system C++ compiler (c++)";
  const auto dir = generated("hlf", "--fixed 16,6");
  std::ofstream(dir / "fixed_check.cpp") << R"(#include <cstdio>
#include "trigml_model.cpp"
int main() {
  using trigml_model::Number;
  const double lsb = 0.0009765625;
  const double values[] = {
      Number(100.0).to_float(), Number(-100.0).to_float(),           // saturation
      Number(lsb / 2).to_float(), Number(-lsb / 2).to_float(),       // ties toward +infinity
      Number(0.3).to_float(),                                        // nearest: 307 / 1024
      (Number(3.0) * Number(20.0)).to_float(), (Number(20.0) + Number(20.0)).to_float(),
      (Number(-20.0) - Number(20.0)).to_float(),
      (Number(0.5) * Number(lsb)).to_float(), (Number(-0.5) * Number(lsb)).to_float(),
      (Number(1.5) * Number(-2.25)).to_float()};
  for (double v : values) std::printf("%.10f\n", v);
}
)";
  const auto r = run_command("cd " + quote(dir.string()) + " && " + kCompile +
                             " fixed_check.cpp -o fixed_check && ./fixed_check");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output,
            "31.9990234375\n-32.0000000000\n0.0009765625\n0.0000000000\n0.2998046875\n31.9990234375\n31."
            "9990234375\n"
            "-32.0000000000\n0.0009765625\n0.0000000000\n-3.3750000000\n");
}

TEST(CppExportFixed, RefusesFormatsItCannotRepresent) {
  EXPECT_THROW(exporter::parse_fixed_format("16"), UsageError);
  EXPECT_THROW(exporter::parse_fixed_format("32,8"), UsageError);
  EXPECT_THROW(exporter::parse_fixed_format("8,9"), UsageError);
  EXPECT_EQ(exporter::parse_fixed_format("18,8").total, 18);
}

TEST(QuantizationScan, ReportsEveryWidthAgainstFloat) {
  const fs::path out = trigml::testing::train_work_dir() / "scan";
  const auto r =
      run_command(std::string(TRIGML_CLI) + " export " +
                  quote(trigml::testing::trained_model("hlf").string()) + " --quantization-scan " +
                  quote(trigml::testing::export_dataset().string()) + " --out " + quote(out.string()));
  ASSERT_EQ(r.status, 0) << r.output;
  const auto report = nlohmann::json::parse(trigml::testing::file_contents(out / "quantization.json"));
  ASSERT_EQ(report.at("widths").size(), 17u);
  EXPECT_EQ(report.at("widths").front().at("total"), 8);
  EXPECT_EQ(report.at("widths").back().at("total"), 24);
  // The float AUCs are those of trigml evaluate's metrics (the same probabilities, the same ROC code).
  const auto events = trigml::testing::padded_test_split();
  const auto probabilities = trigml::testing::trigml_probabilities(trigml::testing::trained_model("hlf"));
  for (size_t k = 0; k < 3; ++k) {
    std::vector<float> scores;
    std::vector<uint8_t> positive;
    for (size_t i = 0; i < events.block.size(); ++i) {
      scores.push_back(probabilities[i * 3 + k]);
      positive.push_back(events.block.labels[i] == static_cast<int32_t>(k));
    }
    EXPECT_DOUBLE_EQ(report.at("float_auc").at(k).get<double>(), eval::roc_auc(scores, positive));
  }
  // Narrow types move the probabilities far more than wide ones; 24 bits is nearly float.
  const double narrow = report.at("widths").front().at("largest_probability_difference");
  const double wide = report.at("widths").back().at("largest_probability_difference");
  EXPECT_GT(narrow, 100 * wide);
  EXPECT_LT(wide, 1e-4);
  const auto html = trigml::testing::file_contents(out / "index.html");
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("Fixed&lt;24, 6&gt;"), std::string::npos);
  EXPECT_FALSE(fs::exists(out.string() + ".partial"));
}
