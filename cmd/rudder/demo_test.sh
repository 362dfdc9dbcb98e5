#!/usr/bin/env bash
# The main job runs, and its objects survive a restart: a second run finds them unchanged.
set -euo pipefail
rudder=$1 manifest=$2
dir=${TEST_TMPDIR:-$(mktemp -d)}/data
first=$("$rudder" demo --data-dir "$dir" --manifest "$manifest")
echo "$first"
grep -q '^apply: deployment/hello created' <<<"$first"
grep -q '^apply: service/hello created' <<<"$first"
grep -q '^watch: PUT /registry/apps/deployments/default/hello' <<<"$first"
grep -q '^  Service/hello' <<<"$first"
grep -q 'image: busybox:1.37' <<<"$first"
grep -q 'replicas: 3' <<<"$first"
second=$("$rudder" demo --data-dir "$dir" --manifest "$manifest")
grep -q '^apply: service/hello unchanged' <<<"$second"
# The manifest says replicas 2 again, so the Deployment is configured back, then patched.
grep -q '^apply: deployment/hello configured' <<<"$second"
# Bad flags are refused with a clear message and exit code 2.
set +e
"$rudder" demo --no-such-flag 2>err; rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q 'unknown flag --no-such-flag' err
echo PASS
