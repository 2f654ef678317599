# bound: 240
# mdev on a real kernel: the kernel's mtty sample (a parent that is not a PCI device).
mb=/sys/class/mdev_bus/mtty
[ -d $mb ] || { fail "mdev: mtty parent" "$mb missing (setup failed)"; exit 0; }
out=$("$PT" mdev types --json 2>&1); rc=$?
if [ $rc -eq 0 ] && echo "$out" | python3 -c '
import json,sys,os
d=json.load(sys.stdin)
text=json.dumps(d)
kern=sorted(os.listdir("/sys/class/mdev_bus/mtty/mdev_supported_types"))
missing=[t for t in kern if t not in text]
sys.exit(1 if missing else 0)'; then pass "mdev types lists every type of mtty ($(ls $mb/mdev_supported_types | tr '\n' ' '))"
else fail "mdev types --json" "rc $rc: $out"; fi
mc=$(mdevctl types 2>&1)
echo "$mc" | grep -q mtty-2 && pass "mdevctl types agrees (mtty-2 listed)" || fail "mdevctl types" "$mc"
t=$(ls $mb/mdev_supported_types | grep -- '-2$' | head -1)
expect "mdev create mtty $t" 0 "$PT" mdev create mtty "$t"
u=$(echo "$OUT" | grep -Eo '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' | head -1)
if [ -n "$u" ] && [ -e /sys/bus/mdev/devices/"$u" ]; then pass "mdev create: /sys/bus/mdev/devices/$u exists"; else fail "mdev create: kernel state" "uuid '$u': $OUT"; fi
"$PT" mdev list 2>&1 | grep -q "$u" && pass "mdev list shows $u" || fail "mdev list" "$("$PT" mdev list 2>&1)"
mdevctl list 2>&1 | grep -q "$u" && pass "mdevctl list shows $u" || fail "mdevctl list" "$(mdevctl list 2>&1)"
expect "mdev remove $u" 0 "$PT" mdev remove "$u"
[ ! -e /sys/bus/mdev/devices/"$u" ] && pass "mdev remove: $u gone" || fail "mdev remove: kernel state" "$u still there"
# One that mdevctl defined and started is mdevctl's: refused.
u2=$(cat /proc/sys/kernel/random/uuid)
if mdevctl define -u "$u2" -p mtty -t "$t" >/dev/null 2>&1 && mdevctl start -u "$u2" >/dev/null 2>&1; then
  expect "mdev remove of an mdevctl-defined mdev is refused" 1 "$PT" mdev remove "$u2"
  [ -e /sys/bus/mdev/devices/"$u2" ] && pass "the refusal left $u2 in place" || fail "refused remove" "$u2 is gone"
  mdevctl stop -u "$u2" >/dev/null 2>&1; mdevctl undefine -u "$u2" >/dev/null 2>&1
else
  info "mdevctl define/start failed here: $(mdevctl start -u "$u2" 2>&1 | head -1)"
fi
# gen-xml for an mdev whose parent is not a PCI device.
expect "mdev create mtty $t --uuid (for gen-xml)" 0 "$PT" mdev create mtty "$t"
u3=$(echo "$OUT" | grep -Eo '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' | head -1)
expect "gen-xml --mdev --parent mtty --type $t --uuid $u3 (a parent that is not PCI)" 0 "$PT" gen-xml --mdev --parent mtty --type "$t" --uuid "$u3"
expect "gen-xml --mdev --metadata with parent mtty" 0 "$PT" gen-xml --mdev --parent mtty --type "$t" --uuid "$u3" --metadata
"$PT" mdev remove "$u3" >/dev/null 2>&1
