#!/bin/sh
# Instructions our parser executes in one pass over the bench corpus, counted by valgrind's
# cachegrind: a deterministic figure, for changes too small to time on a machine whose speed drifts.
# One pass is the difference between a process that parses the corpus HIGH times and one that
# parses it LOW times, divided by HIGH - LOW (start-up, loading and the JIT's warm-up cancel out;
# LOW is 12 because the JIT is still settling in the first passes).
#
# Usage: bench/count-instructions.sh [file-list.json] [LOW] [HIGH]
#   file-list.json: written by `npm run bench` (default .bench/files-ours-parse.json, the corpus of
#   the last run; `npm run bench -- --quick` writes the 8 MB corpus's: about 5 minutes here).
# Needs valgrind (Debian: apt-get install valgrind). --single-threaded keeps the JIT on the main
# thread, so the counts repeat from run to run (within about 1%).
set -eu
list=${1:-.bench/files-ours-parse.json}
low=${2:-12}
high=${3:-20}
if ! command -v valgrind >/dev/null 2>&1; then
  echo "count-instructions: valgrind is not installed (apt-get install valgrind)" >&2
  exit 2
fi
if [ ! -f "$list" ]; then
  echo "count-instructions: $list not found: run npm run bench (or npm run bench -- --quick) first" >&2
  exit 2
fi
count() {
  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
    node --single-threaded --import tsx bench/workers/measure.ts ours-parse "$list" "$1" 2>&1 >/dev/null |
    sed -n 's/.*I *refs: *//p' | tr -d ,
}
a=$(count "$low")
b=$(count "$high")
echo "instructions per pass: $(((b - a) / (high - low))) ($list; $low passes: $a, $high passes: $b)"
