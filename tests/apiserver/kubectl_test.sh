#!/bin/bash
# End-to-end test: the real kubectl against the Rudder API server (built-in kinds, in-memory
# store). Starts the server on a free port, writes a kubeconfig, and checks kubectl's output.
# Runs with any kubectl from 1.20 (KUBECTL or KUBECTL_ENV, see tests/lib/kubectl_harness.sh);
# where versions print differently, both forms are expected.
set -u

HARNESS="${TEST_SRCDIR:-}/${TEST_WORKSPACE:-}/tests/lib/kubectl_harness.sh"
[[ -f "$HARNESS" ]] || HARNESS="$(cd "$(dirname "$0")" && git rev-parse --show-toplevel)/tests/lib/kubectl_harness.sh"
# shellcheck source=tests/lib/kubectl_harness.sh
source "$HARNESS"
kubectl_harness_start tests/apiserver/apiserver_main kubectl_test "${1:-}"

cat >"$TMP/objs.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  labels: {app: web}
data:
  k: v
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: c
        image: busybox:1.36
YAML

out="$(k version)"
expect "version" "$out" 'Server Version: (version.Info\{.*GitVersion:")?v1\.33'

out="$(k api-resources)"
expect "api-resources" "$out" "^deployments +deploy +apps/v1 +true +Deployment" \
  "^configmaps +cm +v1 +true +ConfigMap" "^namespaces +ns +v1 +false +Namespace"

# Discovery: kubectl 1.26+ asks /api and /apis for the aggregated form (one request each);
# older ones ask every group-version.
out="$("$KUBECTL" --kubeconfig "$TMP/kubeconfig" --cache-dir "$TMP/cache-v6" get deploy -v=6 2>&1)"
n="$(grep -Eo 'GET[ "a-z=]*http://[^ "]*' <<<"$out" | grep -Ev '/deployments\?' | grep -c .)"
if (( KUBECTL_MINOR >= 26 )); then
  expect "aggregated discovery: two requests" "requests=$n" "^requests=2$"
else
  expect "legacy discovery: one request per group-version" "requests=$n" "^requests=(1[0-9]|[2-9][0-9])$"
fi
agg='application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json'
c="$(curl -s -o "$TMP/body" -w '%{http_code} %{content_type}' -H "Accept: $agg" "$URL/apis")"
expect "GET /apis (aggregated v2)" "$c $(cat "$TMP/body")" \
  '^200 application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList \{"kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/v2"' \
  '"resource":"deployments","responseKind":\{"group":"apps","version":"v1","kind":"Deployment"\},"scope":"Namespaced","singularResource":"deployment","verbs":\[[^]]*"watch"\],"shortNames":\["deploy"\],"categories":\["all"\],"subresources":\[\{"subresource":"status".*\{"subresource":"scale","responseKind":\{"group":"autoscaling","version":"v1","kind":"Scale"\}'
c="$(curl -s -o "$TMP/body" -w '%{http_code} %{content_type}' \
  -H 'Accept: application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList' "$URL/api")"
expect "GET /api (aggregated v2beta1)" "$c $(cat "$TMP/body")" \
  '^200 application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList .*"items":\[\{"metadata":\{"creationTimestamp":null\},"versions":\[\{"version":"v1"' \
  '"resource":"namespaces",[^{]*\{[^}]*\},"scope":"Cluster"'
c="$(curl -s -o "$TMP/body" -w '%{http_code} %{content_type}' -H 'Accept: application/json, */*' "$URL/apis")"
expect "GET /apis (plain)" "$c $(cat "$TMP/body")" '^200 application/json \{"kind":"APIGroupList"'

out="$(k create -f "$TMP/objs.yaml")"
expect "create -f" "$out" "^configmap/cfg created" "^deployment.apps/web created"

out="$(k create -f "$TMP/objs.yaml")"
expect "create twice" "$out" 'Error from server \(AlreadyExists\).*deployments.apps "web" already exists'

out="$(k get deploy)"
expect "get deploy (table)" "$out" "^NAME +READY +UP-TO-DATE +AVAILABLE +AGE" "^web +0/2 +0 +0 +[0-9]+s"

out="$(k get cm -o json)"
expect "get cm -o json" "$out" '"kind": "List"' '"name": "cfg"' '"k": "v"' '"uid": "[0-9a-f-]{36}"' \
  '"resourceVersion": "[0-9]+"'

out="$(k get cm,deploy -l app=web -o name)"
expect "get -l" "$out" "^configmap/cfg" "^deployment.apps/web"
out="$(k get cm -l app=nope)"
expect "get -l (no match)" "$out" "No resources found in default namespace"

out="$(k get cm cfg -o yaml)"
expect "get -o yaml" "$out" "^apiVersion: v1$" "^kind: ConfigMap$" "^  name: cfg$" "^  k: v$"
out="$(k get cm,deploy --field-selector metadata.name=cfg -o name)"
expect "get --field-selector" "$out" "^configmap/cfg$"
out="$(k get cm --field-selector metadata.name!=cfg -o name)"
expect_not "get --field-selector (!=)" "$out" "configmap/cfg"

out="$(k get pods)"
expect "get pods (empty)" "$out" "No resources found in default namespace"

out="$(k label cm cfg tier=db)"
expect "label" "$out" "configmap/cfg labeled"
out="$(k get cm -l tier=db -o name)"
expect "label visible to selector" "$out" "^configmap/cfg$"

out="$(k annotate deploy web note=hello)"
expect "annotate" "$out" "deployment.apps/web annotated?$"  # 1.27 prints "annotate"
out="$(k get deploy web -o jsonpath='{.metadata.annotations.note} {.metadata.generation}')"
expect "annotation stored, generation unchanged" "$out" "^hello 1$"

out="$(k patch cm cfg --type=merge -p '{"data":{"k2":"v2"}}')"
expect "patch --type=merge" "$out" "configmap/cfg patched"
out="$(k patch cm cfg --type=json -p '[{"op":"add","path":"/data/k3","value":"v3"}]')"
expect "patch --type=json" "$out" "configmap/cfg patched"
out="$(k get cm cfg -o jsonpath='{.data}')"
expect "patched data" "$out" '"k":"v"' '"k2":"v2"' '"k3":"v3"'

out="$(k patch deploy web --type=strategic -p '{"spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"c","image":"busybox:1.37"}]}}}}')"
expect "patch --type=strategic" "$out" "deployment.apps/web patched"
out="$(k get deploy web -o jsonpath='{.spec.replicas} {.spec.template.spec.containers[*].image} {.metadata.generation}')"
expect "strategic patch merged containers by name" "$out" "^3 busybox:1\.37 2$"

out="$(k scale deploy web --replicas=5)"
expect "scale" "$out" "deployment.apps/web scaled"
out="$(k get deploy web -o jsonpath='{.spec.replicas} {.metadata.generation}')"
expect "scale set spec.replicas" "$out" "^5 3$"

out="$(k patch cm cfg --type=json -p '[{"op":"test","path":"/data/k","value":"zzz"}]')"
expect "failing json patch test op" "$out" "Error from server"

out="$(k get deploy web -o yaml)"
stale="$(sed 's/resourceVersion: .*/resourceVersion: "1"/' <<<"$out")"
out="$(k replace -f - <<<"$stale")"
expect "replace with stale resourceVersion" "$out" \
  'Error from server \(Conflict\).*Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again'

out="$(k get cm nope)"
expect "get missing" "$out" 'Error from server \(NotFound\): configmaps "nope" not found'

out="$(k get deploy --all-namespaces)"
expect "all namespaces" "$out" "^NAMESPACE +NAME +READY" "^default +web "

out="$(k create namespace team)"
expect "create cluster-scoped" "$out" "namespace/team created"
out="$(k get ns team)"
expect "get cluster-scoped (table)" "$out" "^NAME +AGE" "^team +[0-9]+s"

# Watch: a raw watch stream sees ADDED then MODIFIED as newline-delimited JSON.
rv="$(curl -s "$URL/api/v1/namespaces/default/configmaps" | grep -Eo '"resourceVersion":"[0-9]+"' | head -1 | grep -Eo '[0-9]+')"
curl -sN "$URL/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=$rv&timeoutSeconds=3" \
  >"$TMP/watch.out" &
WATCH_PID=$!
sleep 0.5
k create configmap watched --from-literal=a=b >/dev/null
k label cm watched seen=yes >/dev/null
wait "$WATCH_PID"
out="$(cat "$TMP/watch.out")"
expect "watch stream" "$out" '^\{"type":"ADDED","object":\{"kind":"ConfigMap".*"name":"watched"' \
  '^\{"type":"MODIFIED","object":.*"seen":"yes"'

# kubectl get -w: list, then a watch of one-row Tables.
: >"$TMP/getw.out"
timeout 4 "$KUBECTL" --kubeconfig "$TMP/kubeconfig" --cache-dir "$TMP/cache" get cm watched -w \
  >"$TMP/getw.out" 2>&1 &
GETW_PID=$!
for _ in $(seq 1 100); do grep -q '^watched' "$TMP/getw.out" && break; sleep 0.05; done
k label cm watched again=yes >/dev/null
for _ in $(seq 1 100); do [[ "$(grep -c '^watched' "$TMP/getw.out")" -ge 2 ]] && break; sleep 0.05; done
kill "$GETW_PID" 2>/dev/null
wait "$GETW_PID" 2>/dev/null
out="$(cat "$TMP/getw.out")"
expect "get -w prints the list and the change" "$out" "^NAME +AGE" "^watched +[0-9]+s"
n="$(grep -c '^watched' <<<"$out")"
expect "get -w saw the MODIFIED event" "rows=$n" "rows=[2-9]"

# Raw HTTP errors: Status objects with Kubernetes' codes.
code() { curl -s -o "$TMP/body" -w '%{http_code}' "$@"; }
c="$(code -X POST -H 'Content-Type: application/json' --data '{"kind":' \
  "$URL/api/v1/namespaces/default/configmaps")"
expect "malformed JSON is 400" "$c $(cat "$TMP/body")" '^400 .*"kind":"Status".*"reason":"BadRequest"'
c="$(code -X POST -H 'Content-Type: application/json' \
  --data '{"metadata":{"name":"s"},"bogus":1}' \
  "$URL/api/v1/namespaces/default/configmaps?fieldValidation=Strict")"
expect "unknown field in strict mode is 400" "$c $(cat "$TMP/body")" '^400 .*strict decoding error.*bogus'
head -c 3200000 /dev/zero | tr '\0' 'a' >"$TMP/big"
c="$(code -X POST -H 'Content-Type: application/json' --data-binary @"$TMP/big" \
  "$URL/api/v1/namespaces/default/configmaps")"
expect "oversized body is 413" "$c $(cat "$TMP/body")" '^413 .*"kind":"Status"'
c="$(code "$URL/openapi/v3")"
expect "OpenAPI v3 root" "$c $(cat "$TMP/body")" '^200 .*"apis/apps/v1":\{"serverRelativeURL":"/openapi/v3/apis/apps/v1\?hash=[0-9A-F]+"'
c="$(curl -s -o "$TMP/body" -w '%{http_code} %{content_type} %{size_download}' \
  -H 'Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf' "$URL/openapi/v2")"
expect "OpenAPI v2 for protobuf clients (octet-stream)" "$c" '^200 application/octet-stream [1-9][0-9]{4,}$'
c="$(code -H 'Accept: application/json' "$URL/openapi/v2")"
expect "OpenAPI v2 JSON" "$c $(head -c 200 "$TMP/body")" '^200 .*"swagger":"2.0"'

out="$(k explain deployment.spec.strategy)"
out2="$(k explain pods.spec.containers)"
if (( KUBECTL_MINOR >= 27 )); then  # OpenAPI v3: type names
  expect "explain deployment.spec.strategy" "$out" "FIELD: strategy <DeploymentStrategy>" \
    "rollingUpdate[[:space:]]+<RollingUpdateDeployment>" "type[[:space:]]+<string>"
  expect "explain pods.spec.containers" "$out2" "FIELD: containers <\[\]Container>" \
    "image[[:space:]]+<string>" "ports[[:space:]]+<\[\]ContainerPort>"
else  # OpenAPI v2 (protobuf): Object
  expect "explain deployment.spec.strategy" "$out" "RESOURCE: strategy <Object>" \
    "rollingUpdate[[:space:]]+<Object>" "type[[:space:]]+<string>"
  expect "explain pods.spec.containers" "$out2" "RESOURCE: containers <\[\]Object>" \
    "image[[:space:]]+<string>" "ports[[:space:]]+<\[\]Object>"
fi

# apply: create, then a strategic merge patch, with validation on (OpenAPI is served).
sed 's/busybox:1.36/busybox:1.38/; s/name: web/name: web2/' "$TMP/objs.yaml" >"$TMP/objs2.yaml"
out="$(k apply -f "$TMP/objs2.yaml")"
expect "apply (create)" "$out" "deployment.apps/web2 created"
sed -i 's/busybox:1.38/busybox:1.39/' "$TMP/objs2.yaml"
out="$(k apply -f "$TMP/objs2.yaml")"
expect "apply (patch)" "$out" "deployment.apps/web2 configured"
out="$(k get deploy web2 -o jsonpath='{.spec.template.spec.containers[0].image}')"
expect "apply changed the image" "$out" "^busybox:1\.39$"
sed 's/replicas: 2/replicaz: 2/; s/name: web2/name: web3/' "$TMP/objs2.yaml" >"$TMP/typo.yaml"
strict=strict
(( KUBECTL_MINOR < 25 )) && strict=true  # client-side validation from OpenAPI v2
out="$(k apply --validate=$strict -f "$TMP/typo.yaml")"
expect "apply --validate=$strict rejects a typo'd field" "$out" 'unknown field "(spec\.)?replicaz"'
out="$(k create -f "$TMP/typo.yaml")"
expect "create (default validation) rejects a typo'd field" "$out" 'unknown field "(spec\.)?replicaz"'
out="$(k get deploy web3)"
expect "the typo'd deployment was not created" "$out" 'NotFound'
out="$(k delete deploy web2)"
expect "delete applied deployment" "$out" 'deployment.apps "web2" deleted'

out="$(k delete cm cfg)"
expect "delete" "$out" 'configmap "cfg" deleted'
out="$(k get cm cfg)"
expect "deleted object is gone" "$out" 'NotFound'
out="$(k delete deploy web)"
expect "delete deployment" "$out" 'deployment.apps "web" deleted'

# kubectl create sends protobuf, whose empty by-value fields ("imagePullPolicy": "") are defaulted.
out="$(k create deployment webpb --image=nginx)"
expect "create deployment (protobuf body)" "$out" '^deployment.apps/webpb created'
out="$(k get deployment webpb)"
expect "get deployment" "$out" '^webpb +0/1 +0 +0 +[0-9]+s'
out="$(k get deployment webpb -o jsonpath='{.spec.template.spec.containers[0].imagePullPolicy} {.spec.template.spec.containers[0].terminationMessagePolicy}')"
expect "empty fields were defaulted" "$out" '^Always File$'
out="$(k get deployment webpb -o json)"
expect_not "no empty generateName from the protobuf body" "$out" '"generateName": ""'
expect_not "no zero creationTimestamp from the protobuf body" "$out" '1970-01-01'
out="$(k delete deployment webpb)"
expect "delete deployment webpb" "$out" 'deployment.apps "webpb" deleted'
# A pod created without status is Pending, with its QoS class (the pod strategy on create).
out="$(k run pending-pod --image=nginx)"
expect "run a pod" "$out" '^pod/pending-pod created'
out="$(k get pod pending-pod -o jsonpath='{.status.phase} {.status.qosClass}')"
expect "new pod is Pending with a QoS class" "$out" '^Pending BestEffort$'
out="$(k delete pod pending-pod --wait=false)"
expect "delete pending-pod" "$out" 'pod "pending-pod" deleted'
out="$(k get deploy)"
expect "no deployments left" "$out" "No resources found"

# Admission: a create in a missing namespace fails with kubectl's message.
out="$(k create configmap lost -n nowhere --from-literal=a=b)"
expect "create in a missing namespace" "$out" \
  '^(error: failed to create configmap: |Error from server \(NotFound\): )namespaces "nowhere" not found'
out="$(k create -n nowhere -f "$TMP/objs.yaml")"
expect "create -f in a missing namespace" "$out" \
  'Error from server \(NotFound\): error when creating ".*objs.yaml": namespaces "nowhere" not found'

# Server-side dry runs: create and apply answer as usual but store nothing.
out="$(k create configmap dry --from-literal=a=b --dry-run=server)"
expect "create --dry-run=server" "$out" '^configmap/dry created \(server dry run\)'
out="$(k get cm dry)"
expect "the dry-run create stored nothing" "$out" 'NotFound'
cat >"$TMP/dry.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: applied
data:
  k: v1
YAML
out="$(k apply -f "$TMP/dry.yaml" --dry-run=server)"
expect "apply --dry-run=server (create)" "$out" '^configmap/applied created \(server dry run\)'
out="$(k get cm applied)"
expect "the dry-run apply stored nothing" "$out" 'NotFound'
k apply -f "$TMP/dry.yaml" >/dev/null
sed -i 's/k: v1/k: v2/' "$TMP/dry.yaml"
out="$(k apply -f "$TMP/dry.yaml" --dry-run=server)"
expect "apply --dry-run=server (patch)" "$out" '^configmap/applied configured \(server dry run\)'
out="$(k get cm applied -o jsonpath='{.data.k}')"
expect "the dry-run patch changed nothing" "$out" '^v1$'

# delete --cascade: the propagation policy's finalizer (nothing collects them yet, so the
# orphan and foreground objects stay, marked for deletion).
for name in orphan fg bg; do k create configmap "$name" --from-literal=a=b >/dev/null; done
out="$(k delete cm orphan --cascade=orphan --wait=false)"
expect "delete --cascade=orphan" "$out" 'configmap "orphan" deleted'
out="$(k get cm orphan -o jsonpath='{.metadata.finalizers} {.metadata.deletionTimestamp}')"
expect "orphan finalizer" "$out" '^\["orphan"\] [0-9]{4}-'
out="$(k delete cm fg --cascade=foreground --wait=false)"
expect "delete --cascade=foreground" "$out" 'configmap "fg" deleted'
out="$(k get cm fg -o jsonpath='{.metadata.finalizers}')"
expect "foregroundDeletion finalizer" "$out" '^\["foregroundDeletion"\]$'
out="$(k delete cm bg --cascade=background)"
expect "delete --cascade=background" "$out" 'configmap "bg" deleted'
out="$(k get cm bg)"
expect "background delete removed it at once" "$out" 'NotFound'

# delete -l: every pod with the label (unscheduled pods go at once).
for p in x1 x2; do k run "$p" --image=busybox --labels=app=x >/dev/null; done
k run y1 --image=busybox --labels=app=y >/dev/null
out="$(k get pod x1 -o jsonpath='{.spec.serviceAccountName}')"
expect "ServiceAccount admission named the default account" "$out" '^default$'
out="$(k delete pods -l app=x)"
expect "delete pods -l app=x" "$out" 'pod "x1" deleted' 'pod "x2" deleted'
out="$(k get pods -o name)"
expect "only the unlabelled pod is left" "$out" '^pod/y1$'
out="$(curl -s -X DELETE "$URL/api/v1/namespaces/default/pods?labelSelector=app%3Dy")"
expect "deletecollection over HTTP" "$out" '^\{"kind":"PodList".*"name":"y1"'

# Namespace termination: the namespace stays Terminating (no namespace controller yet) and
# takes no new content.
out="$(k delete namespace team --wait=false)"
expect "delete namespace" "$out" 'namespace "team" deleted'
out="$(k get ns team -o jsonpath='{.status.phase}')"
expect "namespace is Terminating" "$out" '^Terminating$'
out="$(k create configmap late -n team --from-literal=a=b)"
expect "no new content in a terminating namespace" "$out" \
  'configmaps "late" is forbidden: unable to create new content in namespace team because it is being terminated'
out="$(k delete namespace kube-system --wait=false)"
expect "kube-system cannot be deleted" "$out" 'namespaces "kube-system" (not found|is forbidden)'

# ResourceQuota admission.
k create quota pods-quota --hard=pods=1 >/dev/null
k run q1 --image=busybox >/dev/null
out="$(k run q2 --image=busybox)"
expect "quota exceeded" "$out" \
  'Error from server \(Forbidden\): pods "q2" is forbidden: exceeded quota: pods-quota, requested: pods=1, used: pods=1, limited: pods=1'

# CustomResourceDefinitions: apply a CRD, wait until it is established, then use the kind.
cat >"$TMP/crd.yaml" <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names: {plural: crontabs, singular: crontab, kind: CronTab, shortNames: [ct]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
    additionalPrinterColumns:
    - {name: Spec, type: string, jsonPath: .spec.cronSpec}
    - {name: Replicas, type: integer, jsonPath: .spec.replicas}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            description: The schedule and the image to run.
            properties:
              cronSpec: {type: string, description: A cron schedule.}
              image: {type: string, default: busybox}
              replicas: {type: integer, minimum: 1, maximum: 10}
YAML
out="$(k apply -f "$TMP/crd.yaml")"
expect "apply a CRD" "$out" 'customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com created'
out="$(k wait --for condition=established --timeout=60s crd/crontabs.stable.example.com)"
expect "CRD established" "$out" 'condition met'
cat >"$TMP/ct.yaml" <<'YAML'
apiVersion: stable.example.com/v1
kind: CronTab
metadata:
  name: my-cron
spec:
  cronSpec: "* * * * */5"
  replicas: 1
  unknownField: dropped
YAML
# kubectl validates strictly by default: a field the schema does not know is an error...
out="$(k apply -f "$TMP/ct.yaml")"
expect "kubectl apply validates fields strictly" "$out" \
  '(strict decoding error: unknown field "spec.unknownField"|ValidationError\(CronTab.spec\): unknown field "unknownField")'
# ... and without validation it is pruned.
out="$(k apply -f "$TMP/ct.yaml" --validate=false)"
expect "apply a custom object" "$out" 'crontab.stable.example.com/my-cron created'
out="$(k get crontabs)"
expect "get <plural> (printer columns)" "$out" '^NAME +SPEC +REPLICAS +AGE' '^my-cron +\* \* \* \* \*/5 +1 +[0-9]+s'
out="$(k get ct my-cron -o jsonpath='{.spec.image} {.spec.unknownField}')"
expect "get <shortname>: default applied, unknown field pruned" "$out" '^busybox $'
sed -i '/unknownField: dropped/d' "$TMP/ct.yaml"
sed -i 's/replicas: 1/replicas: 2/' "$TMP/ct.yaml"
out="$(k apply -f "$TMP/ct.yaml")"
expect "apply again (merge patch)" "$out" 'crontab.stable.example.com/my-cron configured'
out="$(k patch ct my-cron --type=merge -p '{"spec":{"replicas":11}}')"
expect "schema validation" "$out" \
  'The CronTab "my-cron" is invalid: spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10'
out="$(k scale ct my-cron --replicas=3)"
expect "scale a custom object" "$out" 'crontab.stable.example.com/my-cron scaled'
out="$(k get ct my-cron -o jsonpath='{.spec.replicas}')"
expect "scaled through .spec.replicas" "$out" '^3$'
out="$(k explain crontab.spec)"
expect "explain <kind>.spec" "$out" 'KIND: +CronTab' 'The schedule and the image to run' 'cronSpec'
out="$(k api-resources --api-group=stable.example.com)"
expect "api-resources" "$out" '^crontabs +ct +stable.example.com/v1 +true +CronTab'
out="$(k delete crd crontabs.stable.example.com)"
expect "delete the CRD" "$out" 'customresourcedefinition.apiextensions.k8s.io "crontabs.stable.example.com" deleted'
out="$(k get crontabs)"
# (kubectl's discovery cache may still list it; then the server answers 404.)
expect "no longer served" "$out" \
  'the server doesn.t have a resource type "crontabs"|Unable to list "stable.example.com/v1, Resource=crontabs": the server could not find the requested resource'

if [[ "$FAILED" != 0 ]]; then
  echo "server log:"; cat "$TMP/server.log"
  exit 1
fi
echo "PASS"
