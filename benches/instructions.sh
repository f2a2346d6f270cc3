#!/bin/sh
# Instructions per branch of one scenario, counted by callgrind (stable on a
# noisy machine, unlike time): the difference between runs of N1 and N2
# branches on one thread, over N2 - N1. Extra arguments go to sim.
#
#   benches/instructions.sh target/release/sim tests/fixtures/korea-v1/historical.toml --no-base
#   benches/instructions.sh target/release/sim scenarios/pow_compromise.toml      (paired with its base)
set -eu
BIN=$1 FILE=$2
shift 2
N1=${N1:-1000} N2=${N2:-6000}
refs() {
  n=$1
  shift
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN" "$FILE" -n "$n" -j 1 --format json "$@" 2>&1 >/dev/null |
    sed -n 's/.*refs: *//p' | tr -d ,
}
a=$(refs "$N1" "$@")
b=$(refs "$N2" "$@")
echo "$FILE $*: $(( (b - a) / (N2 - N1) )) instructions per branch"
