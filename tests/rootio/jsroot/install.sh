#!/usr/bin/env bash
# Installs the JSROOT reference reader into CACHE_DIR unless it is already there:
#   install.sh CACHE_DIR [ROOTREF_DIR]
# ROOTREF_DIR defaults to the shared tools folder next to the ROOT corpus.
set -euo pipefail
cache=$1
rootref=${2:-$(cd "$(dirname "$0")/../../.." && pwd)/../shared/tools/rootref}
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "install.sh: node and npm are needed to run JSROOT" >&2
  exit 1
fi
# Tests run in parallel: one installs, the others wait for it.
mkdir -p "$(dirname "$cache")"
exec 9>"$cache.lock"
flock 9
if [ -f "$cache/node_modules/jsroot/package.json" ] && cmp -s "$rootref/makeref.mjs" "$cache/makeref.mjs"; then
  exit 0
fi
if [ ! -f "$rootref/makeref.mjs" ]; then
  echo "install.sh: no makeref.mjs in $rootref" >&2
  exit 1
fi
mkdir -p "$cache"
cp "$rootref/makeref.mjs" "$rootref/package.json" "$rootref/package-lock.json" "$cache/"
chmod u+w "$cache"/*
# --ignore-scripts skips a native canvas build that reading files does not need.
(cd "$cache" && npm install --ignore-scripts --no-audit --no-fund >/dev/null)
