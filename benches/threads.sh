#!/bin/sh
# Two threads against one, on a shared machine: runs `sim FILE -j 1` and
# `-j 2` alternately ROUNDS times (same branches, same seed) and compares
# the fastest of each. Another tenant only ever slows a run down, so the
# fastest run is the closest to the machine's own speed. Extra arguments
# go to sim. Give it enough branches that a run takes seconds: the fixed
# cost of a run (reading, compiling, starting the threads, printing: about
# 10 ms) is 2% of a 1-thread run of the first edition at 1 000 000 branches,
# and twice that share of a 2-thread run.
#
#   benches/threads.sh target/release/sim tests/fixtures/korea-v1/historical.toml --no-base
#   N=300000 benches/threads.sh target/release/sim scenarios/historical.toml --no-base
set -eu
BIN=$1 FILE=$2
shift 2
N=${N:-4000000} ROUNDS=${ROUNDS:-5}
best1= best2=
secs() {
  t=$1
  shift
  s=$(date +%s%N)
  "$BIN" "$FILE" -n "$N" -j "$t" --format json "$@" >/dev/null
  echo $(( $(date +%s%N) - s ))
}
i=0
while [ "$i" -lt "$ROUNDS" ]; do
  a=$(secs 1 "$@")
  b=$(secs 2 "$@")
  if [ -z "$best1" ] || [ "$a" -lt "$best1" ]; then best1=$a; fi
  if [ -z "$best2" ] || [ "$b" -lt "$best2" ]; then best2=$b; fi
  i=$((i + 1))
done
echo "$FILE $*: fastest of $ROUNDS, $N branches: 1 thread $((best1 / 1000000)) ms, 2 threads $((best2 / 1000000)) ms," \
  "speed-up $(awk "BEGIN { printf \"%.2f\", $best1 / $best2 }")x"
