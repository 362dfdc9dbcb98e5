#!/usr/bin/env bash
# Formats the project's C++ with clang-format (Google style, .clang-format at the root).
#   tools/format.sh          rewrite files in place
#   tools/format.sh --check  list badly formatted files and exit 1 if there are any
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- \
  'lib/*.cc' 'lib/*.h' 'cmd/*.cc' 'cmd/*.h' 'bench/*.cc' 'bench/*.h' 'tests/*.cc' 'tests/*.h' \
  'examples/*.cc' 'examples/*.h' 'tools/*.cc' 'tools/*.h' | while read -r f; do [ -f "$f" ] && echo "$f"; done)
[ ${#files[@]} -eq 0 ] && exit 0
if [ "${1:-}" = "--check" ]; then
  bad=0
  for f in "${files[@]}"; do
    if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
      echo "format: $f needs clang-format (run tools/format.sh)"
      bad=1
    fi
  done
  exit $bad
fi
clang-format -i "${files[@]}"
