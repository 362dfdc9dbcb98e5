# Shared set-up of the kubectl end-to-end tests; sourced, not run.
#
#   source .../tests/lib/kubectl_harness.sh
#   kubectl_harness_start <server binary, runfiles path> <name> [<server binary override>]
#
# kubectl is $KUBECTL (default: the machine's 1.33); a test target for another version sets
# KUBECTL_ENV to the name of the variable holding its path (passed with --test_env by
# tools/test.sh). Skips the test when kubectl is missing (harness_skip: a SKIPPED line and a
# JUnit report with one skipped case, so the summary counts it as skipped), starts the server
# (which writes its port to the file named by its first argument), writes a kubeconfig, and defines
#   k ARGS...                        kubectl against the server (stderr folded into stdout)
#   expect WHAT OUTPUT NEEDLE...     every extended regex must match OUTPUT, else FAILED=1
#   expect_not WHAT OUTPUT NEEDLE    the regex must not match
# and the variables KUBECTL, KUBECTL_MINOR (20, 27, 33, ...), SERVER, SERVER_PID, TMP, PORT,
# URL and FAILED. A script may define harness_extra_cleanup, which runs before the server is
# stopped at exit. With HARNESS_NO_KUBECTL=1 (tests of other clients) kubectl is not looked for.

# Prints a visible SKIPPED line, writes a JUnit report with one skipped case (when Bazel asks
# for one) and exits 0.
harness_skip() {
  echo "SKIPPED: $1"
  if [[ -n "${XML_OUTPUT_FILE:-}" ]]; then
    local name="${TEST_TARGET:-test}"
    cat >"$XML_OUTPUT_FILE" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<testsuites><testsuite name="$name" tests="1" skipped="1" failures="0" errors="0">
<testcase name="$name" classname="$name" status="notrun"><skipped message="$1"/></testcase>
</testsuite></testsuites>
XML
  fi
  exit 0
}

kubectl_harness_cleanup() {
  if declare -F harness_extra_cleanup >/dev/null; then harness_extra_cleanup; fi
  kill -TERM "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID" 2>/dev/null
}

kubectl_harness_start() {
  if [[ "${HARNESS_NO_KUBECTL:-}" != 1 ]]; then harness_find_kubectl; fi
  harness_start_server "$@"
}

# Sets KUBECTL and KUBECTL_MINOR, or skips.
harness_find_kubectl() {
  if [[ -n "${KUBECTL_ENV:-}" ]]; then
    KUBECTL="${!KUBECTL_ENV:-}"
    if [[ -z "$KUBECTL" ]]; then
      harness_skip "$KUBECTL_ENV is not set (tools/setup.sh fetches it, tools/test.sh passes it with --test_env); the kubectl end-to-end test did not run."
    fi
  fi
  KUBECTL="${KUBECTL:-/usr/lib/google-cloud-sdk/bin/kubectl.1.33}"
  if [[ ! -x "$KUBECTL" ]]; then
    harness_skip "$KUBECTL not found; the kubectl end-to-end test did not run."
  fi
  KUBECTL_MINOR="$("$KUBECTL" version --client 2>/dev/null | grep -Eo 'v1\.[0-9]+' | head -1 | cut -d. -f2)"
  echo "kubectl: $KUBECTL (1.${KUBECTL_MINOR:-?})"
}

# Starts the server and writes the kubeconfig (the arguments of kubectl_harness_start).
harness_start_server() {
  SERVER="${3:-}"
  if [[ -z "$SERVER" ]]; then
    SERVER="${TEST_SRCDIR:-}/${TEST_WORKSPACE:-}/$1"
  fi
  if [[ ! -x "$SERVER" ]]; then
    echo "cannot find $(basename "$1") (looked at $SERVER)"
    exit 1
  fi
  TMP="$(mktemp -d "${TEST_TMPDIR:-/tmp}/$2.XXXXXX")"
  "$SERVER" "$TMP/port" 2>"$TMP/server.log" &
  SERVER_PID=$!
  trap kubectl_harness_cleanup EXIT
  for _ in $(seq 1 200); do
    [[ -s "$TMP/port" ]] && break
    sleep 0.05
  done
  PORT="$(cat "$TMP/port" 2>/dev/null)"
  if [[ -z "$PORT" ]]; then
    echo "server did not start:"; cat "$TMP/server.log"; exit 1
  fi
  URL="http://127.0.0.1:$PORT"
  cat >"$TMP/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- cluster: {server: "$URL"}
  name: rudder
contexts:
- context: {cluster: rudder, user: test, namespace: default}
  name: rudder
current-context: rudder
users:
- name: test
  user: {}
KC
  export HOME="$TMP"
  FAILED=0
}

k() { "$KUBECTL" --kubeconfig "$TMP/kubeconfig" --cache-dir "$TMP/cache" "$@" 2>&1; }

expect() {
  local what="$1" out="$2"
  shift 2
  for needle in "$@"; do
    if ! grep -Eq -- "$needle" <<<"$out"; then
      echo "FAIL: $what: expected /$needle/ in:"
      echo "$out" | sed 's/^/    /'
      FAILED=1
      return
    fi
  done
  echo "ok: $what"
}

expect_not() {
  if grep -Eq -- "$3" <<<"$2"; then
    echo "FAIL: $1: did not expect /$3/ in:"; echo "$2" | sed 's/^/    /'; FAILED=1
  else
    echo "ok: $1"
  fi
}
