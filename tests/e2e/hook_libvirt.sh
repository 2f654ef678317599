#!/usr/bin/env bash
# End-to-end: the qemu hook installed with `ptagent hook install`, run by a real libvirtd around real
# QEMU (TCG) domains. The hook works on a simulated workstation (libvirt scrubs the environment, so
# a wrapper sets PTAGENT_ROOT) through the test build ptagent-hook-sim, whose sysfs writes go to the
# kernel-semantics double.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
pt=${PTAGENT_BIN:-$top/build/ptagent}
simhook=${PTAGENT_HOOK_SIM_BIN:-$(dirname "$pt")/tests/ptagent-hook-sim}
. "$here/lib/libvirtd.sh"
tmp=$(mktemp -d)
sim=$tmp/host
hooks=/etc/libvirt/hooks
log=$tmp/hook.log
doms="ptagent-e2e-plain ptagent-e2e-nonviable ptagent-e2e-mdevmeta ptagent-e2e-mdevdev ptagent-e2e-mtty ptagent-e2e-premade"
pass=0
fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
preexisting=  # a libvirtd that ran before this script: restarted without the hook at the end
cleanup() {
  for d in $doms; do undefine_test_domain "$d"; done
  "$pt" hook uninstall --hooks-dir "$hooks" >/dev/null 2>&1
  libvirt_stop
  if [ -n "$preexisting" ] && ! _lv_live_pid /run/libvirtd.pid >/dev/null; then
    # It had been started before the hook existed; it reads the hooks directory only at start-up.
    libvirtd -d 9>&- && echo "restarted the libvirtd that was running before the test (without the hook)"
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
journal_empty() { [ ! -s "$sim/run/ptagent/journal.json" ] || python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if not d.get("changes") else 1)' "$sim/run/ptagent/journal.json"; }
define() {  # define NAME DEVICES-XML [METADATA-XML]
  local f=$tmp/$1.xml
  cat >"$f" <<XML
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  ${3:+<metadata>$3</metadata>}
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
    <video><model type='none'/></video>
    <memballoon model='none'/>
    $2
  </devices>
</domain>
XML
  virsh -q define "$f" >/dev/null
}

[ -x "$simhook" ] || { echo "missing $simhook (build the test targets)"; exit 1; }
cp -a "$top/tests/fixtures/hosts/workstation" "$sim"
mkdir -p "$sim/etc/ptagent"
echo "log_file = $log" >"$sim/etc/ptagent/ptagent.conf"

# libvirtd reads the hooks directory when it starts: install first, then (re)start it.
"$pt" hook install --hooks-dir "$hooks" --binary "$simhook" --simulated-root "$sim" >"$tmp/install.out" 2>&1
check "hook install" grep -q "restart libvirtd" "$tmp/install.out"
check "hook status finds it" "$pt" hook status --hooks-dir "$hooks"
if pid=$(_lv_live_pid /run/libvirtd.pid); then
  # Someone else's libvirtd: it must be restarted to see the hook, and is restarted as it was
  # (without the hook) by cleanup.
  preexisting=$pid
  kill "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then echo "the running libvirtd ($pid) did not stop"; exit 1; fi
fi
libvirt_start || { echo "cannot start libvirtd"; exit 1; }

# A: a plain domain starts and stops; the hook adds nothing.
define ptagent-e2e-plain ""
check "plain domain starts" virsh -q start ptagent-e2e-plain
check "plain domain runs" bash -c "virsh -q domstate ptagent-e2e-plain | grep -q running"
check "nothing journaled for a plain domain" journal_empty

# E: a libvirtd restart with a running domain keeps it running (reconnect never fails).
pid=$(_lv_live_pid /run/libvirtd.pid)
kill "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
libvirtd -d 9>&-
for _ in $(seq 60); do virsh -q version >/dev/null 2>&1 && break; sleep 0.5; done
_lv_live_pid /run/libvirtd.pid >"$LIBVIRT_E2E_STATE/started.libvirtd"
check "domain still running after a libvirtd restart" bash -c "virsh -q domstate ptagent-e2e-plain | grep -q running"
virsh -q destroy ptagent-e2e-plain >/dev/null
check "nothing journaled after stop" journal_empty

# B: a managed hostdev in a non-viable group of the simulated host is refused by the hook.
define ptagent-e2e-nonviable "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source></hostdev>"
virsh -q start ptagent-e2e-nonviable >"$tmp/b.out" 2>&1
rc=$?
check "virsh start refused" [ $rc -ne 0 ]
check "with the hook's message naming the blocking device" grep -q "0000:01:00.1" "$tmp/b.out"
check "and the fix" grep -q "fix:" "$tmp/b.out"
check "journal clean after the refusal" journal_empty
grep -q "prepare refused" "$log" && ok "refusal logged" || bad "refusal not logged"

# C: mdev metadata only: created at prepare on the simulated GVT-g parent, removed at release.
u=4b20d080-1b54-4048-85b3-a6a62d165c01
define ptagent-e2e-mdevmeta "" "<ptagent:passthrough xmlns:ptagent='urn:x-ptagent:passthrough:1'><ptagent:mdev uuid='$u' parent='0000:00:02.0' type='i915-GVTg_V5_4'/></ptagent:passthrough>"
check "domain with mdev metadata starts" virsh -q start ptagent-e2e-mdevmeta
check "the mdev exists while it runs" test -e "$sim/sys/bus/mdev/devices/$u"
check "the journal records it" grep -q "$u" "$sim/run/ptagent/journal.json"
check "available_instances went to 0" grep -qx 0 "$sim/sys/devices/pci0000:00/0000:00:02.0/mdev_supported_types/i915-GVTg_V5_4/available_instances"
check "the log says so" grep -q "created mdev $u" "$log"
virsh -q destroy ptagent-e2e-mdevmeta >/dev/null
check "the mdev is gone after destroy" test ! -e "$sim/sys/bus/mdev/devices/$u"
check "journal clean after release" journal_empty
check "the log shows the undo" grep -q "undid mdev:$u" "$log"
check "available_instances back to 1" grep -qx 1 "$sim/sys/devices/pci0000:00/0000:00:02.0/mdev_supported_types/i915-GVTg_V5_4/available_instances"

# D: an mdev hostdev: the hook creates it in the simulated tree; libvirt then fails its own check
# against the real /sys (this host has no mdev), and the hook's release undoes the creation.
u2=4b20d080-1b54-4048-85b3-a6a62d165c02
define ptagent-e2e-mdevdev "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='$u2'/></source></hostdev>" \
  "<ptagent:passthrough xmlns:ptagent='urn:x-ptagent:passthrough:1'><ptagent:mdev uuid='$u2' parent='0000:00:02.0' type='i915-GVTg_V5_8'/></ptagent:passthrough>"
virsh -q start ptagent-e2e-mdevdev >"$tmp/d.out" 2>&1
echo "  (libvirt's own verdict: $(tr '\n' ' ' <"$tmp/d.out" | cut -c1-160))"
check "prepare created the mdev" grep -q "created mdev $u2" "$log"
check "release removed it" grep -q "undid mdev:$u2" "$log"
check "no mdev left in the simulated host" test ! -e "$sim/sys/bus/mdev/devices/$u2"
check "journal clean" journal_empty

# G: an mdev parent that is not a PCI device (the kernel's mtty sample: /sys/class/mdev_bus/mtty).
mt=$sim/sys/devices/virtual/mtty/mtty/mdev_supported_types/mtty-2
mkdir -p "$mt/devices"
echo 4 >"$mt/available_instances"
echo vfio-pci >"$mt/device_api"
echo Dual-port-serial >"$mt/name"
: >"$mt/create"
ln -s ../../devices/virtual/mtty/mtty "$sim/sys/class/mdev_bus/mtty"
u3=4b20d080-1b54-4048-85b3-a6a62d165c03
define ptagent-e2e-mtty "" "<ptagent:passthrough xmlns:ptagent='urn:x-ptagent:passthrough:1'><ptagent:mdev uuid='$u3' parent='mtty' type='mtty-2'/></ptagent:passthrough>"
virsh -q start ptagent-e2e-mtty >"$tmp/g.out" 2>&1
check "domain with an mtty mdev in its metadata starts" bash -c "virsh -q domstate ptagent-e2e-mtty | grep -q running"
grep -q "not a PCI address" "$tmp/g.out" && bad "the hook still wants a PCI parent" && sed 's/^/    /' "$tmp/g.out"
check "the mdev exists under the mtty parent" test -e "$sim/sys/devices/virtual/mtty/mtty/$u3"

# H: an mdev made beforehand (the state 'ptagent mdev create' leaves: the device and a journal
# entry owned by the CLI), then named by a domain's <hostdev type='mdev'>: the documented virsh
# workflow. The hook accepts it and leaves it at release. (libvirt then fails its own check
# against this host's real /sys, which has no mdev: the hook's part is what is checked here.)
python3 -c '
import json, sys
p = sys.argv[1]; d = json.load(open(p))
for c in d["changes"]:
    if c.get("mdev_uuid") == sys.argv[2]: c["owner"] = "cli"
json.dump(d, open(p, "w"))' "$sim/run/ptagent/journal.json" "$u3"
virsh -q destroy ptagent-e2e-mtty >/dev/null
check "a CLI-made mdev outlives the domain that ran with it" test -e "$sim/sys/bus/mdev/devices/$u3"
define ptagent-e2e-premade "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='$u3'/></source></hostdev>"
virsh -q start ptagent-e2e-premade >"$tmp/h.out" 2>&1
if grep -q "ptagent: domain 'ptagent-e2e-premade' cannot start" "$tmp/h.out"; then
  bad "the hook refused an mdev made with 'ptagent mdev create'"; sed 's/^/    /' "$tmp/h.out"
else
  ok "the hook accepts a domain naming an mdev made beforehand"
fi
virsh -q destroy ptagent-e2e-premade >/dev/null 2>&1
check "and leaves it in place at release" test -e "$sim/sys/bus/mdev/devices/$u3"
check "its CLI journal entry stays" grep -q "$u3" "$sim/run/ptagent/journal.json"

echo
echo "hook_libvirt: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
