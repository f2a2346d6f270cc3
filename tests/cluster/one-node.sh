#!/bin/bash
# Runs the documented cluster recipes for real and checks that each gives
# output byte-identical to the single run:
#   1. docs/cluster/submit.sh on a one-node Slurm cluster (munge, slurmctld
#      and slurmd started here, on loopback, with their own configuration
#      and state in WORK), a job array of parts and a dependent merge job;
#   2. docs/cluster/parallel.sh with GNU parallel.
# Usage: tests/cluster/one-node.sh WORK   (with `sim` on PATH, run as root)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$1"
mkdir -p "$work"/{state,spool,log}
cd "$work"
host="$(hostname)"
conf="$work/slurm.conf"
cat > "$conf" <<CONF
ClusterName=simtest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$conf"

# munge: the key comes with the package; start the daemon if it is not up.
if ! munge -n >/dev/null 2>&1; then
  mkdir -p /run/munge && chown munge:munge /run/munge
  su -s /bin/sh munge -c /usr/sbin/munged
  sleep 1
fi
cleanup() { scontrol shutdown >/dev/null 2>&1 || true; }
trap cleanup EXIT
slurmctld
slurmd
for _ in $(seq 30); do
  sinfo -h -o %T 2>/dev/null | grep -q idle && break
  sleep 1
done
sinfo

scenario="$root/tests/fixtures/korea-v1/historical.toml"
sim run "$scenario" --no-base -n 20000 --seed 7 -o single.json

# 1. Slurm: an array of 4 parts and a merge that waits for them.
SCENARIO="$scenario" BRANCHES=20000 SEED=7 N=4 RESULT="$work/slurm.json" \
  "$root/docs/cluster/submit.sh"
for _ in $(seq 120); do
  [ -s slurm.json ] && ! squeue -h | grep -q . && break
  sleep 1
done
squeue || true
cmp single.json slurm.json
echo "slurm: merged output is byte-identical to the single run"

# 2. GNU parallel: 5 parts.
rm -rf parts
SCENARIO="$scenario" BRANCHES=20000 SEED=7 N=5 RESULT="$work/parallel.json" \
  "$root/docs/cluster/parallel.sh"
cmp single.json parallel.json
echo "parallel: merged output is byte-identical to the single run"
