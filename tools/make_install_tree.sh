#!/usr/bin/env bash
# Action of rudder_install_tree (tools/install.bzl):
#   OUT VERSION REQUIRES EXTRA_LIBS NHEADERS [SRC DEST]... ARCHIVE...
set -euo pipefail
out=$1 version=$2 requires=$3 extra=$4 n=$5
shift 5
mkdir -p "$out/include" "$out/lib/pkgconfig"
for ((i = 0; i < n; i++)); do
  mkdir -p "$out/include/$(dirname "$2")"
  cp -f "$1" "$out/include/$2"
  shift 2
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/objs"
k=0
for a in "$@"; do
  k=$((k + 1))
  mkdir "$work/$k"
  (cd "$work/$k" && ar x "$OLDPWD/$a")
  for o in "$work/$k"/*; do
    [ -e "$o" ] && mv "$o" "$work/objs/${k}_$(basename "$o")"
  done
done
rm -f "$out/lib/librudder.a"
if compgen -G "$work/objs/*" >/dev/null; then
  ar rcs "$out/lib/librudder.a" "$work"/objs/*
else
  ar rcs "$out/lib/librudder.a"
fi
cat > "$out/lib/pkgconfig/rudder.pc" <<PC
prefix=\${pcfiledir}/../..
includedir=\${prefix}/include
libdir=\${prefix}/lib

Name: rudder
Description: Rudder, an embeddable Kubernetes-style control plane (C++20)
Version: $version
Requires: $requires
Cflags: -I\${includedir}
Libs: -L\${libdir} -lrudder $extra
PC
