#!/usr/bin/env bash
# Builds the libFuzzer targets with clang, AddressSanitizer and UndefinedBehaviorSanitizer in
# build-fuzz (PTAGENT_FUZZ=ON), then runs each target on a copy of its seed corpus
# (tests/fuzz/corpus/<target>/) for a fixed number of runs, leak detection on. Fails on a crash, a
# leak, a sanitizer report, a timeout or an out-of-memory; the input that did it is kept in
# build-fuzz/artifacts/. Prints per target the executions and the coverage reached.
#
# Environment: PTAGENT_FUZZ_RUNS (default 20000), PTAGENT_FUZZ_MAX_TIME (seconds per target,
# default 180: the run count is reached first on this machine; the bound only stops a slow
# target), PTAGENT_FUZZ_BUILD (default build-fuzz), PTAGENT_FUZZ_TARGETS (names, default all).
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
build=${PTAGENT_FUZZ_BUILD:-build-fuzz}
runs=${PTAGENT_FUZZ_RUNS:-20000}
max_time=${PTAGENT_FUZZ_MAX_TIME:-180}
targets=${PTAGENT_FUZZ_TARGETS:-"fuzz_pci_address fuzz_nodedev_xml fuzz_domain_xml fuzz_hook fuzz_hook_config fuzz_journal fuzz_procfs fuzz_sysfs_attr fuzz_config_space fuzz_modalias fuzz_postmortem"}

command -v clang++ >/dev/null || { echo "fuzz: clang++ is missing (apt-get install clang libclang-rt-14-dev)"; exit 1; }
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPTAGENT_FUZZ=ON -DPTAGENT_SANITIZE=ON -DPTAGENT_TESTS=OFF -DPTAGENT_WERROR=ON >/dev/null || exit 1
ninja -C "$build" -j2 fuzzers || { echo "fuzz: build failed"; exit 1; }

max_len() {
  case $1 in
    fuzz_pci_address) echo 128 ;;
    fuzz_sysfs_attr|fuzz_hook_config) echo 1024 ;;
    fuzz_procfs|fuzz_config_space|fuzz_modalias|fuzz_nodedev_xml) echo 4096 ;;
    *) echo 16384 ;;
  esac
}

artifacts=$top/$build/artifacts
mkdir -p "$artifacts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1:allocator_may_return_null=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=report_objects=1

failed=0
printf '%-20s %9s %7s %7s %7s %6s  %s\n' target execs cov ft corpus secs result
for t in $targets; do
  bin=$build/tests/fuzz/$t
  seeds=tests/fuzz/corpus/$t
  [ -x "$bin" ] || { echo "$t: not built"; failed=$((failed + 1)); continue; }
  [ -d "$seeds" ] || { echo "$t: no seed corpus $seeds"; failed=$((failed + 1)); continue; }
  mkdir -p "$work/$t"
  cp -r "$seeds/." "$work/$t/"
  dict=()
  case $t in fuzz_domain_xml|fuzz_hook|fuzz_nodedev_xml) dict=(-dict=tests/fuzz/dict/xml.dict) ;; esac
  log=$top/$build/$t.log
  start=$(date +%s)
  "$bin" -runs="$runs" -max_total_time="$max_time" -max_len="$(max_len "$t")" -timeout=20 \
    -rss_limit_mb=2560 -malloc_limit_mb=2560 -detect_leaks=1 -print_final_stats=1 -seed=1 \
    -artifact_prefix="$artifacts/$t-" "${dict[@]}" "$work/$t" >"$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.*corp: \([0-9]*\).*/\1/p' <<<"$last")
  if [ $rc -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|fuzz invariant broken' "$log"; then
    result="FAILED (rc $rc, log $log)"
    failed=$((failed + 1))
  else
    result=ok
  fi
  printf '%-20s %9s %7s %7s %7s %6s  %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$secs" "$result"
  if [ "$result" != ok ]; then
    grep -E -m5 -A12 'ERROR:|runtime error:|fuzz invariant broken|deadly signal' "$log" | head -40
  fi
done
echo "fuzz: $failed target(s) failed"
[ "$failed" -eq 0 ]
