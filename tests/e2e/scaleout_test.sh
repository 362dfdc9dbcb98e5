#!/usr/bin/env bash
# End-to-end test of the scale-out shape on one machine: a 3-member etcd cluster, 2 `rudder
# apiserver`, 2 `rudder controller-manager`, 2 `rudder scheduler` and 3 `rudder node`, all
# separate processes on 127.0.0.1. A Deployment is applied with kubectl; then the active
# controller manager, the active scheduler, one API server and one etcd member are killed with
# SIGKILL in turn, and after each kill the Deployment is scaled (or a pod deleted) and must
# converge (every replica Running, scheduled by the scheduler) with no object lost.
# Usage: scaleout_test.sh <rudder binary>
set -euo pipefail
rudder=$(realpath "$1")
t_begin=$SECONDS
kubectl=${KUBECTL:-}
for k in /usr/lib/google-cloud-sdk/bin/kubectl /usr/bin/kubectl "$(command -v kubectl || true)"; do
  if [ -z "$kubectl" ] && [ -n "$k" ] && [ -x "$k" ]; then kubectl=$k; fi
done
[ -n "$kubectl" ] || { echo "kubectl not found; skipped"; exit 0; }
etcd=${ETCD:-/usr/bin/etcd}
[ -x "$etcd" ] || { echo "etcd not found; skipped"; exit 0; }

tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/scaleout.XXXXXX")
declare -A pids=()
cleanup() {
  for name in "${!pids[@]}"; do kill -TERM "${pids[$name]}" 2>/dev/null || true; done
  for name in "${!pids[@]}"; do wait "${pids[$name]}" 2>/dev/null || true; done
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  "$kubectl" get nodes,deploy,rs,pods -o wide 2>&1 || true
  "$kubectl" get leases -n kube-system 2>&1 || true
  for f in "$tmp"/*.err; do echo "--- $f"; tail -n 15 "$f"; done
  exit 1
}
log() { echo "[$((SECONDS - t_begin))s] $*"; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# --- etcd: three members.
cluster=
declare -a client_ports peer_ports
for i in 0 1 2; do
  client_ports[$i]=$(free_port)
  peer_ports[$i]=$(free_port)
  cluster+="${cluster:+,}e$i=http://127.0.0.1:${peer_ports[$i]}"
done
start_etcd() {
  local i=$1
  "$etcd" --name "e$i" --data-dir "$tmp/etcd$i" \
    --listen-client-urls "http://127.0.0.1:${client_ports[$i]}" \
    --advertise-client-urls "http://127.0.0.1:${client_ports[$i]}" \
    --listen-peer-urls "http://127.0.0.1:${peer_ports[$i]}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${peer_ports[$i]}" \
    --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token rudder-e2e \
    --heartbeat-interval 50 --election-timeout 500 >"$tmp/etcd$i.out" 2>"$tmp/etcd$i.err" &
  pids[etcd$i]=$!
}
for i in 0 1 2; do start_etcd "$i"; done
etcd_servers="127.0.0.1:${client_ports[0]},127.0.0.1:${client_ports[1]},127.0.0.1:${client_ports[2]}"
ok=
for _ in $(seq 200); do
  if ETCDCTL_API=3 etcdctl --endpoints "$etcd_servers" endpoint health >/dev/null 2>&1; then
    ok=1
    break
  fi
  sleep 0.1
done
[ -n "$ok" ] || fail "etcd cluster never became healthy"
log "etcd: 3 members on $etcd_servers"

# Starts `rudder "$@"` as process $name; wait_ready waits for the "ready" lines.
launch() {
  local name=$1
  shift
  "$rudder" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pids[$name]=$!
}
wait_ready() {
  local name
  for name in "$@"; do
    for _ in $(seq 600); do
      grep -qx ready "$tmp/$name.out" && continue 2
      kill -0 "${pids[$name]}" 2>/dev/null || fail "$name exited: $(cat "$tmp/$name.err")"
      sleep 0.1
    done
    fail "$name never printed ready"
  done
}
api_port() { grep -m1 -o '127.0.0.1:[0-9]*' "$tmp/$1.out" | cut -d: -f2; }

# --- two API servers on the etcd cluster.
launch api1 apiserver --etcd-servers "$etcd_servers" --port 0
launch api2 apiserver --etcd-servers "$etcd_servers" --port 0
wait_ready api1 api2
a1=http://127.0.0.1:$(api_port api1)
a2=http://127.0.0.1:$(api_port api2)
log "API servers: $a1 $a2"
use_kubeconfig() {
  printf 'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: %s\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user: {}\n' "$1" >"$tmp/kubeconfig"
  export KUBECONFIG=$tmp/kubeconfig
}
use_kubeconfig "$a1"
k() { "$kubectl" --request-timeout=10s "$@"; }

# --- controller managers, schedulers, nodes; each knows both API servers.
le=(--leader-elect-lease-duration=3s --leader-elect-renew-deadline=2s
  --leader-elect-retry-period=500ms)
launch cm1 controller-manager --apiserver "$a1,$a2" "${le[@]}"
launch cm2 controller-manager --apiserver "$a2,$a1" "${le[@]}"
launch sched1 scheduler --apiserver "$a1,$a2" "${le[@]}"
launch sched2 scheduler --apiserver "$a2,$a1" "${le[@]}"
for n in 1 2 3; do
  launch "node$n" node --name "node$n" --apiserver "$a1,$a2" --data-dir "$tmp/node$n"
done
wait_ready cm1 cm2 sched1 sched2 node1 node2 node3
log "2 controller managers, 2 schedulers, 3 nodes started"

# --- workload: a Deployment of 3 sleeping pods, and 20 ConfigMaps that must never be lost.
cat >"$tmp/web.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: busybox:1.36
        command: ["sleep", "3600"]
EOF
k apply -f "$tmp/web.yaml" >/dev/null
for i in $(seq 20); do k create configmap "keep-$i" --from-literal=i="$i" >/dev/null; done

# Waits until the Deployment has exactly $1 pods, all Running and bound by the scheduler.
converge() {
  local want=$1 what=$2 end=$((SECONDS + 90)) running total
  while ((SECONDS < end)); do
    running=$(k get pods -l app=web --no-headers 2>/dev/null | grep -c ' Running ' || true)
    total=$(k get pods -l app=web --no-headers 2>/dev/null | wc -l || true)
    if [ "$running" = "$want" ] && [ "$total" = "$want" ]; then
      log "$what: $want/$want Running"
      return 0
    fi
    sleep 0.3
  done
  fail "$what: wanted $want Running pods, have $running Running of $total"
}
# Every object created before is still there, and every pod was scheduled (Event "Scheduled").
check_objects() {
  local n pod
  n=$(k get configmaps -o name | grep -c '^configmap/keep-' || true)
  [ "$n" = 20 ] || fail "$1: $n of 20 ConfigMaps left"
  k get deployment/web node/node1 node/node2 node/node3 >/dev/null || fail "$1: objects lost"
  k get events --field-selector reason=Scheduled \
    -o 'jsonpath={range .items[*]}{.message}{"\n"}{end}' >"$tmp/scheduled"
  for pod in $(k get pods -l app=web -o 'jsonpath={.items[*].metadata.name}'); do
    grep -q "Successfully assigned default/$pod to node" "$tmp/scheduled" ||
      fail "$1: no Scheduled event for $pod"
  done
}
holder() {
  k get lease -n kube-system "$1" -o 'jsonpath={.spec.holderIdentity}' 2>/dev/null || true
}
# The process of a lease holder ("host_pid") among ours: its name in pids[].
holder_process() {
  local id pid name
  for _ in $(seq 100); do
    id=$(holder "$1")
    pid=${id##*_}
    for name in "${!pids[@]}"; do
      if [ -n "$pid" ] && [ "${pids[$name]}" = "$pid" ]; then
        echo "$name"
        return 0
      fi
    done
    sleep 0.2
  done
  return 1
}

converge 3 "initial rollout"
check_objects "initial rollout"
# Pods spread: the scheduler placed them, not a fixed node.
k get pods -l app=web -o 'jsonpath={range .items[*]}{.spec.nodeName}{"\n"}{end}' | sort -u >"$tmp/spread"
[ "$(wc -l <"$tmp/spread")" -ge 2 ] || fail "pods not spread over nodes: $(cat "$tmp/spread")"

# 1. The active controller manager.
cm=$(holder_process rudder-controller-manager) || fail "no controller-manager lease holder"
kill -9 "${pids[$cm]}"
wait "${pids[$cm]}" 2>/dev/null || true
unset "pids[$cm]"
log "killed the active controller manager ($cm)"
k scale deployment web --replicas=4 >/dev/null
converge 4 "scale to 4 after losing $cm"
check_objects "after losing $cm"
new_cm=$(holder_process rudder-controller-manager) || fail "no new controller-manager leader"
[ "$new_cm" != "$cm" ] || fail "the lease still names $cm"

# 2. The active scheduler.
sc=$(holder_process rudder-scheduler) || fail "no scheduler lease holder"
kill -9 "${pids[$sc]}"
wait "${pids[$sc]}" 2>/dev/null || true
unset "pids[$sc]"
log "killed the active scheduler ($sc)"
victim=pod/$(k get pods -l app=web -o 'jsonpath={.items[0].metadata.name}')
k delete "$victim" --wait=false >/dev/null
k scale deployment web --replicas=5 >/dev/null
converge 5 "delete a pod and scale to 5 after losing $sc"
check_objects "after losing $sc"

# 3. One API server (the one kubectl used); kubectl moves to the other.
kill -9 "${pids[api1]}"
wait "${pids[api1]}" 2>/dev/null || true
unset "pids[api1]"
use_kubeconfig "$a2"
log "killed API server api1"
# The pod is deleted before the scale-down, which could otherwise pick the same pod.
victim=pod/$(k get pods -l app=web -o 'jsonpath={.items[0].metadata.name}')
k delete "$victim" --wait=false >/dev/null
k scale deployment web --replicas=4 >/dev/null
converge 4 "scale to 4 and delete a pod after losing api1"
check_objects "after losing api1"

# 4. One etcd member (the leader, when etcdctl says which).
leader=0
for i in 0 1 2; do
  if ETCDCTL_API=3 etcdctl --endpoints "127.0.0.1:${client_ports[$i]}" endpoint status \
    -w simple 2>/dev/null | awk -F', ' '{print $5}' | grep -q true; then
    leader=$i
  fi
done
kill -9 "${pids[etcd$leader]}"
wait "${pids[etcd$leader]}" 2>/dev/null || true
unset "pids[etcd$leader]"
log "killed etcd member e$leader"
k scale deployment web --replicas=3 >/dev/null
converge 3 "scale to 3 after losing etcd member e$leader"
k scale deployment web --replicas=5 >/dev/null
converge 5 "scale to 5 after losing etcd member e$leader"
check_objects "after losing etcd member e$leader"

log "PASS in $((SECONDS - t_begin)) s"
