#!/usr/bin/env bash
# The README's first command: sets up the machine, builds `rudder` optimised and
#  - with no arguments: starts `rudder up` in the background (data in ~/.rudder, API on
#    127.0.0.1:6443), applies examples/hello.yaml, shows its pod scheduled (the scheduler's
#    "Scheduled" Event) and Running through kubectl, and keeps the cluster running until Ctrl-C;
#  - with arguments: runs `rudder` with them (`tools/run.sh demo`, `tools/run.sh --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
bazel build --config=opt //cmd/rudder >&2
rudder="$(bazel info --config=opt bazel-bin 2>/dev/null)/cmd/rudder/rudder"
if [ "$#" -gt 0 ]; then exec "$rudder" "$@"; fi

kubectl=${KUBECTL:-}
for k in /usr/lib/google-cloud-sdk/bin/kubectl "$(command -v kubectl || true)"; do
  if [ -z "$kubectl" ] && [ -n "$k" ] && [ -x "$k" ]; then kubectl=$k; fi
done
[ -n "$kubectl" ] || { echo "run.sh: kubectl not found (set KUBECTL)" >&2; exit 1; }

log=$(mktemp)
"$rudder" up ${RUDDER_UP_FLAGS:-} >"$log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid; rm -f "$log"' EXIT INT TERM
for _ in $(seq 600); do
  grep -qx ready "$log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
cat "$log"
eval "$(grep '^export KUBECONFIG=' "$log")"
"$kubectl" apply -f examples/hello.yaml
for _ in $(seq 300); do
  "$kubectl" get pods -l app=hello --no-headers 2>/dev/null | grep -q ' Running ' && break
  sleep 0.2
done
"$kubectl" get nodes,deployments,pods,services -o wide
echo
pod=$("$kubectl" get pods -l app=hello -o 'jsonpath={.items[0].metadata.name}')
for _ in $(seq 50); do
  "$kubectl" get events --field-selector "involvedObject.name=$pod,reason=Scheduled" \
    --no-headers 2>/dev/null | grep -q . && break
  sleep 0.2
done
echo "The scheduler's Event for $pod:"
"$kubectl" get events --field-selector "involvedObject.name=$pod,reason=Scheduled" \
  -o 'jsonpath={range .items[*]}{.source.component}: {.reason}: {.message}{"\n"}{end}'
echo
echo "The cluster runs until Ctrl-C. In another shell:"
grep '^export KUBECONFIG=' "$log"
echo "  $kubectl get pods"
wait "$pid"
