#!/bin/bash
# End-to-end test: kubectl create -f / create deployment, rollout status / set image /
# rollout undo / rollout pause+resume / scale against the Rudder API server running the
# controller-manager. No node agent runs: the test marks pods Running and Ready itself.
set -u

HARNESS="${TEST_SRCDIR:-}/${TEST_WORKSPACE:-}/tests/lib/kubectl_harness.sh"
[[ -f "$HARNESS" ]] || HARNESS="$(cd "$(dirname "$0")" && git rev-parse --show-toplevel)/tests/lib/kubectl_harness.sh"
# shellcheck source=tests/lib/kubectl_harness.sh
source "$HARNESS"
READY_PID=""
harness_extra_cleanup() {
  [[ -n "$READY_PID" ]] && kill "$READY_PID" 2>/dev/null && wait "$READY_PID" 2>/dev/null
}
kubectl_harness_start lib/controllers/manager/workloads_e2e_main workloads_test "${1:-}"

# Marks every pod that is not Ready as Running and Ready, over and over (the node agent's part).
ready_loop() {
  while true; do
    for p in $(k get pods -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.phase}{"\n"}{end}' |
      awk '$2 != "Running" {print $1}'); do
      k patch pod "$p" --subresource=status --type=merge \
        -p '{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}' \
        >/dev/null
    done
    sleep 0.2
  done
}
ready_loop &
READY_PID=$!

images() { k get pods -o jsonpath='{range .items[*]}{.spec.containers[0].image}{"\n"}{end}' | sort -u; }

# From a manifest (JSON); `kubectl create deployment` (protobuf) is checked at the end.
cat >"$TMP/web.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1
YAML
out="$(k create -f "$TMP/web.yaml")"
expect "create deployment" "$out" "created"
out="$(k rollout status deployment/web --timeout=60s)"
expect "rollout status (create)" "$out" "successfully rolled out"
out="$(k get deployment web -o jsonpath='{.status.availableReplicas}/{.status.updatedReplicas}')"
expect "status fields" "$out" "^3/3$"

out="$(k set image deployment/web nginx=nginx:2)"
expect "set image" "$out" "image updated"
out="$(k rollout status deployment/web --timeout=60s)"
expect "rollout status (set image)" "$out" "successfully rolled out"
expect "pods run nginx:2" "$(images)" "^nginx:2$"
out="$(k rollout history deployment/web)"
expect "rollout history" "$out" "^1 " "^2 "

out="$(k rollout undo deployment/web)"
expect "rollout undo" "$out" "rolled back"
out="$(k rollout status deployment/web --timeout=60s)"
expect "rollout status (undo)" "$out" "successfully rolled out"
expect "pods run nginx:1 again" "$(images)" "^nginx:1$"
out="$(k get rs -o name | wc -l)"
expect "undo reuses the old ReplicaSet" "$out" "^2$"
out="$(k get deployment web -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}')"
expect "revision 3 after undo" "$out" "^3$"

out="$(k rollout pause deployment/web)"
expect "rollout pause" "$out" "paused"
k set image deployment/web nginx=nginx:3 >/dev/null
sleep 1
out="$(k get rs -o name | wc -l)"
expect "no rollout while paused" "$out" "^2$"
out="$(k rollout resume deployment/web)"
expect "rollout resume" "$out" "resumed"
out="$(k rollout status deployment/web --timeout=60s)"
expect "rollout status (resume)" "$out" "successfully rolled out"
expect "pods run nginx:3" "$(images)" "^nginx:3$"

out="$(k scale deployment/web --replicas=5)"
expect "scale" "$out" "scaled"
out="$(k rollout status deployment/web --timeout=60s)"
expect "rollout status (scale)" "$out" "successfully rolled out"
out="$(k get pods --no-headers | wc -l)"
expect "five pods" "$out" "^5$"

# kubectl 1.33's `create deployment` posts protobuf, where Go writes every empty string
# explicitly; the server's defaulting fills them in as for a JSON body.
out="$(k create deployment hello --image=nginx:1 --replicas=2)"
expect "create deployment (protobuf)" "$out" "deployment.apps/hello created"
out="$(k get deployment hello -o jsonpath='{.spec.template.spec.containers[0].imagePullPolicy} {.spec.template.spec.containers[0].terminationMessagePolicy} {.spec.strategy.rollingUpdate.maxSurge}')"
expect "create deployment: defaults" "$out" "^IfNotPresent File 25%$"
out="$(k rollout status deployment/hello --timeout=60s)"
expect "rollout status (create deployment)" "$out" "successfully rolled out"
out="$(k get pods -l app=hello --no-headers | wc -l)"
expect "create deployment: two pods" "$out" "^2$"

if [[ "$FAILED" != 0 ]]; then
  echo "server log:"; tail -n 50 "$TMP/server.log"
fi
exit "$FAILED"
