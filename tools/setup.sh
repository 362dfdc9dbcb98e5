#!/usr/bin/env bash
# Installs the Debian packages Rudder builds and tests with. Idempotent: prints nothing and
# touches nothing when every package is already there. Needs root (or sudo) only to install.
set -euo pipefail

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
[ ${#missing[@]} -eq 0 ] && exit 0

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
