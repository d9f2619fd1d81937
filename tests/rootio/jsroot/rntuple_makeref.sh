#!/usr/bin/env bash
# Reads the RNTuples of ROOT files with JSROOT (an independent reader) and writes their reference
# JSON (one file per RNTuple) into OUT_DIR:
#   rntuple_makeref.sh CACHE_DIR ROOTREF_DIR OUT_DIR FILE.root...
# JSROOT is installed into CACHE_DIR as for makeref.sh. Exits 77 when node or jsroot cannot be had.
# The references in tests/rootio/rntuple_reference were made with
#   rntuple_makeref.sh /tmp/jsroot ../shared/tools/rootref tests/rootio/rntuple_reference \
#     ../shared/data/root/files/rntuple/*.root
set -euo pipefail
cache=$1 rootref=$2 out=$3
shift 3
"$(dirname "$0")/install.sh" "$cache" "$rootref" || exit 77
# ES modules resolve 'jsroot' next to the script: run a copy from the cache.
cp "$(dirname "$0")/rntuple_makeref.mjs" "$cache/"
node "$cache/rntuple_makeref.mjs" "$@" --out "$out"
