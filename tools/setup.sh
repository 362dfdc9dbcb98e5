#!/usr/bin/env bash
# Installs the Debian packages Rudder builds and tests with, then fetches once the clients the
# compatibility tests use into a cache outside the checkout (${RUDDER_CACHE:-~/.cache/rudder}):
# Debian's kubectl 1.20 (kubectl-1.20/usr/bin/kubectl) and @kubernetes/client-node@1 from npm
# (client-node/node_modules). Idempotent: prints nothing and touches nothing when everything is
# already there; a fetch that fails (no network) prints one line and the tests using it skip.
# Needs root (or sudo) only to install packages.
set -euo pipefail

cache="${RUDDER_CACHE:-$HOME/.cache/rudder}"

# Debian's kubernetes-client (kubectl 1.20), unpacked, not installed.
fetch_kubectl_1_20() {
  local dir="$cache/kubectl-1.20"
  [ -x "$dir/usr/bin/kubectl" ] && return 0
  command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || return 0
  local tmp
  tmp="$(mktemp -d)"
  chmod 755 "$tmp"
  if (cd "$tmp" && apt-get download -q kubernetes-client >/dev/null 2>&1) &&
    mkdir -p "$cache" && rm -rf "$dir.tmp" && dpkg-deb -x "$tmp"/kubernetes-client_*.deb "$dir.tmp" &&
    [ -x "$dir.tmp/usr/bin/kubectl" ]; then
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
    echo "setup: kubectl 1.20 in $dir" >&2
  else
    rm -rf "$dir.tmp"
    echo "setup: could not fetch kubernetes-client (kubectl 1.20); its tests will skip" >&2
  fi
  rm -rf "$tmp"
}

# @kubernetes/client-node 1.x (2.x needs node >= 22).
fetch_client_node() {
  local dir="$cache/client-node"
  [ -f "$dir/node_modules/@kubernetes/client-node/package.json" ] && return 0
  command -v node >/dev/null && command -v npm >/dev/null || return 0
  mkdir -p "$dir"
  if npm install --prefix "$dir" --no-audit --no-fund --silent "@kubernetes/client-node@1" \
    >/dev/null 2>&1; then
    echo "setup: @kubernetes/client-node@1 in $dir" >&2
  else
    echo "setup: could not install @kubernetes/client-node@1; its test will skip" >&2
  fi
}

packages=(
  # Toolchain and build.
  bazel-bootstrap g++ pkg-config python3 clang clang-format
  # Libraries (linked through @system, see third_party/system/pkg_config.bzl).
  libabsl-dev libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc
  librocksdb-dev libcpp-httplib-dev libgtest-dev libgmock-dev libbenchmark-dev
  libyaml-cpp-dev rapidjson-dev libssl-dev
  # Real components the tests start on 127.0.0.1.
  etcd-server etcd-client
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  fetch_kubectl_1_20
  fetch_client_node
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts etcd as a system service on install; tests start their own on free ports.
if command -v systemctl >/dev/null && systemctl is-active --quiet etcd 2>/dev/null; then
  $sudo systemctl stop etcd || true
fi
fetch_kubectl_1_20
fetch_client_node
