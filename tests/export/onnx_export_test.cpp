// `trigml export --format onnx`: every architecture's graph passes ONNX's own checker (Python,
// full_check) and ONNX Runtime scores the test split, zero-padded to its longest event, as trigml
// does; with the scaling folded in, raw features give the same.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>

#include "common/error.hpp"
#include "common/files.hpp"
#include "export/export.hpp"
#include "export/export_fixture.hpp"
#include "export/onnx.hpp"
#include "interop/peers.hpp"

using namespace trigml;
namespace fs = std::filesystem;
using trigml::testing::quote;
using trigml::testing::run_command;

namespace {

template <class T>
void write_raw(const fs::path& file, const std::vector<T>& values) {
  std::ofstream out(file, std::ios::binary);
  out.write(reinterpret_cast<const char*>(values.data()),
            static_cast<std::streamsize>(values.size() * sizeof(T)));
}

std::vector<float> read_floats(const fs::path& file) {
  const auto bytes = trigml::testing::file_contents(file);
  std::vector<float> out(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
  return out;
}

fs::path exported(const std::string& architecture, const std::string& flags = "") {
  const fs::path out =
      trigml::testing::train_work_dir() / (architecture + (flags.empty() ? "" : "-folded") + ".onnx");
  const auto r =
      run_command(std::string(TRIGML_CLI) + " export " + quote(trigml::testing::trained_model(architecture)) +
                  " --format onnx --out " + quote(out.string()) + " " + flags);
  EXPECT_EQ(r.status, 0) << r.output;
  return out;
}

// ONNX Runtime's probabilities for these inputs.
std::vector<float> onnx_runtime(const fs::path& model, const trigml::testing::PaddedEvents& events,
                                const std::vector<float>& hlf, const std::vector<float>& particles) {
  const fs::path dir = model.parent_path() / (model.stem().string() + "-run");
  fs::create_directories(dir);
  write_raw(dir / "hlf.f32", hlf);
  write_raw(dir / "particles.f32", particles);
  write_raw(dir / "sequence_lens.i32", events.lengths);
  const auto r = run_command("node " + quote((trigml::testing::kInterop / "onnx_run.mjs").string()) + " " +
                             quote(model.string()) + " " + quote(dir.string()) + " " +
                             std::to_string(events.events) + " " + std::to_string(events.steps));
  EXPECT_EQ(r.status, 0) << r.output;
  return read_floats(dir / "probabilities.f32");
}

void expect_close(const std::vector<float>& onnx, const std::vector<float>& trigml, const std::string& what) {
  ASSERT_EQ(onnx.size(), trigml.size()) << what;
  double largest = 0;
  for (size_t i = 0; i < onnx.size(); ++i) largest = std::max(largest, std::abs(double(onnx[i]) - trigml[i]));
  EXPECT_LT(largest, 1e-5) << what;
}

class OnnxExport : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!exporter::onnx_available()) GTEST_SKIP() << "built without ONNX (TRIGML_WITH_ONNX=OFF)";
  }
};

}  // namespace

TEST_P(OnnxExport, PassesOnnxsFullCheck) {
  if (run_command("/usr/bin/python3 -c 'import onnx'").status != 0)
    GTEST_SKIP() << "Python's onnx (python3-onnx) is not installed";
  const auto model = exported(GetParam());
  const auto r =
      run_command("/usr/bin/python3 -c " +
                  quote("import onnx, sys\n"
                        "m = onnx.load(sys.argv[1])\n"
                        "onnx.checker.check_model(m, full_check=True)\n"
                        "print(m.opset_import[0].version, ' '.join(i.name for i in m.graph.input), "
                        "m.graph.output[0].name,\n"
                        "      dict((p.key, p.value) for p in m.metadata_props)['trigml.classes'])\n") +
                  " " + quote(model.string()));
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string inputs = GetParam() == "hlf"         ? "hlf"
                             : GetParam() == "particles" ? "particles sequence_lens"
                                                         : "hlf particles sequence_lens";
  EXPECT_EQ(r.output, "17 " + inputs + " probabilities qcd,ttbar,wjets\n");
}

TEST_P(OnnxExport, OnnxRuntimeScoresTheTestSplitAsTrigmlDoes) {
  if (!trigml::testing::onnxruntime_available())
    GTEST_SKIP() << "onnxruntime-node is not installed (tests/interop/install)";
  const auto events = trigml::testing::padded_test_split();
  ASSERT_GT(events.events, 20u);
  // Padding enters the batch: most events are much shorter than the longest.
  ASSERT_LT(*std::min_element(events.lengths.begin(), events.lengths.end()),
            static_cast<int32_t>(events.steps));
  const auto onnx = onnx_runtime(exported(GetParam()), events, events.hlf, events.particles);
  expect_close(onnx, trigml::testing::trigml_probabilities(trigml::testing::trained_model(GetParam())),
               GetParam());
}

TEST_P(OnnxExport, FoldedScalingTakesRawFeatures) {
  if (!trigml::testing::onnxruntime_available())
    GTEST_SKIP() << "onnxruntime-node is not installed (tests/interop/install)";
  const auto events = trigml::testing::padded_test_split();
  // The raw features back from the prepared ones through preprocessing.json's scalers.
  const auto pre = train::read_model_directory(trigml::testing::trained_model(GetParam())).preprocessing;
  std::vector<float> hlf = events.hlf, particles = events.particles;
  const auto& hlf_scalers = pre.at("high_level_features");
  for (size_t i = 0; i < hlf.size(); ++i) {
    const auto& s = hlf_scalers.at(i % hlf_scalers.size());
    const double lo = s.at("min"), hi = s.at("max");
    hlf[i] = static_cast<float>(hi == lo ? lo : lo + hlf[i] * (hi - lo));
  }
  const auto& particle_scalers = pre.at("particle_features");
  for (size_t i = 0; i < particles.size(); ++i) {
    const auto& s = particle_scalers.at(i % particle_scalers.size());
    particles[i] = static_cast<float>(s.at("mean").get<double>() + particles[i] * s.at("std").get<double>());
  }
  const auto onnx = onnx_runtime(exported(GetParam(), "--fold-scaling"), events, hlf, particles);
  expect_close(onnx, trigml::testing::trigml_probabilities(trigml::testing::trained_model(GetParam())),
               GetParam());
}

INSTANTIATE_TEST_SUITE_P(Architectures, OnnxExport, ::testing::ValuesIn(trigml::testing::kArchitectures),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           std::string name = param_info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(Export, RefusesADirectoryThatIsNoModelAndWritesNothing) {
  const fs::path dir = trigml::testing::train_work_dir() / "not-a-model";
  fs::create_directories(dir);
  const fs::path out = trigml::testing::train_work_dir() / "nothing.onnx";
  exporter::ExportOptions o;
  o.model = dir;
  o.out = out;
  EXPECT_THROW(exporter::run_export(o), UsageError);
  EXPECT_FALSE(fs::exists(out));
  EXPECT_THROW(exporter::parse_format("tflite"), UsageError);
}
