#!/usr/bin/env bash
# End-to-end: detach / reset / reattach / probe / attach against a real libvirtd on this machine,
# which has no IOMMU: libvirt's real refusals, translated, and the devices left as they were.
# Never touches 0000:00:02.0 (root disk) or 0000:00:03.0 (network) beyond the guard's refusal.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
pt=${PTAGENT_BIN:-$top/build/ptagent}
. "$here/lib/libvirtd.sh"
tmp=$(mktemp -d)
dom=ptagent-e2e-ops
hung_pid=""
cleanup() {
  [ -n "$hung_pid" ] && kill "$hung_pid" 2>/dev/null
  undefine_test_domain "$dom"
  libvirt_stop
  rm -rf "$tmp"
}
trap cleanup EXIT
pass=0
fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
driver_of() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
# expect RC PATTERN DESCRIPTION cmd... : exit code and a pattern in stdout+stderr
expect() {
  local want=$1 pattern=$2 what=$3
  shift 3
  "$@" >"$tmp/out" 2>&1
  local rc=$?
  if [ "$rc" -eq "$want" ] && grep -qE -- "$pattern" "$tmp/out"; then
    ok "$what"
  else
    bad "$what (exit $rc, wanted $want and /$pattern/)"
    sed 's/^/    /' "$tmp/out"
  fi
}

libvirt_start || { echo "cannot start libvirtd"; exit 1; }
define_test_domain "$dom" || { echo "cannot define $dom"; exit 1; }

rng=0000:00:05.0
before_rng=$(driver_of $rng)
before_disk=$(driver_of 0000:00:02.0)
before_net=$(driver_of 0000:00:03.0)

# probe: static analysis, then libvirt's real refusal (no VFIO here), device left on virtio-pci
expect 1 "VFIO device assignment is currently not supported" "probe $rng shows libvirt's refusal" "$pt" probe $rng
expect 1 "IOMMU or vfio is missing.*ptagent check" "probe $rng translates it into a cause and a fix" "$pt" probe $rng
"$pt" probe $rng --json >"$tmp/probe.json"
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["verdict"]=="not_assignable" and d["live"]["ran"] and d["live"]["driver_after"]=="virtio-pci" else 1)' "$tmp/probe.json"; then
  ok "probe --json: not assignable, live check ran, still on virtio-pci"
else
  bad "probe --json"; cat "$tmp/probe.json"
fi
expect 1 "Live check: +skipped \(--no-live\)" "probe --no-live changes nothing" "$pt" probe $rng --no-live
[ "$(driver_of $rng)" = "$before_rng" ] && ok "$rng still on $before_rng after probe" || bad "$rng driver changed to $(driver_of $rng)"

# reset: libvirt's real "no FLR, PM reset or bus reset available"
expect 1 "no FLR, PM reset or bus reset available" "reset $rng reports libvirt's refusal" "$pt" reset $rng
expect 1 "co-assigned" "reset $rng says what to do" "$pt" reset $rng

# detach of a device libvirt cannot give to vfio here: refused, nothing changed
expect 1 "VFIO device assignment is currently not supported.*nothing was changed" "detach $rng refused by libvirt, nothing changed" "$pt" detach $rng
[ "$(driver_of $rng)" = "$before_rng" ] && ok "$rng still on $before_rng after detach" || bad "$rng driver changed"

# reattach of a device that is not detached: refused before libvirt
expect 1 "is not detached: it is on virtio-pci" "reattach refuses a device that is on its host driver" "$pt" reattach $rng

# the guard refuses the root disk before libvirt is called: a bogus URI is never reached
expect 1 "holds the root filesystem" "detach 0000:00:02.0 refused by the guard" "$pt" detach 0000:00:02.0
expect 1 "holds the root filesystem" "guard runs before libvirt (bogus URI never used)" "$pt" --connect bogus:///x detach 0000:00:02.0
expect 1 "default route" "reset 0000:00:03.0 refused by the guard" "$pt" reset 0000:00:03.0
expect 0 "detach 0000:00:05.0 from virtio-pci to vfio-pci" "detach --dry-run prints the plan" "$pt" detach $rng --dry-run

# attach to a shut-off domain's definition, and the inverse
expect 0 "attached to $dom" "attach $dom $rng --config" "$pt" attach "$dom" $rng --config
if virsh -q dumpxml --inactive "$dom" | grep -q "<address domain='0x0000' bus='0x00' slot='0x05' function='0x0'/>"; then
  ok "virsh dumpxml --inactive shows the hostdev"
else
  bad "hostdev missing from the domain"
fi
expect 1 "already a host device of domain" "attach twice is refused" "$pt" attach "$dom" $rng --config
expect 0 "detached from $dom" "detach-from $dom $rng --config" "$pt" detach-from "$dom" $rng --config
if virsh -q dumpxml --inactive "$dom" | grep -q "<hostdev"; then bad "hostdev still in the domain"; else ok "hostdev gone after detach-from"; fi
expect 1 "is not a host device of domain" "detach-from of a device the domain lacks" "$pt" detach-from "$dom" $rng --config
expect 1 "holds the root filesystem" "attach of the root disk refused" "$pt" attach "$dom" 0000:00:02.0 --config

# bad input
expect 1 "no such domain" "unknown domain" "$pt" attach no-such-domain-xyz $rng --config
expect 1 "no IOMMU group.*enable the IOMMU|enable the IOMMU" "live attach without an IOMMU is refused" "$pt" attach "$dom" $rng --live
expect 1 "no such PCI device" "unknown device" "$pt" detach 0000:00:1e.0
expect 2 "bus 0x100 is out of range" "malformed address" "$pt" reset 0000:100:00.0
expect 2 "does not accept this connection URI" "bad URI" "$pt" --connect bogus:///x reset $rng
expect 2 "needs a DOMAIN" "attach without a device" "$pt" attach "$dom"

# libvirtd down (its socket missing) and libvirtd hung (a socket that never answers)
expect 1 "libvirtd is not running" "libvirtd down: clear error" \
  "$pt" --connect "qemu+unix:///system?socket=$tmp/no-such.sock" reset $rng
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
conns = []
t = time.time()
while time.time() - t < 60:
    c, _ = s.accept(); conns.append(c)
' "$tmp/hung.sock" &
hung_pid=$!
sleep 0.5
start=$SECONDS
expect 1 "did not answer within 2.0 s" "hung libvirtd: bounded error, not a hang" \
  "$pt" --connect "qemu+unix:///system?socket=$tmp/hung.sock" reset $rng --timeout 2
expect 1 "systemctl start libvirtd" "libvirtd down: says how to start it" \
  "$pt" --connect "qemu+unix:///system?socket=$tmp/no-such.sock" reset $rng
[ $((SECONDS - start)) -le 10 ] && ok "gave up within the bound" || bad "took $((SECONDS - start)) s"

# probe with libvirtd unreachable: the live check is "not checked" (with why), never a refusal.
# This host's devices are statically not assignable (no IOMMU), which stays the verdict; a device
# of a simulated host that is assignable alone gets the "not checked" verdict (exit 3).
expect 1 "Live check: +not run, nothing changed \(libvirt .* is unreachable" "probe with libvirtd down: live check not run, with why" \
  "$pt" --connect "qemu+unix:///system?socket=$tmp/no-such.sock" probe $rng
expect 1 "Verdict: +not assignable: it has no IOMMU group" "probe with libvirtd down keeps the static verdict" \
  "$pt" --connect "qemu+unix:///system?socket=$tmp/no-such.sock" probe $rng
expect 3 "Verdict: +not checked: libvirt .* is unreachable.*static analysis says: assignable alone" \
  "probe of an assignable device with libvirtd down: not checked (exit 3)" \
  "$pt" --root "$top/tests/fixtures/hosts/server" --connect "qemu+unix:///system?socket=$tmp/no-such.sock" probe 01:10.0

# --root checks a simulated host but libvirtd would act on this one: refused without --connect
sim=$top/tests/fixtures/hosts/server
for c in "detach 01:10.0" "reattach 01:10.0" "reset 01:10.0" "probe 01:10.0" "attach $dom 01:10.0 --config" "detach-from $dom 01:10.0 --config"; do
  # shellcheck disable=SC2086
  expect 2 "would act on this host's real devices" "--root with $c and no --connect is refused" "$pt" --root "$sim" $c
done
expect 0 "detach 0000:01:10.0" "--root with --dry-run detach still plans" "$pt" --root "$sim" --dry-run detach 01:10.0

# detach-from --live of a running guest: --wait is checked, and a device the guest lacks is refused
expect 2 "--wait.*between 0 and 3600" "detach-from --wait out of range" "$pt" detach-from "$dom" $rng --live --wait=-1

# nothing on the host changed
[ "$(driver_of $rng)" = "$before_rng" ] && [ "$(driver_of 0000:00:02.0)" = "$before_disk" ] &&
  [ "$(driver_of 0000:00:03.0)" = "$before_net" ] && ok "all real devices on their drivers as before" || bad "a driver changed"

echo
echo "device_ops: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
