#!/usr/bin/env bash
# Every C++ file of the repository is as .clang-format has it. Lists the files that are not, and
# how to fix them. Usage: contrib/format-check.sh [--fix]
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files -- '*.cpp' '*.hpp' '*.h' '*.cc')
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  if ! clang-format "$f" | cmp -s - "$f"; then bad+=("$f"); fi
done
if [ "${#bad[@]}" -gt 0 ]; then
  printf 'not formatted: %s\n' "${bad[@]}"
  echo "${#bad[@]} of ${#files[@]} C++ files differ from .clang-format; run: bash contrib/format-check.sh --fix"
  exit 1
fi
echo "all ${#files[@]} C++ files formatted"
