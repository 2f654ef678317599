#!/usr/bin/env bash
# End-to-end conformance with real peers against simulated hardware: the simulated workstation
# (tests/fixtures/hosts/workstation) is served as /sys by ptagent-simfs inside private namespaces
# (tests/sim/simns.sh), and unmodified lspci, mdevctl, driverctl, a real libvirtd (+ virsh) and
# the installed ptagent hook work on it next to the ptagent CLI, which runs without --root.
#
#   tests/e2e/sim_peers.sh        (root; build first: ninja -C build ptagent ptagent-hook ptagent-simfs)
#
# Environment: PTAGENT_BIN (default build/ptagent), PTAGENT_HOOK_BIN (default hooks/ptagent-hook
# next to it), PTAGENT_SIMFS_BIN (default tests/sim/ptagent-simfs next to it).
# Prints one PASS/FAIL/SKIP line per check and exits non-zero if any check failed. Everything it
# starts lives in the namespaces and is stopped when it ends, on failure too.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
self="$top/tests/e2e/sim_peers.sh"
pt=${PTAGENT_BIN:-$top/build/ptagent}
# The hook and the server come from the same build directory as ptagent (build-asan under
# tests/sanitize.sh).
hookbin=${PTAGENT_HOOK_BIN:-$(dirname "$pt")/hooks/ptagent-hook}
export PTAGENT_SIMFS_BIN=${PTAGENT_SIMFS_BIN:-$(dirname "$pt")/tests/sim/ptagent-simfs}

if [ -z "${SIMNS_WORK:-}" ]; then
  # Outside: check the tools, then run this script again inside the namespaces.
  [ "$(id -u)" -eq 0 ] || { echo "sim_peers: run as root"; exit 1; }
  missing=""
  for t in lspci mdevctl driverctl libvirtd virtlogd virsh qemu-system-x86_64 unshare python3; do
    command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
  done
  [ -z "$missing" ] || { echo "sim_peers: missing tools:$missing (contrib/install-deps.sh)"; exit 1; }
  for b in "$pt" "$hookbin" "$PTAGENT_SIMFS_BIN"; do
    [ -x "$b" ] || { echo "sim_peers: missing $b (ninja -C build ptagent ptagent-hook ptagent-simfs)"; exit 1; }
  done
  start=$(date +%s%N)
  set +e
  "$top/tests/sim/simns.sh" -- /bin/bash "$self"
  rc=$?
  set -e
  ms=$((($(date +%s%N) - start) / 1000000))
  echo "sim_peers: wall time $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s"
  exit "$rc"
fi

# ---- inside the namespaces: /sys is simulated ------------------------------------------------
pass=0
fail=0
skip=0
tmp=$SIMNS_STASH/peers
mkdir -p "$tmp"
ok() { echo "PASS: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
skp() { echo "SKIP: $*"; skip=$((skip + 1)); }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }
show() { sed 's/^/    | /' "$1" | head -n "${2:-8}"; }

lv_pids=""
stop_libvirt() {
  local p
  for f in /run/libvirtd.pid /run/virtlogd.pid; do
    [ -s "$f" ] || continue
    p=$(tr -dc '0-9' <"$f")
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  for p in $lv_pids; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  done
  lv_pids=""
}
cleanup() {
  virsh -q destroy ptagent-sim-mdev >/dev/null 2>&1 || true
  virsh -q undefine ptagent-sim-mdev >/dev/null 2>&1 || true
  stop_libvirt
}
trap cleanup EXIT

start_libvirt() {
  virtlogd -d
  libvirtd -d
  local deadline=$((SECONDS + 30))
  until virsh -q version >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.3
  done
  lv_pids="$(cat /run/libvirtd.pid 2>/dev/null) $(cat /run/virtlogd.pid 2>/dev/null)"
}

driver_of() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null || true; }
lspci_driver() { lspci -nnk -s "$1" 2>/dev/null | sed -n 's/^\tKernel driver in use: //p'; }
in_log() { grep -qF -- "$1" "$SIMNS_LOG" 2>/dev/null; }

# driverctl and ptagent agree on every function's driver and on which have an override.
agree_driverctl() {
  driverctl list-devices >"$tmp/dc.txt" 2>/dev/null || return 1
  "$pt" list --json >"$tmp/pt.json" 2>/dev/null || return 1
  python3 - "$tmp/dc.txt" "$tmp/pt.json" <<'PY'
import json, sys
dc = {}
for line in open(sys.argv[1]):
    f = line.split()
    if not f:
        continue
    dc[f[0]] = (None if f[1] == "(none)" else f[1], "[*]" in f[2:])
pt = {d["address"]: (d["driver"], d["driver_override"] not in (None, "", "(null)")) for d in json.load(open(sys.argv[2]))}
bad = [(a, dc.get(a), pt.get(a)) for a in sorted(set(dc) | set(pt)) if dc.get(a) != pt.get(a)]
for b in bad:
    print("disagree:", b, file=sys.stderr)
sys.exit(1 if bad or not dc else 0)
PY
}

echo "== simulated host: $(ls /sys/bus/pci/devices | wc -l) PCI functions served by ptagent-simfs"
check "/sys is the FUSE mount, not the real sysfs" grep -q ' /sys fuse' /proc/self/mounts
check "ptagent (no --root) sees the simulated iGPU 0000:00:02.0 as i915" test "$(driver_of 0000:00:02.0)" = i915

# ---- lspci and driverctl around ptagent bind/restore -----------------------------------------
echo "== lspci -nnk and driverctl around ptagent bind / restore"
check "lspci: 00:1f.6 starts on e1000e" test "$(lspci_driver 00:1f.6)" = e1000e
check "driverctl list-devices agrees with ptagent list (initial)" agree_driverctl
if "$pt" bind 00:1f.6 >"$tmp/bind.out" 2>&1; then ok "ptagent bind 00:1f.6"; else bad "ptagent bind 00:1f.6"; show "$tmp/bind.out"; fi
check "lspci -nnk: Kernel driver in use: vfio-pci after ptagent bind" test "$(lspci_driver 00:1f.6)" = vfio-pci
check "/dev/vfio/8 appeared for its group" test -e /dev/vfio/8
check "driverctl list-devices agrees with ptagent list (override set)" agree_driverctl
check "driverctl marks 00:1f.6 as overridden to vfio-pci" grep -qx '0000:00:1f.6 vfio-pci \[\*\]' "$tmp/dc.txt"
if "$pt" restore 00:1f.6 >"$tmp/restore.out" 2>&1; then ok "ptagent restore 00:1f.6"; else bad "ptagent restore 00:1f.6"; show "$tmp/restore.out"; fi
check "lspci -nnk: back on e1000e after ptagent restore" test "$(lspci_driver 00:1f.6)" = e1000e
check "driverctl list-devices agrees with ptagent list (restored)" agree_driverctl
# A non-viable group: vfio-pci refuses 01:00.0 alone; ptagent refuses before changing anything.
"$pt" bind 01:00.0 >"$tmp/nv.out" 2>&1 && bad "ptagent bind 01:00.0 alone should be refused" || ok "ptagent bind 01:00.0 alone refused (group shared with 01:00.1)"
check "lspci: 01:00.0 still on nouveau" test "$(lspci_driver 01:00.0)" = nouveau
if "$pt" bind 01:00.0 --group >"$tmp/grp.out" 2>&1; then ok "ptagent bind 01:00.0 --group"; else bad "ptagent bind 01:00.0 --group"; show "$tmp/grp.out"; fi
check "lspci: 01:00.0 and 01:00.1 both on vfio-pci" test "$(lspci_driver 01:00.0)/$(lspci_driver 01:00.1)" = vfio-pci/vfio-pci
check "driverctl agrees (group bound)" agree_driverctl
"$pt" restore 01:00.0 01:00.1 >"$tmp/grpr.out" 2>&1 || { bad "ptagent restore 01:00.0 01:00.1"; show "$tmp/grpr.out"; }
check "lspci: nouveau and snd_hda_intel again" test "$(lspci_driver 01:00.0)/$(lspci_driver 01:00.1)" = nouveau/snd_hda_intel

# ---- mdevctl and ptagent mdev ------------------------------------------------------------------
echo "== mdevctl and ptagent mdev"
u1=6c0f7b52-58f5-4c5c-9d4a-1b2a3c4d5e01
u2=6c0f7b52-58f5-4c5c-9d4a-1b2a3c4d5e02
types=/sys/bus/pci/devices/0000:00:02.0/mdev_supported_types
if "$pt" mdev create 0000:00:02.0 i915-GVTg_V5_4 --uuid "$u1" >"$tmp/mc.out" 2>&1; then ok "ptagent mdev create"; else bad "ptagent mdev create"; show "$tmp/mc.out"; fi
mdevctl list >"$tmp/ml.txt" 2>&1 || true
check "mdevctl list shows the mdev ptagent created (uuid, parent, type)" grep -q "^$u1 0000:00:02.0 i915-GVTg_V5_4" "$tmp/ml.txt"
mdevctl types >"$tmp/mt.txt" 2>&1 || true
check "mdevctl types: i915-GVTg_V5_4 has 0 instances left" python3 -c '
import sys; t=open(sys.argv[1]).read().split("i915-GVTg_V5_4",1)[1].split("i915-GVTg",1)[0]; sys.exit(0 if "Available instances: 0" in t else 1)' "$tmp/mt.txt"
"$pt" mdev types >"$tmp/pmt.txt" 2>&1 || true
check "ptagent mdev types and mdevctl types agree" diff <(grep -E 'i915|Available|Device API|Name' "$tmp/mt.txt") <(grep -E 'i915|Available|Device API|Name' "$tmp/pmt.txt")
if mdevctl start -u "$u2" -p 0000:00:02.0 --type i915-GVTg_V5_8 >"$tmp/ms.out" 2>&1; then ok "mdevctl start"; else bad "mdevctl start"; show "$tmp/ms.out"; fi
"$pt" mdev list >"$tmp/pml.txt" 2>&1 || true
check "ptagent mdev list shows the mdev mdevctl started" grep -q "^$u2 *0000:00:02.0 *i915-GVTg_V5_8" "$tmp/pml.txt"
mdevctl define -u "$u2" >"$tmp/md.out" 2>&1 || mdevctl define -u "$u2" -p 0000:00:02.0 --type i915-GVTg_V5_8 >"$tmp/md.out" 2>&1 || true
check "mdevctl define made /etc/mdevctl.d/0000:00:02.0/$u2" test -f "/etc/mdevctl.d/0000:00:02.0/$u2"
"$pt" mdev remove "$u2" >"$tmp/mr2.out" 2>&1 && bad "ptagent mdev remove should refuse an mdevctl-defined mdev" || ok "ptagent mdev remove refuses the mdev mdevctl defined"
check "  with a message naming mdevctl" grep -q mdevctl "$tmp/mr2.out"
check "  and the mdev is still there" test -e "/sys/bus/mdev/devices/$u2"
mdevctl stop -u "$u2" >/dev/null 2>&1 || true
mdevctl undefine -u "$u2" >/dev/null 2>&1 || true
check "mdevctl stop removed it" test ! -e "/sys/bus/mdev/devices/$u2"
if "$pt" mdev remove "$u1" >"$tmp/mr1.out" 2>&1; then ok "ptagent mdev remove (its own)"; else bad "ptagent mdev remove"; show "$tmp/mr1.out"; fi
check "mdevctl list is empty afterwards" test -z "$(mdevctl list 2>/dev/null)"
check "available_instances back to 1" grep -qx 1 "$types/i915-GVTg_V5_4/available_instances"

# ---- the simulated kernel itself: remove / rescan, seen by lspci --------------------------------
echo "== remove / rescan"
echo 1 >/sys/bus/pci/devices/0000:00:1f.6/remove && ok "echo 1 > .../0000:00:1f.6/remove" || bad "remove write"
check "lspci no longer lists 00:1f.6" test -z "$(lspci -s 00:1f.6 2>/dev/null)"
echo 1 >/sys/bus/pci/rescan && ok "echo 1 > /sys/bus/pci/rescan" || bad "rescan write"
check "lspci lists 00:1f.6 again, probed back to e1000e" test "$(lspci_driver 00:1f.6)" = e1000e
if (echo 1 >/sys/bus/pci/devices/0000:01:00.0/reset) 2>"$tmp/rst.err"; then bad "sysfs reset of 01:00.0 (bus reset, shared bus) should fail"; else
  check "sysfs reset of 01:00.0 fails with ENOTTY (bus reset with 01:00.1 on the bus)" grep -q "Inappropriate ioctl" "$tmp/rst.err"; fi

# ---- a real libvirtd in the namespace --------------------------------------------------------
echo "== libvirtd: node-device API on the simulated hardware"
if ! start_libvirt; then
  bad "libvirtd did not start in the namespace"
else
  ok "libvirtd and virtlogd started in the namespace (private /run, /etc/libvirt, /var/lib/libvirt)"
  virsh nodedev-list --cap pci >"$tmp/nd.txt" 2>&1 || true
  check "virsh nodedev-list --cap pci lists the 13 simulated functions" test "$(grep -c '^pci_' "$tmp/nd.txt")" -eq 13
  # ptagent through the libvirt API on the simulated iGPU (the boot VGA: --force).
  if "$pt" detach 00:02.0 --force >"$tmp/det.out" 2>&1; then ok "ptagent detach 00:02.0 (libvirt virNodeDeviceDetachFlags)"; else bad "ptagent detach 00:02.0"; show "$tmp/det.out"; fi
  check "  00:02.0 is on vfio-pci (sysfs)" test "$(driver_of 0000:00:02.0)" = vfio-pci
  check "  libvirt's nodedev XML says vfio-pci" bash -c "virsh nodedev-dumpxml pci_0000_00_02_0 | grep -q '<name>vfio-pci</name>'"
  check "  libvirt wrote driver_override and drivers_probe" in_log "write /sys/bus/pci/drivers_probe 0000:00:02.0 = 0"
  if "$pt" reset 00:02.0 --force >"$tmp/rs.out" 2>&1; then ok "ptagent reset 00:02.0 (virNodeDeviceReset)"; else bad "ptagent reset 00:02.0"; show "$tmp/rs.out"; fi
  if "$pt" reattach 00:02.0 >"$tmp/ra.out" 2>&1; then ok "ptagent reattach 00:02.0 (virNodeDeviceReAttach)"; else bad "ptagent reattach 00:02.0"; show "$tmp/ra.out"; fi
  check "  00:02.0 is back on i915" test "$(driver_of 0000:00:02.0)" = i915
  # virsh itself, with libvirt's user-space resets through config space.
  check "virsh nodedev-detach pci_0000_00_1f_6" virsh nodedev-detach pci_0000_00_1f_6
  check "  lspci: vfio-pci" test "$(lspci_driver 00:1f.6)" = vfio-pci
  check "virsh nodedev-reattach pci_0000_00_1f_6" virsh nodedev-reattach pci_0000_00_1f_6
  check "  lspci: e1000e" test "$(lspci_driver 00:1f.6)" = e1000e
  check "virsh nodedev-reset pci_0000_00_17_0 (AHCI, PM reset only)" virsh nodedev-reset pci_0000_00_17_0
  check "  the simulated hardware saw libvirt's D3hot->D0 PM reset in config space" in_log "reset 0000:00:17.0 pm"
  check "  lspci still reads the device (config restored)" bash -c "lspci -s 00:17.0 -vv | grep -q 'Status: D0'"

  # What the simulated hardware cannot do: 01:00.0 has only a bus reset and shares its bus.
  "$pt" probe 01:00.0 --no-live >"$tmp/probe_static.out" 2>&1 || true
  "$pt" probe 01:00.0 >"$tmp/probe.out" 2>&1 || true
  virsh nodedev-reset pci_0000_01_00_0 >"$tmp/vreset.out" 2>&1 && vrc=0 || vrc=$?
  check "libvirt refuses to reset 01:00.0 alone (virsh nodedev-reset fails)" test "$vrc" -ne 0
  check "  libvirt names 01:00.1 on the bus as the reason" grep -q "0000:01:00.1 devices on bus with 0000:01:00.0" "$tmp/vreset.out"
  check "  ptagent probe (static) gives the same verdict: not alone, together with 01:00.1" grep -q "assignable together with: 0000:01:00.1" "$tmp/probe_static.out"
  check "  ptagent probe (live, through libvirt) agrees" grep -q "assignable together with: 0000:01:00.1" "$tmp/probe.out"
  check "  and quotes libvirt's refusal" grep -q "Active 0000:01:00.1 devices on bus" "$tmp/probe.out"
  check "  01:00.0 is back on nouveau after the probe" test "$(driver_of 0000:01:00.0)" = nouveau
  echo "    libvirt: $(grep -o 'Unable to reset.*' "$tmp/vreset.out" | head -1)"
  echo "    ptagent: $(grep '^Verdict' "$tmp/probe.out")"

  # A device that wedges on reset: vendor 0xffff afterwards.
  echo "wedge 0000:00:17.0" >/sys/.ptagent-sim
  "$pt" reset 00:17.0 >"$tmp/wedge.out" 2>&1 && wrc=0 || wrc=$?
  check "ptagent reset of a device that wedges fails" test "$wrc" -ne 0
  check "  and says the device is wedged (reboot needed)" grep -Eqi "wedge|reboot|0xffff" "$tmp/wedge.out"
  check "  lspci agrees: the function reads all ones" bash -c "lspci -s 00:17.0 -n | grep -q 'ffff:ffff'"
  show "$tmp/wedge.out" 3
fi

# ---- the hook, installed and run by the namespace's libvirtd ---------------------------------
echo "== the ptagent hook end to end (mdev metadata)"
u=4b20d080-1b54-4048-85b3-a6a62d165c01
if "$pt" hook install --hooks-dir /etc/libvirt/hooks --binary "$hookbin" >"$tmp/hi.out" 2>&1; then ok "ptagent hook install (private /etc/libvirt/hooks)"; else bad "ptagent hook install"; show "$tmp/hi.out"; fi
stop_libvirt
if ! start_libvirt; then
  bad "libvirtd did not restart with the hook"
else
  cat >"$tmp/dom.xml" <<XML
<domain type='qemu'>
  <name>ptagent-sim-mdev</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <metadata>
    <ptagent:passthrough xmlns:ptagent='urn:x-ptagent:passthrough:1'>
      <ptagent:mdev uuid='$u' parent='0000:00:02.0' type='i915-GVTg_V5_4'/>
    </ptagent:passthrough>
  </metadata>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <video><model type='none'/></video>
    <memballoon model='none'/>
  </devices>
</domain>
XML
  check "virsh define (domain with ptagent mdev metadata)" virsh -q define "$tmp/dom.xml"
  if virsh -q start ptagent-sim-mdev >"$tmp/start.out" 2>&1; then ok "virsh start: the hook ran at prepare"; else bad "virsh start"; show "$tmp/start.out"; fi
  check "  the mdev exists in the simulated sysfs while the domain runs" test -e "/sys/bus/mdev/devices/$u"
  sleep 0.3
  check "  virsh nodedev-list --cap mdev sees it" bash -c "virsh nodedev-list --cap mdev | grep -q 'mdev_${u//-/_}'"
  check "  mdevctl list sees it" bash -c "mdevctl list | grep -q '^$u 0000:00:02.0 i915-GVTg_V5_4'"
  check "  ptagent mdev list says ptagent owns it" bash -c "'$pt' mdev list | grep '^$u' | grep -q ptagent"
  check "virsh destroy" virsh -q destroy ptagent-sim-mdev
  check "  the mdev is gone from sysfs after destroy (release)" test ! -e "/sys/bus/mdev/devices/$u"
  sleep 0.3
  check "  and from virsh nodedev-list --cap mdev" bash -c "! virsh nodedev-list --cap mdev | grep -q 'mdev_${u//-/_}'"
  check "  available_instances back to 1" grep -qx 1 "$types/i915-GVTg_V5_4/available_instances"
  virsh -q undefine ptagent-sim-mdev >/dev/null 2>&1 || true
fi
stop_libvirt
check "libvirtd stopped" test ! -e /proc/"$(cat /run/libvirtd.pid 2>/dev/null || echo 0)"/status

echo
echo "sim_peers: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
