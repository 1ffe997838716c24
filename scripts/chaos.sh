#!/usr/bin/env bash
# Long chaos runs, one after another: scripts/chaos.sh [runs=1] [fault-seconds=300] [seed]
# Each run is tests/Chronik.Cluster.Chaos's chaos test (three chronik-server processes, kill -9 /
# SIGSTOP / clean restarts of random nodes while librdkafka producers and a group consumer run, then
# the checker) with a fault phase of fault-seconds. Without a seed every run draws its own; with one,
# run i uses seed+i-1, so `scripts/chaos.sh 1 300 <seed>` replays a failing run's fault schedule.
# Prints one summary line per run and a total; exits 1 if any run failed. Each run's full output is in
# artifacts/chaos/<time>/run-<i>.log; a failed run keeps its broker logs and data (path in the line).
set -uo pipefail
cd "$(dirname "$0")/.."

runs=${1:-1}
seconds=${2:-300}
seed=${3:-}
is_number() { [[ "$1" =~ ^[0-9]+$ ]]; }
is_number "$runs" && [ "$runs" -ge 1 ] || { echo "usage: $0 [runs>=1] [fault-seconds>=60] [seed]" >&2; exit 2; }
is_number "$seconds" && [ "$seconds" -ge 60 ] || { echo "fault-seconds must be a whole number >= 60 (the issue asks for at least 60 s)" >&2; exit 2; }
[ -z "$seed" ] || is_number "$seed" || { echo "seed must be a non-negative whole number" >&2; exit 2; }

echo "[chaos.sh] building (Release)"
dotnet build tests/Chronik.Cluster.Chaos -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null || {
  echo "[chaos.sh] build failed: dotnet build tests/Chronik.Cluster.Chaos -c Release" >&2
  exit 1
}

out="artifacts/chaos/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
figures="$(pwd)/$out/figures.txt"
: >"$figures"
# A run that neither finishes nor fails within its fault phase plus ten minutes is hung: dotnet test dumps and kills it.
hang_timeout="$((seconds + 600))s"

passed=0
for ((i = 1; i <= runs; i++)); do
  if [ -n "$seed" ]; then
    run_seed=$((seed + i - 1))
  else
    run_seed=$(((RANDOM << 15) | RANDOM))
  fi
  log="$out/run-$i.log"
  lines_before=$(wc -l <"$figures")
  CHRONIK_CHAOS_SECONDS=$seconds CHRONIK_CHAOS_SEED=$run_seed CHRONIK_CHAOS_FIGURES=$figures \
    dotnet test tests/Chronik.Cluster.Chaos -c Release --no-build -nologo \
    --filter "FullyQualifiedName~Every_acknowledged_record_survives" \
    --logger "console;verbosity=detailed" --blame-hang-timeout "$hang_timeout" >"$log" 2>&1
  status=$?
  if [ "$(wc -l <"$figures")" -gt "$lines_before" ]; then
    line=$(tail -n 1 "$figures")
  else
    line="FAIL seed=$run_seed: no figures written (exit $status)"
  fi
  if [ $status -eq 0 ] && [[ "$line" == PASS* ]]; then
    passed=$((passed + 1))
  else
    kept=$(grep -o 'run directory kept: [^ ]*' "$log" | head -n 1 | cut -d' ' -f4)
    line="$line${kept:+ kept=$kept} log=$log"
  fi
  echo "run $i/$runs: $line"
done

echo "[chaos.sh] $passed of $runs runs passed (fault phase ${seconds} s each; figures in $out/figures.txt)"
[ "$passed" -eq "$runs" ]
