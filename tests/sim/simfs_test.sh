#!/usr/bin/env bash
# Semantics of ptagent-simfs, checked through the filesystem as a program sees it (shell writes,
# setpci, lspci) inside tests/sim/simns.sh: errno values, driver binding, vfio-pci's group check,
# mdev create/remove, SR-IOV, config-space resets, remove/rescan, uevents, and a large host.
#
#   tests/sim/simfs_test.sh [--no-large]     (root; needs build/tests/sim/ptagent-simfs)
#
# Prints PASS/FAIL per check, exits non-zero on any failure.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
self="$top/tests/sim/simfs_test.sh"
fixtures=$top/tests/fixtures/hosts

if [ -z "${SIMNS_WORK:-}" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "simfs_test: run as root"; exit 1; }
  rc=0
  "$top/tests/sim/simns.sh" --host "$fixtures/workstation" -- /bin/bash "$self" workstation || rc=1
  "$top/tests/sim/simns.sh" --host "$fixtures/server" -- /bin/bash "$self" server || rc=1
  if [ "${1:-}" != "--no-large" ]; then
    big=$(mktemp -d /tmp/ptagent-simfs-large.XXXXXX)
    python3 "$top/tests/fixtures/gen_hosts.py" "$big" --host large --pfs 32 --vfs 63 >/dev/null
    "$top/tests/sim/simns.sh" --host "$big/large" -- /bin/bash "$self" large || rc=1
    case $big in /tmp/ptagent-simfs-large.*) rm -rf -- "$big" ;; esac
  fi
  [ "$rc" -eq 0 ] && echo "simfs_test: all passed" || echo "simfs_test: FAILURES"
  exit "$rc"
fi

pass=0
fail=0
ok() { echo "PASS: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }
# errno_of TEXT CMD...: CMD fails and its stderr has the strerror TEXT.
errno_of() {
  local want=$1 out
  shift
  if out=$("$@" 2>&1); then return 1; fi
  [[ $out == *"$want"* ]]
}
w() { printf '%s' "$2" >"$1"; }  # one write(2) of exactly the value
drv() { local l; l=$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null) || { echo -; return 0; }; basename "$l"; }
logged() { grep -qF -- "$1" "$SIMNS_LOG"; }
D=/sys/bus/pci/devices
R=/sys/bus/pci/drivers

case $1 in
workstation)
  echo "== workstation: attributes and errno values"
  check "read-only attribute: EACCES on write" errno_of "Permission denied" w $D/0000:00:02.0/vendor 0x1234
  check "write-only attribute: EACCES on read" errno_of "Permission denied" cat /sys/bus/pci/drivers_probe
  check "sysfs creates no files: EACCES" errno_of "Permission denied" w /sys/bus/pci/newfile 1
  check "nor directories: EPERM" errno_of "Operation not permitted" mkdir /sys/bus/pci/newdir
  check "text attributes stat as 4096 bytes, config as its size" test "$(stat -c %s $D/0000:00:02.0/vendor)/$(stat -c %s $D/0000:00:02.0/config)" = 4096/4096
  check "the control file is not listed" bash -c '! ls -a /sys | grep -q ptagent'

  echo "== binding"
  check "bind to a bound device: EBUSY" errno_of "Device or resource busy" w $R/e1000e/bind 0000:00:1f.6
  check "unbind from a driver it is not on: ENODEV" errno_of "No such device" w $R/nvme/unbind 0000:00:1f.6
  check "bind of a missing device: ENODEV" errno_of "No such device" w $R/e1000e/bind 0000:09:00.0
  check "bind to a driver that does not match: ENODEV" errno_of "No such device" w $R/nvme/bind 0000:00:1f.6
  w $D/0000:00:1f.6/driver_override vfio-pci
  check "driver_override reads back" test "$(cat $D/0000:00:1f.6/driver_override)" = vfio-pci
  check "setting driver_override does not unbind" test "$(drv 0000:00:1f.6)" = e1000e
  w $D/0000:00:1f.6/driver/unbind 0000:00:1f.6
  check "driver/unbind unbinds" test "$(drv 0000:00:1f.6)" = -
  w /sys/bus/pci/drivers_probe 0000:00:1f.6
  check "drivers_probe honours driver_override" test "$(drv 0000:00:1f.6)" = vfio-pci
  check "/dev/vfio/8 exists" test -e /dev/vfio/8
  check "uevent file carries DRIVER=vfio-pci" grep -qx DRIVER=vfio-pci $D/0000:00:1f.6/uevent
  w $D/0000:00:1f.6/driver_override $'\n'
  check "a newline clears driver_override" test "$(cat $D/0000:00:1f.6/driver_override)" = "(null)"
  w $R/vfio-pci/unbind 0000:00:1f.6
  w /sys/bus/pci/drivers_probe 0000:00:1f.6
  check "drivers_probe without override picks the modalias driver" test "$(drv 0000:00:1f.6)" = e1000e
  check "/dev/vfio/8 gone with the last vfio-pci member" test ! -e /dev/vfio/8
  w $D/0000:01:00.0/driver_override vfio-pci
  w $R/nouveau/unbind 0000:01:00.0
  check "vfio-pci refuses a non-viable group: bind gives EINVAL" errno_of "Invalid argument" w $R/vfio-pci/bind 0000:01:00.0
  w /sys/bus/pci/drivers_probe 0000:01:00.0
  check "drivers_probe ignores the probe error: left unbound" test "$(drv 0000:01:00.0)" = -
  w $D/0000:01:00.0/driver_override $'\n'
  w /sys/bus/pci/drivers_probe 0000:01:00.0
  check "back on nouveau" test "$(drv 0000:01:00.0)" = nouveau
  check "new_id is refused (never emulated)" errno_of "Invalid argument" w $R/vfio-pci/new_id "8086 15bc"
  check "  and logged" logged "new_id used"

  echo "== mdev"
  T=$D/0000:00:02.0/mdev_supported_types
  u=0b1e1a3c-0000-4000-8000-000000000001
  check "create with a bad UUID: EINVAL" errno_of "Invalid argument" w $T/i915-GVTg_V5_4/create nonsense
  w $T/i915-GVTg_V5_4/create $u
  check "create makes /sys/bus/mdev/devices/UUID" test -d /sys/bus/mdev/devices/$u
  check "with its mdev_type link" test "$(basename "$(readlink /sys/bus/mdev/devices/$u/mdev_type)")" = i915-GVTg_V5_4
  check "and an IOMMU group" test -L /sys/bus/mdev/devices/$u/iommu_group
  check "available_instances 1 -> 0" grep -qx 0 $T/i915-GVTg_V5_4/available_instances
  check "the same UUID again: EEXIST" errno_of "File exists" w $T/i915-GVTg_V5_8/create $u
  check "no instance left: EUSERS" errno_of "Too many users" w $T/i915-GVTg_V5_4/create 0b1e1a3c-0000-4000-8000-000000000002
  check "a uevent announced it" logged "uevent add /devices/pci0000:00/0000:00:02.0/$u"
  w /sys/bus/mdev/devices/$u/remove 1
  check "remove takes it away and gives the instance back" bash -c "test ! -e /sys/bus/mdev/devices/$u && grep -qx 1 $T/i915-GVTg_V5_4/available_instances"
  echo "in-use 0b1e1a3c-0000-4000-8000-000000000003" >/sys/.ptagent-sim
  w $T/i915-GVTg_V5_8/create 0b1e1a3c-0000-4000-8000-000000000003
  check "remove of an mdev in use: EBUSY" errno_of "Device or resource busy" w /sys/bus/mdev/devices/0b1e1a3c-0000-4000-8000-000000000003/remove 1
  echo "not-in-use 0b1e1a3c-0000-4000-8000-000000000003" >/sys/.ptagent-sim
  w /sys/bus/mdev/devices/0b1e1a3c-0000-4000-8000-000000000003/remove 1

  echo "== config space (setpci) and resets"
  check "read-only registers keep their value" bash -c 'setpci -s 00:02.0 VENDOR_ID.w=1234; test "$(setpci -s 00:02.0 VENDOR_ID.w)" = 8086'
  setpci -s 00:02.0 COMMAND.w=0407
  check "command register is writable" test "$(setpci -s 00:02.0 COMMAND.w)" = 0407
  setpci -s 00:02.0 CAP_EXP+8.w=8000
  check "PCIe Initiate FLR resets a function that advertises FLR" logged "reset 0000:00:02.0 flr"
  check "  the bit reads back 0 and the command register is cleared" test "$(setpci -s 00:02.0 CAP_EXP+8.w)/$(setpci -s 00:02.0 COMMAND.w)" = 0000/0000
  setpci -s 01:00.0 CAP_EXP+8.w=8000
  check "Initiate FLR on a function without FLR does nothing" bash -c '! grep -q "reset 0000:01:00.0 flr" "$SIMNS_LOG"'
  setpci -s 00:17.0 CAP_PM+4.w=0003
  check "PM control: D3hot" test "$(lspci -s 00:17.0 -vv | grep -o 'Status: D[0-3]')" = "Status: D3"
  setpci -s 00:17.0 CAP_PM+4.w=0000
  check "D3hot -> D0 with NoSoftRst- is a PM reset" logged "reset 0000:00:17.0 pm"
  setpci -s 01:00.0 CAP_PM+4.w=0003
  setpci -s 01:00.0 CAP_PM+4.w=0000
  check "D3hot -> D0 with NoSoftRst+ is not" bash -c '! grep -q "reset 0000:01:00.0 pm" "$SIMNS_LOG"'
  setpci -s 00:01.0 BRIDGE_CONTROL.w=0040
  setpci -s 00:01.0 BRIDGE_CONTROL.w=0000
  check "secondary bus reset on 00:01.0 resets 01:00.0 and 01:00.1" bash -c 'grep -q "reset 0000:01:00.0 bus" "$SIMNS_LOG" && grep -q "reset 0000:01:00.1 bus" "$SIMNS_LOG"'
  check "sysfs reset: ENOTTY for a bus reset on a shared bus" errno_of "Inappropriate ioctl" w $D/0000:01:00.0/reset 1
  check "sysfs reset: no reset attribute without a reset method" test ! -e $D/0000:00:00.0/reset
  check "sysfs reset: FLR device ok" w $D/0000:02:00.0/reset 1
  check "sysfs reset: only 1 is accepted (EINVAL)" errno_of "Invalid argument" w $D/0000:02:00.0/reset 2
  echo "wedge 0000:00:1f.3" >/sys/.ptagent-sim
  w $D/0000:00:1f.3/reset 1
  check "a wedging device reads vendor 0xffff after reset" test "$(cat $D/0000:00:1f.3/vendor)" = 0xffff
  check "  lspci agrees" bash -c "lspci -n -s 00:1f.3 | grep -q ffff:ffff"

  echo "== remove / rescan"
  w $D/0000:00:01.0/remove 1
  check "removing the root port removes the functions below it" bash -c "test ! -e $D/0000:00:01.0 && test ! -e $D/0000:01:00.0 && test ! -e $D/0000:01:00.1"
  check "  and their IOMMU group" test ! -e /sys/kernel/iommu_groups/1
  check "  and unbinds them" test ! -e $R/nouveau/0000:01:00.0
  check "  lspci agrees" test -z "$(lspci -s 01:00 2>/dev/null)"
  w /sys/bus/pci/rescan 1
  check "rescan brings them back with drivers" test "$(drv 0000:00:01.0)/$(drv 0000:01:00.0)/$(drv 0000:01:00.1)" = pcieport/nouveau/snd_hda_intel
  check "  in their group" test -L /sys/kernel/iommu_groups/1/devices/0000:01:00.1
  w $D/0000:00:1f.6/remove 1
  w $D/0000:00:1f.4/rescan 1
  check "a function's rescan rescans its bus" test "$(drv 0000:00:1f.6)" = e1000e
  ;;
server)
  echo "== server: SR-IOV"
  pf=$D/0000:01:00.0
  n0=$(lspci -d ::0200 | grep -c "Virtual Function" || true)
  check "non-zero to non-zero: EBUSY" errno_of "Device or resource busy" w $pf/sriov_numvfs 2
  check "above sriov_totalvfs: ERANGE" errno_of "Numerical result out of range" w $pf/sriov_numvfs 64
  check "not a number: EINVAL" errno_of "Invalid argument" w $pf/sriov_numvfs x
  w $pf/sriov_numvfs 0
  check "0 removes the VFs" test "$(ls -d $pf/virtfn* 2>/dev/null | wc -l)" -eq 0
  w $pf/sriov_numvfs 8
  check "8 creates 8 VFs (virtfn links)" test "$(ls -d $pf/virtfn* | wc -l)" -eq 8
  check "  lspci sees them" test "$(lspci | grep -c 'Virtual Function')" -eq $((n0 - 4 + 8))
  check "  each in its own IOMMU group" test "$(for v in $pf/virtfn*; do basename "$(readlink $v/iommu_group)"; done | sort -u | wc -l)" -eq 8
  check "  announced as uevents" test "$(grep -c '^uevent add' "$SIMNS_LOG")" -ge 8
  vf=$(basename "$(readlink $pf/virtfn0)")
  check "a VF's config space reads vendor/device ffff (PCIe SR-IOV)" test "$(setpci -s ${vf#0000:} 0.l)" = ffffffff
  check "  while its sysfs vendor holds the real ID" test "$(cat $D/$vf/vendor)" = "$(cat $pf/vendor)"
  check "  and its class register is there" test "$(setpci -s ${vf#0000:} 8.l)" != ffffffff
  w $D/$vf/reset 1
  check "sysfs reset of a VF (reset_method flr) resets it by FLR" logged "reset $vf flr"
  vf1=$(basename "$(readlink $pf/virtfn1)")
  echo "wedge $vf1" >/sys/.ptagent-sim
  w $D/$vf1/reset 1
  check "a wedged VF reads all ones in config space" test "$(setpci -s ${vf1#0000:} 8.l)" = ffffffff
  check "  and keeps its real sysfs vendor" test "$(cat $D/$vf1/vendor)" = "$(cat $pf/vendor)"
  echo "in-use $vf" >/sys/.ptagent-sim
  check "disabling while a VF is in use: EBUSY" errno_of "Device or resource busy" w $pf/sriov_numvfs 0
  echo "not-in-use $vf" >/sys/.ptagent-sim
  w $pf/sriov_numvfs 0
  check "then 0 works" test ! -e $D/$vf
  ;;
large)
  n=$(ls $D | wc -l)
  echo "== large host: $n PCI functions"
  s=$(date +%s%N)
  lspci_n=$(lspci -nn 2>/dev/null | wc -l)
  e=$(date +%s%N)
  lspci_ms=$(((e - s) / 1000000))
  check "lspci -nn sees all $n functions ($lspci_n)" test "$lspci_n" -eq "$n"
  s=$(date +%s%N)
  listed=$("${PTAGENT_BIN:-$top/build/ptagent}" list --json 2>/dev/null | grep -c '"address"' || true)
  e=$(date +%s%N)
  check "ptagent list shows all $n functions ($listed)" test "$listed" -eq "$n"
  list_ms=$(((e - s) / 1000000))
  # Timings are reported, not asserted: these machines are shared and noisy.
  printf '%-28s %10s\n' "over $n functions" "ms" "lspci -nn" "$lspci_ms" "ptagent list --json" "$list_ms"
  pf=$(for d in $D/*; do [ -e "$d/sriov_totalvfs" ] && { echo "$d"; break; }; done)
  w "$pf/sriov_numvfs" 0 || true
  check "SR-IOV still works at this size" w "$pf/sriov_numvfs" 4
  ;;
esac
echo "simfs_test[$1]: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
