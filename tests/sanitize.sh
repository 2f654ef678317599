#!/usr/bin/env bash
# The unit and end-to-end suites under AddressSanitizer + UndefinedBehaviorSanitizer: builds the
# project and its tests in build-asan (PTAGENT_SANITIZE=ON, warnings are errors), runs ctest and
# every tests/e2e/*.sh with the sanitized ptagent and simulated hook. Every sanitizer report lands
# in build-asan/sanitizer-logs/ (log_path; the hook binaries, which libvirtd runs with a scrubbed
# environment, have that directory compiled in), so a report is caught even where a script
# ignores an exit status or libvirtd swallows the hook's stderr. Fails on any failure or report.
#
# Environment: PTAGENT_ASAN_BUILD (default build-asan), PTAGENT_ASAN_E2E=0 skips the e2e scripts.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
build=${PTAGENT_ASAN_BUILD:-build-asan}

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPTAGENT_SANITIZE=ON \
  -DPTAGENT_WERROR=ON >/dev/null || exit 1
ninja -C "$build" -j2 || { echo "sanitize: build failed"; exit 1; }

logs=$top/$build/sanitizer-logs
rm -rf "$logs"
mkdir -p "$logs"
export ASAN_OPTIONS="log_path=$logs/asan:halt_on_error=1:detect_leaks=1:strict_string_checks=1:check_initialization_order=1:detect_odr_violation=2"
export UBSAN_OPTIONS="log_path=$logs/ubsan:halt_on_error=1:print_stacktrace=1"


failed=0
step() {
  echo
  echo "=== sanitize: $* ==="
  if "$@"; then return 0; fi
  echo "FAILED (sanitize): $*"
  failed=$((failed + 1))
}

step ctest --test-dir "$build" --output-on-failure -j2 --timeout 600
if [ "${PTAGENT_ASAN_E2E:-1}" != 0 ]; then
  for t in tests/e2e/*.sh; do
    [ -f "$t" ] || continue
    step env PTAGENT_BIN="$top/$build/ptagent" PTAGENT_HOOK_SIM_BIN="$top/$build/tests/ptagent-hook-sim" \
      timeout 900 bash "$t"
  done
fi

reports=$(find "$logs" -type f | sort)
if [ -n "$reports" ]; then
  echo
  echo "=== sanitizer reports ==="
  for r in $reports; do
    echo "--- $r"
    head -60 "$r"
  done
  failed=$((failed + 1))
fi
echo
echo "sanitize: $(echo "$reports" | grep -c . || true) report file(s), $failed failure(s)"
[ "$failed" -eq 0 ]
