#!/usr/bin/env bash
# The whole test suite: install, build (warnings are errors), fixtures check, unit tests (ctest),
# the end-to-end scripts (real libvirtd, QEMU, virsh, lspci), the real-kernel bench (tests/vm), then the same unit and end-to-end
# suites under ASan + UBSan (tests/sanitize.sh, build-asan/) and the libFuzzer targets for a fixed
# number of runs (tests/fuzz/run.sh, build-fuzz/). Exit non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
bash contrib/install-deps.sh || exit 1
bash contrib/build.sh build || exit 1

failed=0
step() {
  echo
  echo "=== $* ==="
  if "$@"; then return 0; fi
  echo "FAILED: $*"
  failed=$((failed + 1))
}

step bash tests/fixtures/check_fixtures.sh
step ctest --test-dir build --output-on-failure -j2 --timeout 300
# The FUSE-served simulated kernel's own semantics (tests/sim; sim_peers.sh below uses it).
step bash tests/sim/simfs_test.sh

e2e_pass=0
e2e_fail=0
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
echo "e2e scripts: $e2e_pass passed, $e2e_fail failed"

timed() {
  local t0=$SECONDS
  step "$@"
  echo "($* took $((SECONDS - t0)) s)"
}
# The real-kernel bench: a nested 6.1 host with a real IOMMU, vfio-pci, SR-IOV, mdev and libvirtd.
timed bash tests/vm/run.sh
timed bash tests/sanitize.sh
timed bash tests/fuzz/run.sh
echo
echo "run-tests: $failed step(s) failed, $e2e_fail e2e script(s) failed, ${SECONDS} s in all"
[ "$failed" -eq 0 ] && [ "$e2e_fail" -eq 0 ]
