#include <cstdio>

#include "commands.hpp"
#include "export/export.hpp"

namespace trigml::cli {

void register_export(CLI::App& app) {
  auto* cmd = app.add_subcommand("export",
                                 "Write a trained model in a format that runs without trigml: ONNX, or C++");
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
  cmd->callback([o, model, format, out, fixed] {
    if (!fixed->empty()) o->fixed = exporter::parse_fixed_format(*fixed);
    o->model = *model;
    o->format = exporter::parse_format(*format);
    o->out = *out;
    exporter::run_export(*o);
    std::printf("exported %s to %s\n", model->c_str(), out->c_str());
  });
}

}  // namespace trigml::cli
