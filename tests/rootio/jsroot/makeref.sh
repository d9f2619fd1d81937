#!/usr/bin/env bash
# Reads a ROOT file with JSROOT (an independent reader) and writes its reference JSON:
#   makeref.sh CACHE_DIR ROOTREF_DIR FILE.root OUT_DIR
# CACHE_DIR receives a copy of ROOTREF_DIR (makeref.mjs and its pinned package.json) and jsroot,
# installed there by npm on first use. Exits 77 when node or jsroot cannot be had, so that callers
# can skip rather than fail.
set -euo pipefail
cache=$1 rootref=$2 file=$3 out=$4
"$(dirname "$0")/install.sh" "$cache" "$rootref" || exit 77
node "$cache/makeref.mjs" "$file" --out "$out"
