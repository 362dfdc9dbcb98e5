#!/usr/bin/env bash
# The README's second command: sets up the machine, builds everything, runs every test, and
# ends with the line `N passed, N failed` (test cases, from Bazel's results and the checks).
#
#   tools/test.sh                 everything, then the small unit tests again under ASan+UBSan
#   RUDDER_SANITIZER=tsan tools/test.sh   ... under TSan instead
#   RUDDER_SANITIZER=none tools/test.sh   skip the sanitizer pass
# Extra arguments are passed to every `bazel test` (e.g. --test_output=all).
set -uo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

# The clients tools/setup.sh fetched for the compatibility tests (they skip without them).
cache="${RUDDER_CACHE:-$HOME/.cache/rudder}"
client_env=()
if [ -x "$cache/kubectl-1.20/usr/bin/kubectl" ]; then
  client_env+=("--test_env=RUDDER_KUBECTL_1_20=$cache/kubectl-1.20/usr/bin/kubectl")
fi
if [ -d "$cache/client-node/node_modules/@kubernetes/client-node" ]; then
  client_env+=("--test_env=RUDDER_CLIENT_NODE=$cache/client-node/node_modules")
fi

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
checks=()
start=$(date +%s)

if tools/format.sh --check; then checks+=(format=PASS); else checks+=(format=FAIL); fi
if tools/check_layers.sh; then checks+=(layering=PASS); else checks+=(layering=FAIL); fi

bazel test //... "${client_env[@]}" "$@" 2>&1 | tee "$logs/main.log"
runs=("$logs/main.log:$(bazel info bazel-testlogs 2>/dev/null)")
echo "test: main pass took $(( $(date +%s) - start )) s"

sanitizer=${RUDDER_SANITIZER:-asan}
if [ "$sanitizer" != none ]; then
  t=$(date +%s)
  bazel test --config="$sanitizer" --build_tests_only --test_size_filters=small //lib/... "$@" \
    2>&1 | tee "$logs/$sanitizer.log"
  runs+=("$logs/$sanitizer.log:$(bazel info --config="$sanitizer" bazel-testlogs 2>/dev/null)")
  echo "test: $sanitizer pass took $(( $(date +%s) - t )) s"
fi
echo "test: total $(( $(date +%s) - start )) s"
python3 tools/test_summary.py "${runs[@]}" "${checks[@]}"
