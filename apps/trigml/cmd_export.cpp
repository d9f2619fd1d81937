#include <cstdio>

#include "commands.hpp"
#include "export/export.hpp"

namespace trigml::cli {

void register_export(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "export",
      "Write a trained model in a format that runs without trigml (ONNX, C++), or scan fixed-point widths");
  auto o = std::make_shared<exporter::ExportOptions>();
  auto model = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("onnx");
  auto out = std::make_shared<std::string>();
  cmd->add_option("model", *model, "Model directory (trigml train)")->required();
  auto fixed = std::make_shared<std::string>();
  cmd->add_option("--format", *format, "onnx (default) or cpp (one header and one source, C++17)");
  cmd->add_option("--out", *out, "onnx: the .onnx file to write; cpp: the directory")->required();
  cmd->add_option("--name", o->name, "cpp: the files' base name and namespace (default trigml_model)");
  cmd->add_option("--fixed", *fixed,
                  "cpp: TOTAL,INTEGER fixed-point arithmetic (ap_fixed-like, round to nearest, saturate)");
  cmd->add_flag("--fold-scaling", o->fold_scaling,
                "onnx: apply preprocessing.json's scalers inside the graph (raw features in)");
  cmd->add_option(
      "--quantization-scan", o->quantization_scan,
      "Instead of exporting: AUC and probability changes of Fixed<8..24, INTEGER> against float on "
      "this prepared dataset's test split; --out is the report directory");
  cmd->add_option("--scan-integer-bits", o->scan_integer_bits,
                  "--quantization-scan: the integer bits (sign included) of every width (default 6)");
  cmd->callback([o, model, format, out, fixed] {
    if (!fixed->empty()) o->fixed = exporter::parse_fixed_format(*fixed);
    o->model = *model;
    o->format = exporter::parse_format(*format);
    o->out = *out;
    exporter::run_export(*o);
    if (o->quantization_scan.empty())
      std::printf("exported %s to %s\n", model->c_str(), out->c_str());
    else
      std::printf("quantisation scan of %s in %s/index.html\n", model->c_str(), out->c_str());
  });
}

}  // namespace trigml::cli
