#!/usr/bin/env bash
# The score and serve figures of docs/performance.md, with the trigml program on generated inputs:
#   bench/serve_figures.sh BUILD_DIR [EVENTS_PER_FILE]
# score: events/s on one thread (CPU time, model loading included) over the three generated files
# listed five times; serve: throughput while busy with events produced as fast as possible, then the
# latency from a message's timestamp to its decision's acknowledgement with events produced at
# 1,000 events/s (LATENCY_RATE), for the micro-batch settings given in SERVE_SETTINGS, the events in
# FORMAT (json or protobuf; default json).
set -euo pipefail
build=$(realpath "${1:?usage: bench/serve_figures.sh BUILD_DIR [EVENTS_PER_FILE]}")
events=${2:-400}
trigml=$build/bin/trigml
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
for p in ttbar:1 wjets:2 qcd:3; do
  "$trigml" generate --process "${p%:*}" --events "$events" --seed "${p#*:}" --out "${p%:*}.root" >/dev/null 2>&1
done
"$trigml" ingest --class ttbar=ttbar.root --class wjets=wjets.root --class qcd=qcd.root --out ingested >/dev/null 2>&1
"$trigml" prepare ingested --out prepared >/dev/null 2>&1
"$trigml" train prepared --model inclusive --epochs 1 --out model >/dev/null 2>&1
for _ in 1 2 3 4 5; do printf '%s\n' "$work/ttbar.root" "$work/wjets.root" "$work/qcd.root"; done >inputs.txt

echo "== score, 1 thread"
/usr/bin/time -f "cpu %U+%S s, wall %e s" "$trigml" score model @inputs.txt --threads 1 --out scores.parquet 2>&1 |
  grep -v '^{'

"$trigml" broker >broker.out 2>/dev/null &
pids+=($!)
for _ in $(seq 50); do grep -q '^bootstrap: ' broker.out && break; sleep 0.1; done
brokers=$(sed -n 's/^bootstrap: //p' broker.out)

serve_run() {  # label, produce rate (0: as fast as possible), serve options...
  local label=$1 rate=$2
  shift 2
  local topic="events-$label" group="bench-$label"
  # A first serve waits for the topic (created by a first event) and settles the group, so that the
  # measured run starts with its partitions assigned; it stops before the measured events.
  "$trigml" serve model --brokers "$brokers" --group "$group" --input-topic "$topic" "$@" 2>/dev/null &
  local serve=$!
  pids+=($serve)
  timeout -s INT 0.5 "$trigml" produce "$work/qcd.root" --brokers "$brokers" --topic "$topic" --rate 10 >/dev/null || true
  sleep 8
  kill -TERM "$serve"
  wait "$serve" || true
  "$trigml" serve model --brokers "$brokers" --group "$group" --input-topic "$topic" "$@" 2>"serve-$label.log" &
  serve=$!
  pids+=($serve)
  sleep 8  # joined the group
  "$trigml" produce @inputs.txt --brokers "$brokers" --topic "$topic" --rate "$rate" --format "${FORMAT:-json}" >/dev/null
  sleep 3
  kill -TERM "$serve"
  wait "$serve" || true
  echo "== serve $label ($*), ${FORMAT:-json} produced at ${rate} events/s (0: as fast as possible)"
  tail -n 2 "serve-$label.log"
}
serve_run saturation 0 --batch-size 256 --max-wait-ms 5
serve_run latency "${LATENCY_RATE:-1000}" ${SERVE_SETTINGS:---batch-size 16 --max-wait-ms 1}
