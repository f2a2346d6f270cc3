#!/bin/bash
# Submits a run of SCENARIO in N parts to Slurm, and the merge after them.
# Usage: SCENARIO=scenarios/historical.toml BRANCHES=1000000000 SEED=1950 \
#        N=100 RESULT=result.json docs/cluster/submit.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p parts
export SCENARIO BRANCHES SEED RESULT
parts=$(sbatch --parsable --array="1-$N" --export=ALL "$here/sim-parts.sbatch")
sbatch --parsable --dependency="afterok:$parts" --export=ALL "$here/sim-merge.sbatch"
