#!/usr/bin/env bash
# Style gate: runs `clang-format --dry-run --Werror` (style from .clang-format)
# over every C/C++ source of the tree (*.cc *.h *.hpp *.c), build directories
# excluded, and fails if any file would change. To fix what it reports:
#   bash scripts/check-format.sh --fix      # rewrites the files in place
set -euo pipefail
cd "$(dirname "$0")/.."

fix=0
if [[ "${1:-}" == --fix ]]; then
  fix=1
fi

command -v clang-format >/dev/null || {
  echo "format: clang-format is not installed (bash scripts/setup.sh installs it)" >&2
  exit 1
}

# Source directories only: build*/ trees hold generated code, and .git,
# .cache are not ours.
mapfile -d '' files < <(find . \
  \( -path './build*' -o -path './.git' -o -path './.cache' -o -name 'corpus' \) -prune -o \
  -type f \( -name '*.cc' -o -name '*.h' -o -name '*.hpp' -o -name '*.c' \) -print0 | sort -z)

if ((${#files[@]} == 0)); then
  echo "format: no source files found" >&2
  exit 1
fi

if ((fix)); then
  clang-format -i --style=file "${files[@]}"
  echo "format: reformatted ${#files[@]} files in place"
  exit 0
fi

bad=()
for f in "${files[@]}"; do
  if ! clang-format --dry-run --Werror --style=file "$f" >/dev/null 2>&1; then
    bad+=("${f#./}")
  fi
done

if ((${#bad[@]} > 0)); then
  echo "format: ${#bad[@]} of ${#files[@]} files differ from .clang-format:"
  for f in "${bad[@]}"; do
    echo "  $f"
  done
  # The first few differences, as clang-format reports them.
  clang-format --dry-run --Werror --style=file "${bad[@]:0:3}" 2>&1 | head -n 40 || true
  echo "format: FAILED (fix with: bash scripts/check-format.sh --fix)"
  exit 1
fi
echo "format: ${#files[@]} files match .clang-format ($(clang-format --version | sed 's/.*version //'))"
