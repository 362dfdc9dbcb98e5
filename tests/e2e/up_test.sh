#!/usr/bin/env bash
# End-to-end test of `rudder up`: start, kubectl apply examples/hello.yaml, the pod scheduled
# and Running, kubectl rollout status / set image / rollout undo of a Deployment, restart keeps
# every object, bad configuration exits non-zero with a message.
# Usage: up_test.sh <rudder binary> <hello.yaml>
set -euo pipefail
rudder=$(realpath "$1")
manifest=$(realpath "$2")
kubectl=${KUBECTL:-}
for k in /usr/lib/google-cloud-sdk/bin/kubectl /usr/bin/kubectl "$(command -v kubectl || true)"; do
  if [ -z "$kubectl" ] && [ -n "$k" ] && [ -x "$k" ]; then kubectl=$k; fi
done
[ -n "$kubectl" ] || { echo "kubectl not found; skipped"; exit 0; }
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/up.XXXXXX")
dir=$tmp/data
pid=
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; true; }
trap cleanup EXIT

start() {
  "$rudder" up --data-dir "$dir" --port 0 >"$tmp/out" 2>"$tmp/err" &
  pid=$!
  local end=$((SECONDS + 60))
  while ((SECONDS < end)); do
    grep -qx ready "$tmp/out" && break
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/err"; echo "rudder up exited"; exit 1; }
    sleep 0.1
  done
  grep -qx ready "$tmp/out" || {
    cat "$tmp/out" "$tmp/err"
    echo "rudder up never printed ready"
    exit 1
  }
  grep -q "^export KUBECONFIG=$dir/kubeconfig\$" "$tmp/out"
  export KUBECONFIG=$dir/kubeconfig
}
stop() {
  kill -TERM "$pid"
  wait "$pid"  # exit code 0 after a clean shutdown (set -e)
  pid=
}
wait_running() {
  for _ in $(seq 300); do
    if "$kubectl" get pods -l app=hello --no-headers 2>/dev/null | grep -q ' Running '; then
      return 0
    fi
    sleep 0.2
  done
  "$kubectl" get pods -o wide || true
  echo "hello pod never Running"
  exit 1
}

# The scheduler placed the pod: it is bound to the node and has its Event "Scheduled".
check_scheduled() {
  local pod
  pod=$("$kubectl" get pods -l app=hello -o 'jsonpath={.items[0].metadata.name}')
  [ "$("$kubectl" get pod "$pod" -o 'jsonpath={.spec.nodeName}')" = rudder ] || {
    echo "pod $pod not bound to node rudder"; exit 1; }
  for _ in $(seq 50); do
    if "$kubectl" get events --field-selector "involvedObject.name=$pod,reason=Scheduled" \
      -o 'jsonpath={.items[*].message}' 2>/dev/null |
      grep -q "Successfully assigned default/$pod to rudder"; then
      return 0
    fi
    sleep 0.2
  done
  "$kubectl" get events || true
  echo "no Scheduled event for $pod"
  exit 1
}

start
grep -q 'nodeName' "$manifest" && { echo "the example must not pin its node"; exit 1; }
"$kubectl" apply -f "$manifest"
wait_running
check_scheduled
"$kubectl" get service hello
# kubectl logs reads the container's log through the API server: busybox httpd -v logs the
# readiness probe's requests ("response:200").
logged=
for _ in $(seq 100); do
  if "$kubectl" logs deployment/hello 2>"$tmp/logs.err" | grep -q 'response:200'; then
    logged=1
    break
  fi
  sleep 0.2
done
if [ -z "$logged" ]; then
  cat "$tmp/logs.err"
  echo "kubectl logs never showed the probe's request"
  exit 1
fi
if "$kubectl" logs deployment/hello -c nope >/dev/null 2>"$tmp/logs.err"; then
  echo "kubectl logs -c nope succeeded"
  exit 1
fi
grep -q 'nope' "$tmp/logs.err"

# kubectl rollout status / set image / rollout undo with the scheduler and the node agent doing
# their part: every pod is scheduled, started and reported Ready by the cluster itself.
"$kubectl" apply -f - <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: roll
spec:
  replicas: 2
  selector:
    matchLabels: {app: roll}
  strategy:
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata:
      labels: {app: roll}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: busybox:1.36
        command: ["sleep", "3600"]
YAML
rollout() {  # $1: what
  "$kubectl" rollout status deployment/roll --timeout=60s >"$tmp/rollout" 2>&1 &&
    grep -q 'successfully rolled out' "$tmp/rollout" || {
    cat "$tmp/rollout"; "$kubectl" get deploy,rs,pods -o wide || true
    echo "rollout status ($1) did not finish"; exit 1; }
}
# Prints "<image>=<ready replicas>" per ReplicaSet of the Deployment, sorted.
sets() {
  "$kubectl" get rs -l app=roll -o \
    'jsonpath={range .items[*]}{.spec.template.spec.containers[0].image}={.status.readyReplicas}{"\n"}{end}' |
    sort | tr '\n' ' '
}
revision() {
  "$kubectl" get deployment roll -o 'jsonpath={.metadata.annotations.deployment\.kubernetes\.io/revision}'
}
expect_sets() {  # $1: what, $2: extended regex over sets()
  local s
  for _ in $(seq 100); do
    s=$(sets)
    [[ "$s" =~ $2 ]] && return 0
    sleep 0.2
  done
  echo "$1: ReplicaSets '$s' do not match '$2'"; exit 1
}
rollout create
expect_sets "created" '^busybox:1\.36=2 $'
out=$("$kubectl" set image deployment/roll main=busybox:1.37)
grep -q 'image updated' <<<"$out" || { echo "set image: $out"; exit 1; }
rollout "set image"
expect_sets "set image" '^busybox:1\.36=(0)? busybox:1\.37=2 $'
[ "$(revision)" = 2 ] || { echo "revision $(revision) after set image, want 2"; exit 1; }
out=$("$kubectl" rollout undo deployment/roll)
grep -q 'rolled back' <<<"$out" || { echo "rollout undo: $out"; exit 1; }
rollout undo
expect_sets "undo" '^busybox:1\.36=2 busybox:1\.37=(0)? $'
[ "$(revision)" = 3 ] || { echo "revision $(revision) after undo, want 3"; exit 1; }
"$kubectl" delete deployment roll --wait=false
port=$(grep -o '127.0.0.1:[0-9]*' "$tmp/out" | head -1 | cut -d: -f2)
stop

# Restart: every object is still there.
start
"$kubectl" get deployment hello
"$kubectl" get service hello
"$kubectl" get node rudder
wait_running

# Port in use: a clear message and exit 1, promptly.
set +e
other=$(grep -o '127.0.0.1:[0-9]*' "$tmp/out" | head -1 | cut -d: -f2)
timeout 20 "$rudder" up --data-dir "$tmp/second" --port "$other" >/dev/null 2>"$tmp/e1"; rc=$?
[ "$rc" -eq 1 ] && grep -q "cannot serve the API on 127.0.0.1:$other" "$tmp/e1" || {
  echo "port in use: rc=$rc"; cat "$tmp/e1"; exit 1; }
# Locked data directory (the running instance holds it).
timeout 20 "$rudder" up --data-dir "$dir" --port 0 >/dev/null 2>"$tmp/e2"; rc=$?
[ "$rc" -eq 1 ] && grep -q "cannot open the store" "$tmp/e2" || {
  echo "locked data dir: rc=$rc"; cat "$tmp/e2"; exit 1; }
set -e
stop

set +e
# Unknown flag.
timeout 20 "$rudder" up --no-such-flag >/dev/null 2>"$tmp/e3"; rc=$?
[ "$rc" -eq 2 ] && grep -q "unknown flag --no-such-flag" "$tmp/e3" || {
  echo "unknown flag: rc=$rc"; cat "$tmp/e3"; exit 1; }
# Corrupt data directory.
mkdir -p "$tmp/corrupt/store"
echo garbage >"$tmp/corrupt/store/CURRENT"
timeout 20 "$rudder" up --data-dir "$tmp/corrupt" --port 0 >/dev/null 2>"$tmp/e4"; rc=$?
[ "$rc" -eq 1 ] && grep -q "cannot open the store" "$tmp/e4" || {
  echo "corrupt data dir: rc=$rc"; cat "$tmp/e4"; exit 1; }
set -e
echo PASS
