# bound: 300
# bind/restore through the real vfio-pci: the driver link, /dev/vfio/N appearing and going, bind --group,
# the refusals (host-critical, host bridge, a partial group), and restore --all after kill -9 mid-bind.
J=/run/ptagent
drivers_of() { local a; for a in "$@"; do printf '%s=%s ' "$a" "$(driver_of "$a")"; done; }

# An endpoint alone in its group: e1000e at 01:00.0.
a=0000:01:00.0
before=$(driver_of $a)
g=$(group_of $a)
expect "bind $a (e1000e, alone in group $g)" 0 "$PT" bind $a
if [ "$(driver_of $a)" = vfio-pci ] && [ -c /dev/vfio/"$g" ]; then pass "bind $a: driver link is vfio-pci, /dev/vfio/$g exists"
else fail "bind $a: kernel state" "driver '$(driver_of $a)', /dev/vfio/$g $(test -e /dev/vfio/$g && echo exists || echo missing)"; fi
# vfio-pci idles an unused device in D3hot (the kernel's power_state): it still answers, so the
# health check has nothing to say and the verdict stays.
wait_for 10 grep -qx D3hot "$(sysdev $a)/power_state"
ps=$(cat "$(sysdev $a)/power_state" 2>/dev/null)
info "power_state of $a on vfio-pci, unused: $ps"
j=$("$PT" --json show $a 2>&1)
if echo "$j" | python3 -c 'import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; a=d["assignability"]; sys.exit(0 if a["health"]==[] and a["verdict"]!="not_assignable" else 1)'; then
  pass "show $a on vfio-pci ($ps): no health finding, still assignable"
else fail "show $a on vfio-pci ($ps)" "$j"; fi
expect "restore $a" 0 "$PT" restore $a
if [ "$(driver_of $a)" = "$before" ] && [ ! -e /dev/vfio/"$g" ] && [ -z "$(cat "$(sysdev $a)/driver_override")" -o "$(cat "$(sysdev $a)/driver_override")" = "(null)" ]; then
  pass "restore $a: back on $before, /dev/vfio/$g gone, driver_override cleared"
else
  fail "restore $a: kernel state" "driver '$(driver_of $a)' (want $before), /dev/vfio/$g $(test -e /dev/vfio/$g && echo exists || echo gone), override '$(cat "$(sysdev $a)/driver_override")'"
fi

# The GPU + HDMI-audio shape: one group, bound together.
g3=$(group_of 0000:03:00.0)
b3="$(drivers_of 0000:03:00.0 0000:03:00.1)"
expect "bind --group 0000:03:00.0 (group $g3)" 0 "$PT" bind --group 0000:03:00.0
if [ "$(driver_of 0000:03:00.0)" = vfio-pci ] && [ "$(driver_of 0000:03:00.1)" = vfio-pci ] && [ -c /dev/vfio/"$g3" ]; then
  pass "bind --group: 03:00.0 and 03:00.1 on vfio-pci, /dev/vfio/$g3 exists"
else fail "bind --group: kernel state" "$(drivers_of 0000:03:00.0 0000:03:00.1)"; fi
# A group bound whole is one unit: groups must not call its members assignable to two guests.
out=$("$PT" groups 2>&1)
if echo "$out" | grep -q "each endpoint can be assigned on its own"; then
  fail "groups after bind --group names the group the unit" "$(echo "$out" | grep -A4 "IOMMU group $g3\$")"
else pass "groups after bind --group names the group the unit"; fi
expect "restore 0000:03:00.0 0000:03:00.1" 0 "$PT" restore 0000:03:00.0 0000:03:00.1
[ "$(drivers_of 0000:03:00.0 0000:03:00.1)" = "$b3" ] && pass "restore of the group: drivers back ($b3)" || fail "restore of the group" "$(drivers_of 0000:03:00.0 0000:03:00.1), want $b3"

# Refusals change nothing.
for case in "0000:00:1f.2 holds /mnt/data" "0000:00:00.0 the host bridge" "0000:00:02.0 a root port" "0000:07:00.0 the default-route NIC" "0000:05:01.0 one half of a group whose other member is on a host driver"; do
  d=${case%% *}; why=${case#* }
  b=$(driver_of "$d")
  expect "bind $d ($why) is refused" 1 "$PT" bind "$d" && [ -n "$OUT" ] && info "bind $d says: $(echo "$OUT" | head -2 | tr '\n' ' ')"
  [ "$(driver_of "$d")" = "$b" ] && pass "bind $d refused: still on '${b:-none}'" || fail "bind $d refused: driver changed" "now '$(driver_of "$d")', was '$b'"
  expect "bind --dry-run $d ($why) is refused" 1 "$PT" bind --dry-run "$d"
done
[ -s $J/journal ] 2>/dev/null && info "journal after the refusals: $(wc -c <$J/journal) bytes"

# kill -9 in the middle of a group bind, then restore --all: the host is as it was.
b5="$(drivers_of 0000:05:01.0 0000:05:02.0)"
"$PT" bind --group 0000:05:01.0 >/tmp/bind5.out 2>&1 &
p=$!
sleep 0.4
kill -9 $p 2>/dev/null
wait $p 2>/dev/null
info "after kill -9 of bind --group 05:01.0: $(drivers_of 0000:05:01.0 0000:05:02.0)"
expect "restore --all after kill -9 mid-bind" 0 "$PT" restore --all
[ "$(drivers_of 0000:05:01.0 0000:05:02.0)" = "$b5" ] && pass "restore --all: drivers as before ($b5)" || fail "restore --all: drivers" "$(drivers_of 0000:05:01.0 0000:05:02.0), want $b5"
expect "restore --all again has nothing to do" 0 "$PT" restore --all
