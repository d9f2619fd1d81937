#!/usr/bin/python3
"""Reading a jagged branch of the ingestion benchmark's input into numpy through Python, next to
the C++ reader alone, in the same run (docs/performance.md, "Python module").

The input is ingest_bench's generated tt̄ file ($TMPDIR/trigml-bench/ttbar-10000-zlib.root: 10,000
events, pileup 20, zlib), which ingest_bench makes when it is missing. The C++ side is
ingest_bench's read_jagged_branch (Tree::read of EFlowTrack.PT over every entry); the Python side
is tree.array("EFlowTrack.PT"), which makes the same call and hands the column to numpy. Both
with glibc's allocator as it comes, then both with trigml.keep_freed_memory_for_reuse() (the
command line's setting; it cannot be undone, so it comes second).

Usage: PYTHONPATH=build/python bench/python_read_bench.py [BUILD_DIR] (run under the build lock)
"""

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trigml

BRANCH = "EFlowTrack.PT"
REPETITIONS = 5


def python_times(path, runs):
    tree = trigml.open(str(path))["Delphes"]
    tree.array(BRANCH)  # warm: the file's pages and the allocator
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        jagged = tree.array(BRANCH)
        times.append(time.perf_counter() - start)
        del jagged
    return times


def cpp_times(build, variant):
    out = subprocess.run([str(build / "bench" / "ingest_bench"), f"--benchmark_filter=read_jagged_branch/{variant}$",
                          "--benchmark_min_time=1", f"--benchmark_repetitions={REPETITIONS}",
                          "--benchmark_format=json"], capture_output=True, text=True, check=True)
    runs = [b for b in json.loads(out.stdout)["benchmarks"] if b.get("run_type") == "iteration"]
    return [b["real_time"] / 1e3 for b in runs]  # milliseconds -> seconds


def main():
    build = Path(sys.argv[1] if len(sys.argv) > 1 else "build")
    path = Path(tempfile.gettempdir()) / "trigml-bench" / "ttbar-10000-zlib.root"
    for variant in ("zlib_default_allocator", "zlib_reuse_freed_memory"):
        if variant == "zlib_reuse_freed_memory":
            trigml.keep_freed_memory_for_reuse()
        # Alternated, so that both sides see the same machine state; the C++ side first, since
        # ingest_bench generates the input when it is missing.
        cpp, python = [], []
        for _ in range(2):
            cpp += cpp_times(build, variant)
            python += python_times(path, 5 * REPETITIONS)
        tree = trigml.open(str(path))["Delphes"]
        items = len(tree.array(BRANCH).content)
        c, p = statistics.median(cpp), statistics.median(python)
        print(f"{variant}: {BRANCH}, {tree.num_entries} entries, {items} values")
        print(f"  C++ Tree::read           median {c * 1e3:8.2f} ms over {len(cpp)} runs")
        print(f"  Python tree.array        median {p * 1e3:8.2f} ms over {len(python)} runs")
        print(f"  Python overhead          {100 * (p / c - 1):+.1f} %")


if __name__ == "__main__":
    main()
