# bound: 420
# The qemu hook installed by 'ptagent hook install' into the nested host's libvirt: an unmanaged PCI
# function, a whole group and an mtty mdev prepared at start and undone at destroy; a non-viable group
# refused before QEMU runs; kill -9 of libvirtd during a start, then restore --all.
. "$PTVM_DIR/guest/libvirt.sh"
expect "hook install" 0 "$PT" hook install --binary "$PTHOOK"
lv_start && lv_restart || { fail "libvirt: libvirtd (re)starts with the hook" "no answer"; exit 0; }
t=mtty-2
u=$(cat /proc/sys/kernel/random/uuid)
b1=$(driver_of 0000:01:00.0); b5="$(driver_of 0000:05:01.0) $(driver_of 0000:05:02.0)"
meta="<ptagent:passthrough xmlns:ptagent='urn:x-ptagent:passthrough:1'><ptagent:pci address='0000:01:00.0' bind='vfio-pci'/><ptagent:pci address='0000:05:01.0' bind='vfio-pci' group='whole'/><ptagent:mdev uuid='$u' parent='mtty' type='$t'/></ptagent:passthrough>"
hd() { echo "<hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x0000' bus='$1' slot='$2' function='$3'/></source></hostdev>"; }
lv_define l2hook "$(hd 0x01 0x00 0x0)$(hd 0x05 0x01 0x0)$(hd 0x05 0x02 0x0)<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='$u'/></source></hostdev>" "$meta"
t0=$SECONDS
if virsh -q start l2hook >/tmp/hstart.out 2>&1; then
  pass "l2hook starts through the hook ($((SECONDS - t0)) s)"
  [ "$(driver_of 0000:01:00.0)" = vfio-pci ] && [ "$(driver_of 0000:05:01.0)" = vfio-pci ] && [ "$(driver_of 0000:05:02.0)" = vfio-pci ] &&
    pass "while it runs: 01:00.0, 05:01.0, 05:02.0 on vfio-pci" || fail "while it runs: drivers" "$(driver_of 0000:01:00.0) $(driver_of 0000:05:01.0) $(driver_of 0000:05:02.0)"
  [ -e /sys/bus/mdev/devices/"$u" ] && pass "while it runs: mdev $u exists" || fail "while it runs: mdev" "$u missing"
  virsh -q destroy l2hook >/dev/null 2>&1
  wait_for 20 test ! -e /sys/bus/mdev/devices/"$u"
  [ "$(driver_of 0000:01:00.0)" = "$b1" ] && [ "$(driver_of 0000:05:01.0) $(driver_of 0000:05:02.0)" = "$b5" ] && [ ! -e /sys/bus/mdev/devices/"$u" ] &&
    pass "after destroy: drivers back ($b1, $b5), mdev removed" || fail "after destroy" "$(driver_of 0000:01:00.0) $(driver_of 0000:05:01.0) $(driver_of 0000:05:02.0); mdev $(test -e /sys/bus/mdev/devices/$u && echo present || echo gone)"
else
  fail "l2hook starts" "$(cat /tmp/hstart.out)"
fi
# A mdev created first with 'ptagent mdev create', then named by a domain: the documented virsh flow.
expect "mdev create mtty $t" 0 "$PT" mdev create mtty "$t"
u2=$(echo "$OUT" | grep -Eo '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' | head -1)
lv_define l2mdev "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='$u2'/></source></hostdev>"
if virsh -q start l2mdev >/tmp/mstart.out 2>&1; then pass "a domain naming an mdev made by 'ptagent mdev create' starts"; virsh -q destroy l2mdev >/dev/null 2>&1
else fail "a domain naming a ptagent-created mdev starts" "$(cat /tmp/mstart.out)"; fi
[ -e /sys/bus/mdev/devices/"$u2" ] && pass "the hook left the mdev it did not create ($u2)" || fail "mdev $u2" "removed by the hook"
"$PT" mdev remove "$u2" >/dev/null 2>&1
virsh -q undefine l2mdev >/dev/null 2>&1
# A non-viable group: 05:01.0 alone while 05:02.0 stays on snd_hda_intel.
lv_define l2bad "$(hd 0x05 0x01 0x0)" "<ptagent:passthrough xmlns:ptagent='urn:x-ptagent:passthrough:1'><ptagent:pci address='0000:05:01.0' bind='vfio-pci'/></ptagent:passthrough>"
if virsh -q start l2bad >/tmp/bstart.out 2>&1; then
  fail "l2bad (non-viable group) is refused" "it started"; virsh -q destroy l2bad >/dev/null 2>&1
else
  grep -q "0000:05:02.0" /tmp/bstart.out && pass "l2bad refused before QEMU runs, naming 0000:05:02.0" || fail "l2bad refusal message" "$(cat /tmp/bstart.out)"
fi
[ "$(driver_of 0000:05:01.0) $(driver_of 0000:05:02.0)" = "$b5" ] && pass "the refusal changed nothing ($b5)" || fail "after the refusal" "$(driver_of 0000:05:01.0) $(driver_of 0000:05:02.0)"
# kill -9 of libvirtd while l2hook starts, then restore --all.
virsh -q start l2hook >/dev/null 2>&1 &
sleep 3
pkill -9 -x libvirtd
pkill -9 -f 'qemu-system-x86_64.*l2hook' 2>/dev/null
wait 2>/dev/null
info "after kill -9 of libvirtd mid-start: $(driver_of 0000:01:00.0) $(driver_of 0000:05:01.0) $(driver_of 0000:05:02.0); mdev $(test -e /sys/bus/mdev/devices/$u && echo present || echo absent)"
expect "restore --all after kill -9 of libvirtd" 0 "$PT" restore --all
[ "$(driver_of 0000:01:00.0)" = "$b1" ] && [ "$(driver_of 0000:05:01.0) $(driver_of 0000:05:02.0)" = "$b5" ] && [ ! -e /sys/bus/mdev/devices/"$u" ] &&
  pass "restore --all: the host is as it was" || fail "restore --all after the crash" "$(driver_of 0000:01:00.0) $(driver_of 0000:05:01.0) $(driver_of 0000:05:02.0); mdev $(test -e /sys/bus/mdev/devices/$u && echo present || echo gone)"
"$PT" hook uninstall >/dev/null 2>&1
