#!/usr/bin/env bash
# Configures and builds ptagent into build/ (warnings are errors). Usage: contrib/build.sh [BUILD_DIR] [cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPTAGENT_WERROR=ON "$@" >/dev/null
ninja -C "$dir" -j"$(nproc)"
