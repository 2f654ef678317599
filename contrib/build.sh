#!/usr/bin/env bash
# Configures and builds ptagent into build/ (warnings are errors).
# Usage: contrib/build.sh [BUILD_DIR] [cmake args...]
# PTAGENT_TARGETS="ptagent ..." builds only those targets (run-main.sh); unset, everything
# (run-tests.sh: the unit tests, the hook and its simulators too).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPTAGENT_WERROR=ON "$@" >/dev/null
# shellcheck disable=SC2086 # a list of target names
ninja -C "$dir" -j"$(nproc)" ${PTAGENT_TARGETS:-}
