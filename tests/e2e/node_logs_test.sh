#!/usr/bin/env bash
# End-to-end test of kubectl logs for pods of a separate `rudder node` (process runtime): the
# node serves its pods' logs on a token-protected endpoint published in its Node status, and
# `rudder apiserver` proxies pods/log to it: plain, --tail, --timestamps, --since, --previous
# (the node's answer), -f (which ends, node side too, when kubectl goes away), and a clear
# error once the node is down. Usage: node_logs_test.sh <rudder binary>
set -euo pipefail
rudder=$(realpath "$1")
kubectl=${KUBECTL:-}
for k in /usr/lib/google-cloud-sdk/bin/kubectl /usr/bin/kubectl "$(command -v kubectl || true)"; do
  if [ -z "$kubectl" ] && [ -n "$k" ] && [ -x "$k" ]; then kubectl=$k; fi
done
[ -n "$kubectl" ] || { echo "kubectl not found; skipped"; exit 0; }
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/nodelogs.XXXXXX")
api_pid= node_pid=
cleanup() {
  for p in $node_pid $api_pid; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  true
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  echo "--- apiserver"; cat "$tmp/api.err" || true
  echo "--- node"; cat "$tmp/node.out" "$tmp/node.err" || true
  exit 1
}
wait_ready() {  # <out file> <pid>
  for _ in $(seq 300); do
    grep -qx ready "$1" && return 0
    kill -0 "$2" 2>/dev/null || fail "process $2 exited"
    sleep 0.1
  done
  fail "no ready in $1"
}
# Waits until `$@` (a command) prints something containing $want.
wait_for() {
  local want=$1
  shift
  for _ in $(seq 150); do
    if "$@" 2>/dev/null | grep -q -- "$want"; then return 0; fi
    sleep 0.2
  done
  "$@" || true
  fail "never saw \"$want\" from: $*"
}

echo "s3cret-$RANDOM$RANDOM" >"$tmp/token"
"$rudder" apiserver --data-dir "$tmp/store" --port 0 --node-log-token-file "$tmp/token" \
  >"$tmp/api.out" 2>"$tmp/api.err" &
api_pid=$!
wait_ready "$tmp/api.out" "$api_pid"
server=$(sed -n 's/^API server on \(http:[^ ]*\).*/\1/p' "$tmp/api.out")
cat >"$tmp/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: $server
contexts:
- name: c
  context:
    cluster: c
    user: u
    namespace: default
current-context: c
users:
- name: u
  user: {}
EOF
export KUBECONFIG=$tmp/kubeconfig

"$rudder" node --name n1 --apiserver "$server" --data-dir "$tmp/node" \
  --log-token-file "$tmp/token" >"$tmp/node.out" 2>"$tmp/node.err" &
node_pid=$!
wait_ready "$tmp/node.out" "$node_pid"
log_port=$("$kubectl" get node n1 -o 'jsonpath={.status.daemonEndpoints.kubeletEndpoint.Port}')
[ -n "$log_port" ] && [ "$log_port" -gt 0 ] || fail "node n1 publishes no log port"
grep -q "pods' logs on http://127.0.0.1:$log_port (bearer token)" "$tmp/node.out" ||
  fail "the node's log server line"
# The endpoint itself wants the token.
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$log_port/containerLogs/default/x" || true)
[ -z "$code" ] || [ "$code" = 000 ] || [ "$code" = 401 ] || fail "no token: HTTP $code"

# No scheduler runs: the pods name their node.
"$kubectl" apply -f - <<EOF
apiVersion: v1
kind: Pod
metadata: {name: ticker}
spec:
  nodeName: n1
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "echo hello; echo world; i=0; while true; do i=\$((i+1)); echo tick \$i; sleep 0.2; done"]
EOF
wait_for Running "$kubectl" get pod ticker --no-headers
wait_for "tick 3" "$kubectl" logs ticker

out=$("$kubectl" logs ticker)
[ "$(echo "$out" | head -2)" = $'hello\nworld' ] || fail "kubectl logs: $out"
out=$("$kubectl" logs ticker --tail=1)
[ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -q '^tick [0-9]*$' || fail "--tail=1: $out"
out=$("$kubectl" logs ticker -c app --timestamps --tail=2)
[ "$(echo "$out" | grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z tick [0-9]+$')" = 2 ] ||
  fail "--timestamps: $out"
# Read whole, then searched: `kubectl ... | grep -q` fails under pipefail when grep exits first.
out=$("$kubectl" logs ticker --since=1h)
grep -qx hello <<<"$out" || fail "--since=1h lost hello"
out=$("$kubectl" logs ticker --since-time=2099-01-01T00:00:00Z)
[ -z "$out" ] || fail "--since-time in the future: $out"
# --previous reaches the node, which answers for its container (no earlier instance here).
out=$("$kubectl" logs ticker --previous 2>&1 || true)
echo "$out" | grep -q 'previous terminated container "app" in pod "ticker" not found' ||
  fail "--previous: $out"

# -f streams new lines as they come...
"$kubectl" logs -f ticker >"$tmp/follow" 2>&1 &
follow_pid=$!
first=$(grep -c tick "$tmp/follow" || true)
for _ in $(seq 100); do
  [ "$(grep -c tick "$tmp/follow" || true)" -gt $((first + 3)) ] && break
  sleep 0.1
done
[ "$(grep -c tick "$tmp/follow" || true)" -gt $((first + 3)) ] || fail "-f streams no new lines"
head -1 "$tmp/follow" | grep -qx hello || fail "-f: $(head -3 "$tmp/follow")"
# ...and once kubectl goes away the API server's connection to the node closes too.
conns() { ss -Htn state established "( sport = :$log_port )" | wc -l; }
[ "$(conns)" -ge 1 ] || fail "no connection to the node's log server during -f"
kill "$follow_pid"
wait "$follow_pid" 2>/dev/null || true
for _ in $(seq 100); do
  [ "$(conns)" = 0 ] && break
  sleep 0.1
done
[ "$(conns)" = 0 ] || fail "the node-side follow outlived kubectl: $(ss -tn "( sport = :$log_port )")"

# A clear error once the node is gone.
kill -TERM "$node_pid"
wait "$node_pid"
node_pid=
if out=$("$kubectl" logs ticker 2>&1); then fail "logs of a stopped node: $out"; fi
echo "$out" | grep -q "cannot reach the log endpoint" || fail "error for a stopped node: $out"
echo PASS
