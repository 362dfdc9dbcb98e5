#!/bin/bash
# End-to-end test: @kubernetes/client-node 1.x (from npm) against the Rudder API server.
# tools/setup.sh installs the package into ~/.cache/rudder/client-node and tools/test.sh passes
# its node_modules as --test_env=RUDDER_CLIENT_NODE; without it (or without node) the test
# skips visibly and counts as skipped.
set -u

HARNESS="${TEST_SRCDIR:-}/${TEST_WORKSPACE:-}/tests/lib/kubectl_harness.sh"
[[ -f "$HARNESS" ]] || HARNESS="$(cd "$(dirname "$0")" && git rev-parse --show-toplevel)/tests/lib/kubectl_harness.sh"
# shellcheck source=tests/lib/kubectl_harness.sh
source "$HARNESS"
SCRIPT="${TEST_SRCDIR:-}/${TEST_WORKSPACE:-}/tests/clients/client_node_test.mjs"
[[ -f "$SCRIPT" ]] || SCRIPT="$(cd "$(dirname "$0")" && pwd)/client_node_test.mjs"

NODE="$(command -v node || true)"
[[ -n "$NODE" ]] || harness_skip "node not found; the client-node test did not run."
MODULES="${RUDDER_CLIENT_NODE:-}"
if [[ -z "$MODULES" || ! -f "$MODULES/@kubernetes/client-node/package.json" ]]; then
  harness_skip "RUDDER_CLIENT_NODE does not name a node_modules with @kubernetes/client-node (tools/setup.sh installs it, tools/test.sh passes it); the client-node test did not run."
fi
echo "client-node $(grep -Eo '"version": *"[^"]+"' "$MODULES/@kubernetes/client-node/package.json")"

# The harness starts the server and writes the kubeconfig; this test needs no kubectl.
HARNESS_NO_KUBECTL=1 kubectl_harness_start tests/apiserver/apiserver_main client_node_test "${1:-}"
# client-node accepts http:// servers only with TLS verification off.
sed -i 's|cluster: {server: "\(.*\)"}|cluster: {server: "\1", insecure-skip-tls-verify: true}|' \
  "$TMP/kubeconfig"

"$NODE" "$SCRIPT" "$MODULES" "$TMP/kubeconfig"
rc=$?
if [[ "$rc" != 0 ]]; then
  echo "server log:"; cat "$TMP/server.log"
fi
exit "$rc"
