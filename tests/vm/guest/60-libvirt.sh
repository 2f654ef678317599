# bound: 420
# libvirt inside the nested host: node-device detach/reset/reattach and a live probe through the real
# daemon, attach --config, a domain with a managed <hostdev> whose QEMU holds /dev/vfio/N, probe of a
# device a running domain holds, and detach-from --live honest about an unplug the guest never completes.
. "$PTVM_DIR/guest/libvirt.sh"
lv_start || { fail "libvirt: libvirtd starts" "virsh version did not answer within 200 s: $(tail -3 /var/log/libvirt/libvirtd.log 2>/dev/null)"; exit 0; }
pass "libvirt: libvirtd $(virsh -q version 2>/dev/null | sed -n 's/^Running hypervisor: //p') answers"
a=0000:01:00.0
before=$(driver_of $a)
expect "detach $a (virNodeDeviceDetachFlags)" 0 "$PT" detach $a
[ "$(driver_of $a)" = vfio-pci ] && pass "detach: $a on vfio-pci" || fail "detach: kernel state" "driver $(driver_of $a)"
expect "reset $a (virNodeDeviceReset)" 0 "$PT" reset $a
expect "reattach $a" 0 "$PT" reattach $a
[ "$(driver_of $a)" = "$before" ] && pass "reattach: $a back on $before" || fail "reattach: kernel state" "driver $(driver_of $a)"
# A VF: its config space reads 0xffff by design, which is not a wedged device.
vf=0000:02:00.1
if [ -e "$(sysdev $vf)" ]; then
  vb=$(driver_of $vf)
  expect "reset $vf (an SR-IOV VF)" 0 "$PT" reset $vf
  expect "detach $vf (an SR-IOV VF)" 0 "$PT" detach $vf
  expect "reattach $vf" 0 "$PT" reattach $vf
  # The host's nvme driver probes the VF again after the reattach, and gives up on it later.
  wait_for 20 driver_is $vf "$vb"
  [ "$(driver_of $vf)" = "$vb" ] && pass "VF $vf back on '${vb:-no driver}'" || fail "VF $vf driver" "$(driver_of $vf), want '$vb'"
fi
OUT=$("$PT" probe $a --json 2>&1); RC=$?
v=$(echo "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("verdict"))' 2>/dev/null)
[ "$RC" -eq 0 ] && [ "$v" = alone ] && pass "probe $a (live, through libvirt): alone" || fail "probe $a live" "rc $RC verdict '$v': $OUT"
[ "$(driver_of $a)" = "$before" ] && pass "live probe left $a on $before" || fail "live probe left $a" "on $(driver_of $a)"
# The live check reads the ROM's first two bytes: compare with the kernel read by hand, and the ROM
# must be disabled again (a read of a disabled ROM is EINVAL).
rom=$(echo "$OUT" | python3 -c 'import json,sys; r=json.load(sys.stdin).get("rom") or {}; print(r.get("result","-"), "|", r.get("evidence",""))' 2>/dev/null)
info "probe $a ROM: $rom"
if [ -e "$(sysdev $a)/rom" ]; then
  if head -c2 "$(sysdev $a)/rom" >/dev/null 2>&1; then fail "the ROM of $a is disabled again after the probe" "it still reads"
  else pass "the ROM of $a is disabled again after the probe (a read fails)"; fi
  echo 1 >"$(sysdev $a)/rom"; sig=$(head -c2 "$(sysdev $a)/rom" 2>/dev/null | od -An -tx1 | tr -d ' \n'); echo 0 >"$(sysdev $a)/rom"
  info "the kernel's ROM of $a by hand starts with '${sig:-nothing}'"
  want=unreadable; [ "$sig" = 55aa ] && want=signature-ok; [ -n "$sig" ] && [ "$sig" != 55aa ] && want=bad-signature
  [ "${rom%% *}" = "$want" ] && pass "probe's ROM result '$want' agrees with the kernel read by hand" || fail "probe's ROM result" "'${rom%% *}', by hand '$sig' ($want)"
else
  info "$a has no rom attribute"
fi

lv_define l2pci "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source></hostdev>"
expect "attach --config l2pci 0000:03:00.0 0000:03:00.1" 0 "$PT" attach l2pci 0000:03:00.0 0000:03:00.1 --config
n=$(hostdev_sources l2pci --inactive | grep -c '^0000:03:00\.')
[ "$n" -eq 2 ] && pass "attach --config: the persistent XML holds both functions of 03:00" || fail "attach --config" "$n <hostdev> with bus 0x03"
expect "detach-from --config l2pci 0000:03:00.0 0000:03:00.1" 0 "$PT" detach-from l2pci 0000:03:00.0 0000:03:00.1 --config
[ "$(hostdev_sources l2pci --inactive | grep -c '^0000:03:00\.')" -eq 0 ] && pass "detach-from --config: gone from the persistent XML" || fail "detach-from --config" "still there"
t0=$SECONDS
if virsh -q start l2pci >/tmp/start.out 2>&1; then
  pass "l2pci with a managed <hostdev> of $a starts ($((SECONDS - t0)) s)"
  g=$(group_of $a)
  qpid=$(cat /run/libvirt/qemu/l2pci.pid 2>/dev/null)
  if [ -n "$qpid" ] && ls -l /proc/"$qpid"/fd 2>/dev/null | grep -q "/dev/vfio/$g"; then pass "its QEMU ($qpid) holds /dev/vfio/$g"; else fail "QEMU holds /dev/vfio/$g" "pid '$qpid': $(ls -l /proc/$qpid/fd 2>&1 | grep vfio | head -3)"; fi
  OUT=$("$PT" probe $a 2>&1); RC=$?
  echo "$OUT" | grep -q "l2pci" && pass "probe $a names the running domain l2pci that holds it" || fail "probe of a held device names its domain" "rc $RC: $OUT"
  expect "bind $a held by l2pci is refused" 1 "$PT" bind $a
  # L2 has no OS: ACPI unplug never completes, so the detach stays pending.
  OUT=$("$PT" detach-from l2pci $a --live --timeout 10 2>&1); RC=$?
  still=$(hostdev_sources l2pci | grep -c "^$a\$")
  if [ "$still" -gt 0 ] && ! echo "$OUT" | grep -qi "pending"; then
    fail "detach-from --live is honest about a pending unplug" "rc $RC, live XML still holds $a, output: $OUT"
  else
    pass "detach-from --live is honest about a pending unplug (rc $RC)"
  fi
  virsh -q destroy l2pci >/dev/null 2>&1
  wait_for 30 driver_is $a "$before" && pass "destroy: managed $a back on $before" || fail "destroy: $a" "on $(driver_of $a)"
else
  fail "l2pci starts" "$(cat /tmp/start.out)"
fi
virsh -q undefine l2pci >/dev/null 2>&1
