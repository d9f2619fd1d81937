#!/usr/bin/env bash
# The export benchmarks (docs/performance.md, "Export"): trains small hlf and inclusive models (the
# weights do not change the cost), exports them as C++ (float and Fixed<16, 6>) and ONNX, times one
# event through the generated C++ at 30 and 300 particles, and ONNX Runtime's throughput on the
# exported inclusive model beside trigml's own inference (bench/model_bench, same machine, same run).
# Usage: bench/export/run.sh BUILD_DIR   (needs trigml and model_bench built, tests/interop installed)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
trigml=$build/bin/trigml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
for p in ttbar:1 wjets:2 qcd:3; do
  "$trigml" generate --process "${p%:*}" --events 300 --seed "${p#*:}" --out "${p%:*}.root" >/dev/null
done
"$trigml" ingest --class ttbar=ttbar.root --class wjets=wjets.root --class qcd=qcd.root --out ingested --threads 2 >/dev/null 2>&1
"$trigml" prepare ingested --out prepared --threads 2 >/dev/null 2>&1
cxx="${CXX:-c++} -std=c++17 -O3 -DNDEBUG"
echo "compiler: $(${CXX:-c++} --version | head -1), flags: -std=c++17 -O3"
for model in hlf inclusive; do
  "$trigml" train prepared --model "$model" --epochs 1 --out "m-$model" >/dev/null 2>&1
  for number in float fixed16; do
    flags=""
    if [ "$number" = fixed16 ]; then flags="--fixed 16,6"; fi
    "$trigml" export "m-$model" --format cpp --out "$model-$number" $flags >/dev/null
    $cxx -I "$model-$number" "$here/latency.cpp" "$model-$number/trigml_model.cpp" -o "$model-$number/latency"
    for n in 30 300; do echo "$model $number $("$model-$number/latency" "$n")"; done
  done
done
"$trigml" export m-inclusive --format onnx --out inclusive.onnx >/dev/null
node "$here/onnx_throughput.mjs" inclusive.onnx
"$build/bench/model_bench" --benchmark_filter='BM_Inference/inclusive/' 2>/dev/null | grep BM_Inference
