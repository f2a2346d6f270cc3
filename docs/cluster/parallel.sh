#!/bin/bash
# The same run in N parts on one machine (or several, with parallel -S),
# with GNU parallel, then the merge.
# Usage: SCENARIO=... BRANCHES=... SEED=... N=8 RESULT=result.json docs/cluster/parallel.sh
set -euo pipefail
mkdir -p parts
seq "$N" | parallel --halt now,fail=1 -j "${JOBS:-2}" \
  sim run "$SCENARIO" --no-base -n "$BRANCHES" --seed "$SEED" -j 1 --shard "{}/$N" -o "parts/part-{}.json"
sim merge parts/part-*.json -o "$RESULT"
