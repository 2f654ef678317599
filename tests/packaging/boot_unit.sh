#!/usr/bin/env bash
# ptagent-boot-check.service as configured by CMake: systemd-analyze verify accepts it (its
# ExecStart pointed at the built ptagent), it is ordered before libvirtd, and each ExecStart is a
# command ptagent runs: on a ready simulated host all succeed, on one without an IOMMU the check
# fails (what makes the unit fail). Usage: boot_unit.sh PTAGENT UNIT SOURCE_DIR
set -uo pipefail
ptagent=$(realpath "$1")
unit=$2
src=$3
tmp=$(mktemp -d /tmp/ptagent-unit-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
grep -q '^Before=.*libvirtd.service' "$unit" && echo "PASS: ordered before libvirtd.service" ||
  { echo "FAIL: not ordered before libvirtd.service"; fail=1; }
bindir=$(sed -n 's|^ExecStart=\(.*\)/ptagent .*|\1|p' "$unit" | head -1)
sed "s|^ExecStart=$bindir/ptagent |ExecStart=$ptagent |" "$unit" >"$tmp/$(basename "$unit")"
if command -v systemd-analyze >/dev/null; then
  if systemd-analyze verify --man=no "$tmp/$(basename "$unit")" >"$tmp/verify" 2>&1 && ! grep -q "$(basename "$unit")" "$tmp/verify"; then
    echo "PASS: systemd-analyze verify"
  else
    echo "FAIL: systemd-analyze verify"
    sed 's/^/  | /' "$tmp/verify"
    fail=1
  fi
fi
run_all() {  # HOST: every ExecStart of the unit on that simulated host; the first exit that is not 0
  local cmd rc
  while read -r cmd; do
    # shellcheck disable=SC2086 # the unit's command line, split as systemd splits it
    "$ptagent" --root "$1" ${cmd#"$bindir"/ptagent } >"$tmp/out" 2>&1
    rc=$?
    [ "$rc" -eq 0 ] || return "$rc"
  done < <(sed -n 's/^ExecStart=//p' "$unit")
}
run_all "$src/tests/fixtures/hosts/workstation"
rc=$?
[ "$rc" -eq 0 ] && echo "PASS: every ExecStart succeeds on a ready host" ||
  { echo "FAIL: an ExecStart fails on a ready host (exit $rc)"; sed 's/^/  | /' "$tmp/out"; fail=1; }
run_all "$src/tests/fixtures/hosts/noiommu"
rc=$?
[ "$rc" -eq 1 ] && echo "PASS: the unit fails on a host without an IOMMU (exit 1)" ||
  { echo "FAIL: on a host without an IOMMU the unit's commands exit $rc"; fail=1; }
exit "$fail"
