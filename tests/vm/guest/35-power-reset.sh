# bound: 200
# reset_method and runtime power on the real 6.1 kernel: what the kernel's reset_method_store
# accepts and refuses (the kernel double follows this), ptagent reset-method and ptagent power
# against it, and what vfio-pci does to power/control when it takes a device.
# Seen on 6.1.0 (2026-12-07): a name given twice is accepted and kept ("pm pm"); a zero-byte write
# changes nothing, "\n" empties the list; e1000e has power/control "on" (the PCI default) and
# vfio-pci sets "auto" and suspends the unused device to D3hot; --keep-on brings it back to D0;
# the QEMU root port's d3cold_allowed reads 0.
a=0000:01:00.0
d=$(sysdev $a)
orig=$(cat $d/reset_method)
info "reset_method of $a (e1000e): '$orig'"
first=${orig%% *}
last=${orig##* }

# The kernel itself, by hand: unknown and unsupported names are EINVAL and change nothing.
if echo bogus >$d/reset_method 2>/dev/null; then fail "kernel: reset_method 'bogus' is refused" "accepted: now '$(cat $d/reset_method)'"
else [ "$(cat $d/reset_method)" = "$orig" ] && pass "kernel: reset_method 'bogus' is EINVAL, unchanged" || fail "kernel: 'bogus' changed the list" "$(cat $d/reset_method)"; fi
unsupported=
for m in device_specific acpi flr af_flr pm bus; do case " $orig " in *" $m "*) ;; *) unsupported=$m; break ;; esac; done
if [ -n "$unsupported" ]; then
  if echo "$unsupported" >$d/reset_method 2>/dev/null; then fail "kernel: unsupported '$unsupported' is refused" "accepted: now '$(cat $d/reset_method)'"
  else [ "$(cat $d/reset_method)" = "$orig" ] && pass "kernel: unsupported '$unsupported' is EINVAL, unchanged" || fail "kernel: '$unsupported' changed the list" "$(cat $d/reset_method)"; fi
fi
if echo "$first $first" >$d/reset_method 2>/dev/null; then info "kernel: a duplicate '$first $first' is accepted: now '$(cat $d/reset_method)'"
else info "kernel: a duplicate '$first $first' is refused (EINVAL)"; fi
echo default >$d/reset_method

# ptagent reset-method against it.
expect "reset-method $a shows the kernel's list" 0 "$PT" reset-method $a
[ "$OUT" = "$a: $orig" ] && pass "reset-method $a: '$orig'" || fail "reset-method $a output" "$OUT"
expect "reset-method $a $last (one method)" 0 "$PT" reset-method $a "$last"
[ "$(cat $d/reset_method)" = "$last" ] && pass "kernel reads '$last' after reset-method $a $last" || fail "kernel reset_method after set" "$(cat $d/reset_method)"
if [ -n "$unsupported" ]; then
  expect "reset-method $a $unsupported (unsupported) is refused" 1 "$PT" reset-method $a "$unsupported"
  [ "$(cat $d/reset_method)" = "$last" ] && pass "refused reset-method left '$last'" || fail "refused reset-method changed it" "$(cat $d/reset_method)"
fi
expect "reset-method $a bogus is a usage error" 2 "$PT" reset-method $a bogus
expect "reset-method $a --none" 0 "$PT" reset-method $a --none
[ -z "$(cat $d/reset_method)" ] && pass "kernel: reset_method empty after --none" || fail "after --none" "'$(cat $d/reset_method)'"
expect "reset --none: ptagent show says no reset" 0 "$PT" --json show $a
expect "reset-method $a --default" 0 "$PT" reset-method $a --default
[ "$(cat $d/reset_method)" = "$orig" ] && pass "kernel: '$orig' back after --default" || fail "after --default" "$(cat $d/reset_method)"

# Runtime power: what the kernel shows before and after vfio-pci takes the device.
up=$(basename "$(dirname "$(readlink -f $d)")")
pw() { echo "power_state=$(cat $1/power_state) d3cold_allowed=$(cat $1/d3cold_allowed) control=$(cat $1/power/control) runtime=$(cat $1/power/runtime_status)"; }
info "power of $a on $(driver_of $a): $(pw $d); bridge $up: $(pw $(sysdev $up))"
before_ctl=$(cat $d/power/control); before_d3=$(cat $d/d3cold_allowed); before_up=$(cat $(sysdev $up)/d3cold_allowed)
expect "power $a --keep-on" 0 "$PT" power $a --keep-on
if [ "$(cat $d/d3cold_allowed)" = 0 ] && [ "$(cat $d/power/control)" = on ] && [ "$(cat $(sysdev $up)/d3cold_allowed)" = 0 ]; then
  pass "power --keep-on: kernel reads d3cold_allowed 0, control on, bridge $up d3cold_allowed 0"
else fail "power --keep-on: kernel state" "$(pw $d); bridge $(pw $(sysdev $up))"; fi
expect "power $a --keep-on again has nothing to do" 0 "$PT" power $a --keep-on
echo "$OUT" | grep -q "nothing to change" && pass "second --keep-on writes nothing" || fail "second --keep-on" "$OUT"
expect "power $a --idle" 0 "$PT" power $a --idle
[ "$(cat $d/power/control)" = auto ] && [ "$(cat $d/d3cold_allowed)" = 1 ] && pass "power --idle: control auto, d3cold_allowed 1" || fail "power --idle" "$(pw $d)"
[ "$(cat $(sysdev $up)/d3cold_allowed)" = 0 ] && pass "power --idle leaves the bridge $up kept on" || fail "power --idle touched the bridge" "$(pw $(sysdev $up))"
expect "power 0000:01:00.0 --keep-on --idle is a usage error" 2 "$PT" power $a --keep-on --idle
# Put back what the kernel had.
echo "$before_ctl" >$d/power/control; echo "$before_d3" >$d/d3cold_allowed; echo "$before_up" >$(sysdev $up)/d3cold_allowed
expect "bind $a for the power check" 0 "$PT" bind $a
wait_for 10 grep -qx D3hot "$d/power_state"
info "power of $a on vfio-pci, unused: $(pw $d)"
expect "power $a --keep-on on vfio-pci" 0 "$PT" power $a --keep-on
wait_for 5 grep -qx D0 "$d/power_state" && pass "power --keep-on on vfio-pci: the device is back in D0 ($(pw $d))" || info "power --keep-on on vfio-pci: $(pw $d)"
expect "restore $a" 0 "$PT" restore $a
echo "$before_ctl" >$d/power/control; echo "$before_d3" >$d/d3cold_allowed; echo "$before_up" >$(sysdev $up)/d3cold_allowed
info "power of $a back on $(driver_of $a): $(pw $d)"
