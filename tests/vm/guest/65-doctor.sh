# bound: 300
# ptagent doctor after a start that failed for a real reason, with no hook to stop it: a managed
# <hostdev> of 05:01.0 (e1000 behind the PCIe-to-PCI bridge) whose IOMMU group keeps 05:02.0
# (intel-hda) on its host driver. libvirt detaches 05:01.0, QEMU cannot use the group ("group N
# is not viable"), the start fails; doctor must read that from the domain's QEMU log and name
# the group and the fix.
. "$PTVM_DIR/guest/libvirt.sh"
lv_start || { fail "libvirt: libvirtd starts" "no answer"; exit 0; }
a=0000:05:01.0
b=0000:05:02.0
g=$(group_of $a)
ba=$(driver_of $a); bb=$(driver_of $b)
if [ -e /etc/libvirt/hooks/qemu ] || [ -e /etc/libvirt/hooks/qemu.d/ptagent ]; then
  info "a qemu hook is installed; it would refuse the start before QEMU runs"
fi
info "group $g: $a on '${ba:-none}', $b on '${bb:-none}'"
lv_define l2bad "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x05' slot='0x01' function='0x0'/></source></hostdev>"
if virsh -q start l2bad >/tmp/bad.out 2>&1; then
  fail "l2bad (a group that is not viable) fails to start" "it started"
  virsh -q destroy l2bad >/dev/null 2>&1
else
  pass "l2bad fails to start: $(tr '\n' ' ' </tmp/bad.out | cut -c1-200)"
fi
wait_for 30 driver_is $a "$ba" && pass "libvirt gave $a back to '${ba:-none}' after the failed start" || info "after the failed start $a is on '$(driver_of $a)'"
expect "doctor l2bad finds the cause" 0 "$PT" doctor l2bad
info "doctor l2bad says: $(echo "$OUT" | head -12 | tr '\n' ' ' | cut -c1-500)"
echo "$OUT" | grep -q "\[group-not-viable\]" && pass "doctor names group-not-viable" || fail "doctor names group-not-viable" "$OUT"
echo "$OUT" | grep -q "group $g" && pass "doctor names IOMMU group $g" || fail "doctor names the group" "$OUT"
j=$("$PT" doctor l2bad --json 2>&1)
if echo "$j" | python3 -c '
import json, sys
d = json.load(sys.stdin)
f = [x for x in d["findings"] if x["code"] == "group-not-viable"]
sys.exit(0 if f and f[0]["source"] == "qemu log" and f[0]["fix"] else 1)'; then
  pass "doctor --json: group-not-viable from the qemu log, with a fix"
else fail "doctor --json" "$j"; fi
expect "doctor of a domain that does not exist" 1 "$PT" doctor l2nosuch
virsh -q undefine l2bad >/dev/null 2>&1
[ "$(driver_of $b)" = "$bb" ] && pass "$b still on '${bb:-none}'" || fail "$b driver changed" "$(driver_of $b)"
