# shellcheck shell=bash
# Helpers for the guest scenarios: one line per check in /mnt/ptvm/results/lines.
R=/mnt/ptvm/results
PT=${PTVM_BUILD}/ptagent
PTHOOK=${PTVM_BUILD}/hooks/ptagent-hook
line() { echo "$*" >>"$R/lines"; echo "$*"; }
pass() { line "PASS $1"; }
fail() {
  local n=$1; shift
  line "FAIL $n: $(echo "$*" | tr '\n' ' ' | cut -c1-600)"
}
info() { line "INFO $*"; }
# check NAME CMD...: PASS when CMD exits 0, else FAIL with its output.
check() {
  local n=$1 out; shift
  if out=$("$@" 2>&1); then pass "$n"; else fail "$n" "$out"; fi
}
# expect NAME WANT_RC CMD...: runs CMD, keeps its output in $OUT and rc in $RC; FAIL when rc differs.
expect() {
  local n=$1 want=$2; shift 2
  OUT=$("$@" 2>&1); RC=$?
  if [ "$RC" -eq "$want" ]; then pass "$n"; return 0; fi
  fail "$n" "rc $RC (want $want) from '$*': $OUT"
  return 1
}
# wait_for SECONDS CMD...: polls CMD every 0.2 s until it succeeds or the bound passes.
wait_for() {
  local end=$((SECONDS + $1)); shift
  while ! "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -ge "$end" ] && return 1
    sleep 0.2
  done
}
sysdev() { echo "/sys/bus/pci/devices/$1"; }
driver_of() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
group_of() { basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"; }
# driver_is ADDR WANT: the device's driver link names WANT ("" = no driver); for wait_for.
driver_is() { [ "$(driver_of "$1")" = "$2" ]; }
