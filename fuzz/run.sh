#!/usr/bin/env bash
# Runs the fuzz targets for a while each: fuzz/run.sh [SECONDS] [TARGET...]
# (default 300 s; all targets). Needs nightly and cargo-fuzz:
#   rustup toolchain install nightly && cargo install cargo-fuzz
# Corpora start from fuzz/seeds and the repository's scenarios; crashes
# land in fuzz/artifacts/TARGET/ (turn each into a regression test).
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-300}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(expr scenario shortcuts)
mkdir -p corpus/expr corpus/scenario corpus/shortcuts
cp -n seeds/expr/* corpus/expr/
for f in ../scenarios/*.toml ../tests/fixtures/*.toml ../tests/fixtures/korea-v1/*.toml; do
  cp -n "$f" "corpus/scenario/$(basename "$(dirname "$f")")-$(basename "$f")"
done
head -c 64 /dev/zero > corpus/shortcuts/zero
status=0
for t in "${targets[@]}"; do
  echo "== $t for ${seconds}s"
  log="fuzz-$t.log"
  dict=()
  [ -f "dict/$t.dict" ] && dict=(-dict="dict/$t.dict")
  if ! cargo +nightly fuzz run "$t" "corpus/$t" -- \
      "${dict[@]}" -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
    echo "FAILED: see fuzz/$log and fuzz/artifacts/$t/"
    status=1
  fi
  grep -E "^stat::(number_of_executed_units|peak_rss_mb)|panicked|SUMMARY" "$log" || true
done
exit $status
