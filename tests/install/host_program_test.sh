#!/usr/bin/env bash
# Builds tests/install/host.cc with plain g++ and pkg-config against the install tree (no
# Bazel), runs it, and checks the tree's shape.
set -euo pipefail
tree=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$2
for f in lib/librudder.a lib/pkgconfig/rudder.pc include/lib/base/clock.h include/lib/store/store.h \
         include/lib/api/proto/core/v1/core.pb.h include/lib/api/codec/json.h; do
  [ -e "$tree/$f" ] || { echo "missing $f in the install tree"; exit 1; }
done
export PKG_CONFIG_PATH="$tree/lib/pkgconfig"
out=${TEST_TMPDIR:-$(mktemp -d)}/host
g++ -std=c++20 -o "$out" "$src" $(pkg-config --cflags --libs rudder)
"$out" | grep -q "host program OK"
echo PASS
