#!/usr/bin/env bash
# Runs `rudder sim` (API server on a memory store, controller manager, scheduler and N node
# agents on the simulated runtime, in one process) through the benchmark's scenario and prints
# its summary with the process's peak memory and CPU time from /usr/bin/time.
# Usage: cluster_bench.sh <rudder binary> [--nodes=1000] [--pods=10000] [other rudder sim flags]
set -euo pipefail
rudder=$1
shift
args=(--nodes=1000 --pods=10000 --scenario=deploy,roll,drain "$@")
echo "rudder sim ${args[*]}"
if [ -x /usr/bin/time ]; then
  /usr/bin/time -v "$rudder" sim "${args[@]}" 2>"${TMPDIR:-/tmp}/cluster_bench.time" || {
    tail -n 40 "${TMPDIR:-/tmp}/cluster_bench.time"
    exit 1
  }
  grep -E 'Elapsed|Maximum resident|User time|System time|Percent of CPU' \
    "${TMPDIR:-/tmp}/cluster_bench.time"
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
else
  "$rudder" sim "${args[@]}"
fi
