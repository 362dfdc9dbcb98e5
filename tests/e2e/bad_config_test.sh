#!/usr/bin/env bash
# Bad configuration of every `rudder` command gets a clear message on stderr and a non-zero exit
# within seconds, never a hang: unknown flags, a port in use, a corrupt or locked data
# directory, unreachable etcd, an unreachable API server or container runtime.
# Usage: bad_config_test.sh <rudder binary>
set -uo pipefail
rudder=$(realpath "$1")
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/badconfig.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; true; }
trap cleanup EXIT
failures=0

# expect <name> <exit code> <text on stderr> -- <rudder arguments...>
# Runs rudder (at most 30 s), checks the code and message, and that it took under 15 s.
expect() {
  local name=$1 want_rc=$2 want_text=$3
  shift 4
  local t0=$SECONDS rc
  timeout 30 "$rudder" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  rc=$?
  local took=$((SECONDS - t0))
  if [ "$rc" != "$want_rc" ] || ! grep -qF -- "$want_text" "$tmp/err" || ((took >= 15)); then
    echo "FAIL $name: exit $rc (want $want_rc) after ${took}s; stderr:"
    sed 's/^/    /' "$tmp/err"
    failures=$((failures + 1))
  else
    echo "ok   $name: exit $rc after ${took}s: $(grep -F -- "$want_text" "$tmp/err" | head -1)"
  fi
}

# Unknown flags, missing or malformed values.
for cmd in up apiserver controller-manager scheduler node sim; do
  expect "$cmd unknown flag" 2 "unknown flag --no-such-flag" -- "$cmd" --no-such-flag
done
expect "unknown command" 2 'unknown command "nope"' -- nope
expect "up bad port" 2 "is not a port number" -- up --port=http
expect "node without --name" 2 "--name is required" -- node --apiserver=http://127.0.0.1:1
expect "apiserver without a store" 2 "exactly one of --data-dir and --etcd-servers" -- apiserver
expect "controller-manager bad controller" 2 "--controllers" -- \
  controller-manager --apiserver=http://127.0.0.1:1 --controllers=nope
expect "scheduler bad lease timing" 2 "lease-duration > renew-deadline" -- \
  scheduler --apiserver=http://127.0.0.1:1 --leader-elect-lease-duration=1s
echo 'profiles: [{schedulerName: x, plugins: {filter: {enabled: [{name: NoSuchPlugin}]}}}]' \
  >"$tmp/sched.yaml"
expect "scheduler bad config" 2 "NoSuchPlugin" -- \
  scheduler --apiserver=http://127.0.0.1:1 --config="$tmp/sched.yaml"
expect "scheduler missing config" 2 "cannot read" -- \
  scheduler --apiserver=http://127.0.0.1:1 --config="$tmp/none.yaml"
expect "sim bad scenario" 2 "unknown step" -- sim --scenario=deploy,explode
expect "no API server given" 2 "give --apiserver" -- controller-manager --kubeconfig=
expect "missing kubeconfig" 1 "kubeconfig $tmp/none" -- node --name=n --kubeconfig="$tmp/none"

# Unreachable API server, etcd and container runtime.
for cmd in controller-manager scheduler; do
  expect "$cmd unreachable API server" 1 "cannot reach the API server" -- \
    "$cmd" --apiserver=http://127.0.0.1:1
done
expect "node unreachable API server" 1 "cannot reach the API server" -- \
  node --name=n --apiserver=http://127.0.0.1:1 --data-dir="$tmp/node"
expect "node unreachable CRI runtime" 1 "does not answer" -- \
  node --name=n --apiserver=http://127.0.0.1:1 --data-dir="$tmp/node" \
  --cri-endpoint="unix://$tmp/no.sock"
expect "up unreachable CRI runtime" 1 "does not answer" -- \
  up --data-dir="$tmp/cri" --port=0 --cri-endpoint="unix://$tmp/no.sock"
expect "apiserver unreachable etcd" 1 "cannot open the store (etcd at 127.0.0.1:1)" -- \
  apiserver --etcd-servers=127.0.0.1:1 --port=0

# A running `rudder up` holds its data directory and port.
"$rudder" up --data-dir "$tmp/live" --port 0 >"$tmp/live.out" 2>"$tmp/live.err" &
pid=$!
for _ in $(seq 300); do
  grep -qx ready "$tmp/live.out" && break
  sleep 0.1
done
grep -qx ready "$tmp/live.out" || { cat "$tmp/live.err"; echo "FAIL: rudder up not ready"; exit 1; }
port=$(grep -o '127.0.0.1:[0-9]*' "$tmp/live.out" | head -1 | cut -d: -f2)
expect "up port in use" 1 "cannot serve the API on 127.0.0.1:$port" -- \
  up --data-dir "$tmp/other" --port "$port"
expect "apiserver port in use" 1 "cannot serve the API on 127.0.0.1:$port" -- \
  apiserver --data-dir "$tmp/other2" --port "$port"
expect "sim port in use" 1 "cannot serve the API on 127.0.0.1:$port" -- \
  sim --nodes=1 --pods=1 --port "$port"
expect "up locked data directory" 1 "another rudder process uses this data directory" -- \
  up --data-dir "$tmp/live" --port 0
expect "apiserver locked data directory" 1 "another rudder process uses this data directory" -- \
  apiserver --data-dir "$tmp/live/store" --port 0
kill -TERM "$pid"
wait "$pid" || { echo "FAIL: rudder up did not stop cleanly"; failures=$((failures + 1)); }
pid=

# Corrupt data directories: garbage in RocksDB's CURRENT, then in its MANIFEST.
cp -r "$tmp/live" "$tmp/corrupt1"
echo garbage >"$tmp/corrupt1/store/CURRENT"
expect "up corrupt CURRENT" 1 "cannot open the store" -- up --data-dir "$tmp/corrupt1" --port 0
cp -r "$tmp/live" "$tmp/corrupt2"
for f in "$tmp"/corrupt2/store/MANIFEST-*; do head -c 4096 /dev/urandom >"$f"; done
expect "up corrupt MANIFEST" 1 "cannot open the store" -- up --data-dir "$tmp/corrupt2" --port 0
# The untouched copy still opens (the corruption tests did not pass by accident).
"$rudder" up --data-dir "$tmp/live" --port 0 >"$tmp/live.out" 2>"$tmp/live.err" &
pid=$!
for _ in $(seq 300); do
  grep -qx ready "$tmp/live.out" && break
  sleep 0.1
done
grep -qx ready "$tmp/live.out" || { cat "$tmp/live.err"; echo "FAIL: intact copy does not start"; exit 1; }

if ((failures > 0)); then
  echo "$failures failure(s)"
  exit 1
fi
echo PASS
