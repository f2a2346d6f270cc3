#!/bin/sh
# Instructions per branch of one scenario, counted by callgrind (stable on a
# noisy machine, unlike time): the difference between runs of N1 and N2
# branches on one thread, over N2 - N1. Extra arguments go to sim.
#
#   benches/instructions.sh target/release/sim tests/fixtures/korea-v1/historical.toml --no-base
#   benches/instructions.sh target/release/sim scenarios/pow_compromise.toml      (paired with its base)
#
# Valgrind does not decode AVX-512. On a machine that has it, a default
# build (.cargo/config.toml: tuned for this processor) uses it, so count a
# build for x86-64-v3 (AVX2) instead:
#
#   RUSTFLAGS="-C target-cpu=x86-64-v3" CARGO_TARGET_DIR=target/v3 cargo build --release
#   benches/instructions.sh target/v3/release/sim ../shared/peers/historical-v1.toml --no-base
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
