#!/usr/bin/env bash
# Installs Rudder for host programs that do not use Bazel:
#   tools/install.sh PREFIX    ->  PREFIX/include, PREFIX/lib/librudder.a, PREFIX/lib/pkgconfig/rudder.pc
# Then: PKG_CONFIG_PATH=PREFIX/lib/pkgconfig g++ -std=c++20 app.cc $(pkg-config --cflags --libs rudder)
set -euo pipefail
prefix=${1:?usage: tools/install.sh PREFIX}
cd "$(dirname "$0")/.."
tools/setup.sh
bazel build -c opt //:install_tree
mkdir -p "$prefix"
tree="$(bazel info -c opt bazel-bin)/install_tree"
cp -rf --no-preserve=mode "$tree/." "$prefix/"
echo "installed into $prefix (PKG_CONFIG_PATH=$prefix/lib/pkgconfig)"
