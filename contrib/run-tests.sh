#!/usr/bin/env bash
# The whole test suite: install, build (warnings are errors), fixtures check, unit tests (ctest),
# a Release -O3 build checked against the tested one (tests/packaging/release_build.sh),
# the end-to-end scripts (real libvirtd, QEMU, virsh, lspci), the real-kernel bench (tests/vm), then the same unit and end-to-end
# suites under ASan + UBSan (tests/sanitize.sh, build-asan/) and the libFuzzer targets for a fixed
# number of runs (tests/fuzz/run.sh, build-fuzz/). Exit non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
bash contrib/install-deps.sh || exit 1
echo "(install took $((SECONDS - t0)) s)"
t0=$SECONDS
bash contrib/build.sh build || exit 1
echo "(build took $((SECONDS - t0)) s)"

failed=0
# Every step says how long it took (README's table of times comes from these lines).
step() {
  local t0=$SECONDS rc=0
  echo
  echo "=== $* ==="
  "$@" || rc=$?
  echo "($* took $((SECONDS - t0)) s)"
  [ "$rc" -eq 0 ] && return 0
  echo "FAILED: $*"
  failed=$((failed + 1))
}

step bash contrib/format-check.sh
step bash tests/fixtures/check_fixtures.sh
step ctest --test-dir build --output-on-failure -j2 --timeout 300
# A Release -O3 build (build-release/, the CLI and the hook only) behaves like the tested one.
step bash tests/packaging/release_build.sh build-release build
# The FUSE-served simulated kernel's own semantics (tests/sim; sim_peers.sh below uses it).
step bash tests/sim/simfs_test.sh

e2e_pass=0
e2e_fail=0
t_e2e=$SECONDS
for t in tests/e2e/*.sh; do
  [ -f "$t" ] || continue
  echo
  echo "=== e2e: $t ==="
  if PTAGENT_BIN="$PWD/build/ptagent" timeout 900 bash "$t"; then
    e2e_pass=$((e2e_pass + 1))
  else
    echo "FAILED: $t"
    e2e_fail=$((e2e_fail + 1))
  fi
done
echo
echo "e2e scripts: $e2e_pass passed, $e2e_fail failed ($((SECONDS - t_e2e)) s)"

# The real-kernel bench: a nested 6.1 host with a real IOMMU, vfio-pci, SR-IOV, mdev and libvirtd.
step bash tests/vm/run.sh
step bash tests/sanitize.sh
step bash tests/fuzz/run.sh
echo
echo "run-tests: $failed step(s) failed, $e2e_fail e2e script(s) failed, ${SECONDS} s in all"
[ "$failed" -eq 0 ] && [ "$e2e_fail" -eq 0 ]
