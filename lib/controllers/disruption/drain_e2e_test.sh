#!/bin/bash
# End-to-end test: kubectl drain against the Rudder API server running the disruption and node
# lifecycle controllers: cordon, PodDisruptionBudgets (blocked, then allowed), DaemonSet and
# emptyDir pods.
set -u

HARNESS="${TEST_SRCDIR:-}/${TEST_WORKSPACE:-}/tests/lib/kubectl_harness.sh"
[[ -f "$HARNESS" ]] || HARNESS="$(cd "$(dirname "$0")" && git rev-parse --show-toplevel)/tests/lib/kubectl_harness.sh"
# shellcheck source=tests/lib/kubectl_harness.sh
source "$HARNESS"
kubectl_harness_start lib/controllers/disruption/drain_e2e_main drain_test "${1:-}"


# ready POD...: marks pods Running and Ready (no node agent runs here).
ready() {
  for p in "$@"; do
    k patch pod "$p" --subresource=status --type=merge \
      -p '{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}' >/dev/null
  done
}
# wait_for DESCRIPTION COMMAND...: retries the command (up to ~10 s) until it succeeds.
wait_for() {
  local what="$1"
  shift
  for _ in $(seq 1 100); do
    if "$@" >/dev/null 2>&1; then echo "ok: $what"; return; fi
    sleep 0.1
  done
  echo "FAIL: $what"; FAILED=1
}

cat >"$TMP/base.yaml" <<'YAML'
apiVersion: v1
kind: Node
metadata: {name: n1}
---
apiVersion: v1
kind: Node
metadata: {name: n2}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: web}}
YAML
out="$(k apply -f "$TMP/base.yaml")"
expect "apply nodes, controllers, budget" "$out" 'poddisruptionbudget.policy/web created'
RS_UID="$(k get rs web -o jsonpath='{.metadata.uid}')"
DS_UID="$(k get ds agent -o jsonpath='{.metadata.uid}')"
pod() {  # pod NAME NODE APP OWNERKIND OWNERNAME OWNERUID [emptydir]
  local vol="" mount=""
  if [[ "${7:-}" == emptydir ]]; then
    vol='  volumes: [{name: cache, emptyDir: {}}]'
    mount=', volumeMounts: [{name: cache, mountPath: /cache}]'
  fi
  cat <<YAML
---
apiVersion: v1
kind: Pod
metadata:
  name: $1
  labels: {app: $3}
  ownerReferences: [{apiVersion: apps/v1, kind: $4, name: $5, uid: $6, controller: true}]
spec:
  nodeName: $2
  containers: [{name: c, image: busybox$mount}]
$vol
YAML
}
{
  pod web-0 n1 web ReplicaSet web "$RS_UID"
  pod web-1 n1 web ReplicaSet web "$RS_UID" emptydir
  pod agent-n1 n1 agent DaemonSet agent "$DS_UID"
} >"$TMP/pods.yaml"
out="$(k apply -f "$TMP/pods.yaml")"
expect "pods on n1" "$out" 'pod/web-0 created' 'pod/web-1 created' 'pod/agent-n1 created'
ready web-0 web-1 agent-n1
pdb_allowed() { [[ "$(k get pdb web -o jsonpath='{.status.disruptionsAllowed}/{.status.currentHealthy}')" == "$1" ]]; }
wait_for "budget: 2 healthy, none allowed" pdb_allowed 0/2

# Blocked by the budget: cordoned, then evictions refused until the timeout.
out="$(k drain n1 --ignore-daemonsets --delete-emptydir-data --grace-period=0 --timeout=3s)"
expect "drain blocked by the budget" "$out" 'node/n1 cordoned' \
  'ignoring DaemonSet-managed Pods: default/agent-n1' \
  "Cannot evict pod as it would violate the pod's disruption budget"
out="$(k get node n1 -o jsonpath='{.spec.unschedulable} {.spec.taints[*].key}')"
expect "cordoned node" "$out" '^true node.kubernetes.io/unschedulable'
out="$(k get pods -o name)"
expect "pods stayed" "$out" 'pod/web-0' 'pod/web-1'

# Without --delete-emptydir-data the emptyDir pod stops the drain.
out="$(k drain n1 --ignore-daemonsets --grace-period=0 --timeout=3s)"
expect "emptyDir needs --delete-emptydir-data" "$out" 'cannot delete Pods with local storage'

# Two more healthy replicas elsewhere: the budget now allows both evictions.
{
  pod web-2 n2 web ReplicaSet web "$RS_UID"
  pod web-3 n2 web ReplicaSet web "$RS_UID"
} >"$TMP/more.yaml"
k apply -f "$TMP/more.yaml" >/dev/null
ready web-2 web-3
wait_for "budget: 4 healthy, 2 allowed" pdb_allowed 2/4
out="$(k drain n1 --ignore-daemonsets --delete-emptydir-data --grace-period=0 --timeout=60s)"
expect "drain allowed" "$out" 'evicting pod default/web-0' 'evicting pod default/web-1' \
  'pod/web-0 evicted' 'pod/web-1 evicted' 'node/n1 drained'
out="$(k get pods -o name)"
expect_not "web pods gone from n1" "$out" 'pod/web-[01]$'
expect "daemonset pod kept" "$out" 'pod/agent-n1'
wait_for "budget recomputed: 2 healthy" pdb_allowed 0/2

out="$(k uncordon n1)"
expect "uncordon" "$out" 'node/n1 uncordoned'
untainted() { [[ -z "$(k get node n1 -o jsonpath='{.spec.taints}')" ]]; }
wait_for "unschedulable taint removed" untainted

if [[ "$FAILED" != 0 ]]; then
  echo "server log:"; cat "$TMP/server.log"
  exit 1
fi
echo "PASS"
