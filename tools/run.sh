#!/usr/bin/env bash
# The README's first command: sets up the machine, builds `rudder` optimised, and runs it with
# the given arguments (`tools/run.sh demo`, `tools/run.sh --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
exec bazel run --config=opt //cmd/rudder -- "$@"
