#!/usr/bin/env bash
# Checks the layering rule: a library may include only its own layer and the layers below.
#   base <- api <- store <- apiserver <- client <- {controllers, sched, runtime} <- testing
# Prints each offending include and exits 1 if there is any.
set -euo pipefail
cd "$(dirname "$0")/.."
rank() {
  case "$1" in
    base) echo 0 ;; api) echo 1 ;; store) echo 2 ;; apiserver) echo 3 ;; client) echo 4 ;;
    controllers|sched|runtime) echo 5 ;; testing) echo 6 ;; *) echo 99 ;;
  esac
}
bad=0
while IFS= read -r line; do
  file=${line%%:*}
  inc=$(sed -E 's/.*#include "lib\/([a-z_]+)\/.*/\1/' <<<"$line")
  layer=$(cut -d/ -f2 <<<"$file")
  from=$(rank "$layer"); to=$(rank "$inc")
  # Peers of the top layers (controllers, sched, runtime) must not include each other either.
  if [ "$to" -gt "$from" ] || { [ "$to" -eq 5 ] && [ "$from" -eq 5 ] && [ "$inc" != "$layer" ]; }; then
    echo "layering: $file includes lib/$inc (lib/$layer may not depend on it)"
    bad=1
  fi
done < <(git ls-files --cached --others --exclude-standard -- 'lib/*.cc' 'lib/*.h' |
         xargs -r grep -HE '^#include "lib/' 2>/dev/null || true)
exit $bad
