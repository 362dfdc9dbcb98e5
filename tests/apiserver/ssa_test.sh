#!/bin/bash
# End-to-end test of server-side apply with the real kubectl: apply --server-side to create and
# change, a conflict with kubectl's client-side apply (409 shown by kubectl), --force-conflicts,
# managedFields in -o yaml --show-managed-fields, and server-side apply of a custom object whose
# schema declares a map list.
set -u

HARNESS="${TEST_SRCDIR:-}/${TEST_WORKSPACE:-}/tests/lib/kubectl_harness.sh"
[[ -f "$HARNESS" ]] || HARNESS="$(cd "$(dirname "$0")" && git rev-parse --show-toplevel)/tests/lib/kubectl_harness.sh"
# shellcheck source=tests/lib/kubectl_harness.sh
source "$HARNESS"
kubectl_harness_start tests/apiserver/apiserver_main ssa_test "${1:-}"

deploy() {  # deploy NAME REPLICAS IMAGE
  cat <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $1
  labels: {app: $1}
spec:
  replicas: $2
  selector:
    matchLabels: {app: $1}
  template:
    metadata:
      labels: {app: $1}
    spec:
      containers:
      - name: c
        image: $3
        ports:
        - containerPort: 80
YAML
}

# Create, then change, with server-side apply.
deploy web 2 busybox:1.36 >"$TMP/web.yaml"
out="$(k apply --server-side -f "$TMP/web.yaml")"
expect "apply --server-side creates" "$out" '^deployment.apps/web serverside-applied'
deploy web 3 busybox:1.37 >"$TMP/web.yaml"
out="$(k apply --server-side -f "$TMP/web.yaml")"
expect "apply --server-side changes" "$out" '^deployment.apps/web serverside-applied'
out="$(k get deploy web -o jsonpath='{.spec.replicas} {.spec.template.spec.containers[0].image}')"
expect "changed" "$out" '^3 busybox:1.37$'

out="$(k get deploy web -o yaml --show-managed-fields)"
expect "managedFields" "$out" 'managedFields:' '- apiVersion: apps/v1' 'fieldsType: FieldsV1' \
  'manager: kubectl$' 'operation: Apply' 'f:replicas: \{\}' 'k:\{"name":"c"\}:' \
  'k:\{"containerPort":80,"protocol":"TCP"\}:'
out="$(k get deploy web -o yaml)"
expect_not "managedFields hidden by default" "$out" 'managedFields:'

# A field dropped from the applied configuration is removed.
deploy web 3 busybox:1.37 | awk 'NR==5{next} {print}' >"$TMP/web2.yaml"
out="$(k apply --server-side -f "$TMP/web2.yaml")"
expect "re-apply without metadata.labels" "$out" 'serverside-applied'
out="$(k get deploy web -o jsonpath='{.metadata.labels}')"
expect_not "label removed" "$out" 'app'

# Conflict with the manager of a client-side apply.
deploy api 2 busybox:1.36 >"$TMP/api.yaml"
out="$(k apply -f "$TMP/api.yaml")"
expect "client-side apply creates" "$out" '^deployment.apps/api created'
out="$(k get deploy api -o yaml --show-managed-fields)"
expect "client-side apply's Update entry" "$out" 'manager: kubectl-client-side-apply' \
  'operation: Update'
deploy api 5 busybox:1.36 >"$TMP/api.yaml"
out="$(k apply --server-side -f "$TMP/api.yaml")"
expect "conflict" "$out" \
  'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas' \
  'force-conflicts'
out="$(k get deploy api -o jsonpath='{.spec.replicas}')"
expect "unchanged after the conflict" "$out" '^2$'
out="$(k apply --server-side --force-conflicts -f "$TMP/api.yaml")"
expect "--force-conflicts" "$out" '^deployment.apps/api serverside-applied'
out="$(k get deploy api -o jsonpath='{.spec.replicas}')"
expect "forced" "$out" '^5$'
# The same value as another manager's is shared, not a conflict.
out="$(k scale deploy api --replicas=5)"
deploy api 5 busybox:1.36 >"$TMP/api.yaml"
out="$(k apply --server-side -f "$TMP/api.yaml")"
expect "same value: no conflict" "$out" 'serverside-applied'

# Another field manager.
out="$(k apply --server-side --field-manager=ci -f "$TMP/api.yaml")"
expect "second applier, same values" "$out" 'serverside-applied'
deploy api 6 busybox:1.36 >"$TMP/api6.yaml"
out="$(k apply --server-side --field-manager=ci -f "$TMP/api6.yaml")"
expect "conflict between appliers" "$out" 'conflicts? with "kubectl"'

# Custom resources: x-kubernetes-list-type map merges items by key.
cat >"$TMP/crd.yaml" <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
              parts:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  properties:
                    name: {type: string}
                    count: {type: integer}
YAML
out="$(k apply --server-side -f "$TMP/crd.yaml")"
expect "CRD by server-side apply" "$out" 'widgets.example.com serverside-applied'
out="$(k wait --for condition=established --timeout=60s crd/widgets.example.com)"
expect "CRD established" "$out" 'condition met'
cat >"$TMP/w1.yaml" <<'YAML'
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec:
  size: 1
  parts: [{name: a, count: 1}]
YAML
cat >"$TMP/w2.yaml" <<'YAML'
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec:
  parts: [{name: b, count: 2}]
YAML
out="$(k apply --server-side -f "$TMP/w1.yaml")"
expect "custom object applied" "$out" 'widget.example.com/w serverside-applied'
out="$(k apply --server-side --field-manager=other -f "$TMP/w2.yaml")"
expect "second manager's part" "$out" 'serverside-applied'
out="$(k get widget w -o jsonpath='{range .spec.parts[*]}{.name}={.count} {end}')"
expect "parts merged by name" "$out" '^a=1 b=2 $'
out="$(k get widget w -o yaml --show-managed-fields)"
expect "custom object managedFields" "$out" 'k:\{"name":"a"\}:' 'k:\{"name":"b"\}:' \
  'manager: other'

if [[ "$FAILED" != 0 ]]; then
  echo "server log:"; cat "$TMP/server.log"
  exit 1
fi
echo "PASS"
