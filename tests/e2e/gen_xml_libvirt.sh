#!/usr/bin/env bash
# End-to-end: every form of `ptagent gen-xml` output goes through a real libvirtd unchanged.
# For each snippet: virsh attach-device --config on a shut-off QEMU domain, then
# virsh dumpxml --inactive must hold the same <hostdev> (source address and every attribute and
# element ptagent wrote), virt-xml-validate must accept the whole domain, and
# virsh detach-device --config must remove it again.
#
# Run as root: tests/e2e/gen_xml_libvirt.sh [PATH/TO/ptagent]
# (default: $PTAGENT, else the newest build*/ptagent of this tree). Prints "N passed, M failed".
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/lib/libvirtd.sh"

ptagent=${1:-${PTAGENT:-}}
if [ -z "$ptagent" ]; then
  ptagent=$(ls -t "$repo"/build*/ptagent 2>/dev/null | head -n 1)
fi
if [ -z "$ptagent" ] || [ ! -x "$ptagent" ]; then
  echo "gen_xml_libvirt: no ptagent binary (build it, or pass its path / set PTAGENT)" >&2
  exit 1
fi
for tool in virsh virt-xml-validate python3; do
  command -v "$tool" >/dev/null || { echo "gen_xml_libvirt: $tool is missing (contrib/install-deps.sh)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "gen_xml_libvirt: run as root" >&2; exit 1; }

# A real node device of this host for the --from-nodedev round trip. Never 00:02.0/00:03.0 (this
# machine's disk and NIC); 00:05.0 is the virtio RNG. --config attach does not touch the device.
REAL_NODEDEV=${REAL_NODEDEV:-pci_0000_00_05_0}

passed=0
failed=0
work=$(mktemp -d /tmp/ptagent-e2e-genxml.XXXXXX)
dom="ptagent-e2e-genxml-$$"
dom_boot="ptagent-e2e-genxml-boot-$$"
uri=$LIBVIRT_E2E_URI

cleanup() {
  undefine_test_domain "$dom"
  undefine_test_domain "$dom_boot"
  libvirt_stop
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() {
  passed=$((passed + 1))
  echo "ok   - $*"
}
not_ok() {
  failed=$((failed + 1))
  echo "FAIL - $*"
}

# Splits the hostdev elements of a snippet file into FILE.1, FILE.2, ...; prints their count.
split_hostdevs() {
  python3 - "$1" <<'EOF'
import sys, xml.dom.minidom as md
path = sys.argv[1]
text = open(path).read()
# Several hostdevs are printed one after another: wrap them to parse.
doc = md.parseString("<snippets>" + text + "</snippets>")
n = 0
for node in doc.documentElement.childNodes:
    if node.nodeType == node.ELEMENT_NODE and node.tagName == "hostdev":
        n += 1
        with open(f"{path}.{n}", "w") as f:
            f.write(node.toxml() + "\n")
print(n)
EOF
}

# Checks that the domain XML (file $2) holds a <hostdev> equal to the generated one (file $1) in
# everything the generated one says: same source address, same attributes, same child elements
# with the same attributes. libvirt may add things (a guest address, managed='no' on mdev).
# Prints what differs; exit status 0 when it matches.
compare_hostdev() {
  python3 - "$1" "$2" <<'EOF'
import sys, xml.dom.minidom as md

def elements(node):
    return [c for c in node.childNodes if c.nodeType == c.ELEMENT_NODE]

def attrs(node):
    return {k: v for k, v in node.attributes.items()}

def source_address(h):
    for s in elements(h):
        if s.tagName == "source":
            for a in elements(s):
                if a.tagName == "address":
                    return attrs(a)
    return None

def contained(gen, got, path):
    problems = []
    ga, da = attrs(gen), attrs(got)
    for k, v in ga.items():
        if da.get(k) != v:
            problems.append(f"{path}/@{k}: generated '{v}', libvirt has '{da.get(k)}'")
    used = set()
    for child in elements(gen):
        cands = [i for i, d in enumerate(elements(got)) if d.tagName == child.tagName and i not in used]
        best = None
        for i in cands:
            if not contained(child, elements(got)[i], path + "/" + child.tagName):
                best = i
                break
        if best is None:
            if cands:
                problems += contained(child, elements(got)[cands[0]], path + "/" + child.tagName)
            else:
                problems.append(f"{path}/{child.tagName}: missing in libvirt's XML")
        else:
            used.add(best)
    return problems

gen = md.parse(sys.argv[1]).documentElement
domain = md.parse(sys.argv[2]).documentElement
want = source_address(gen)
devices = [d for d in elements(domain) if d.tagName == "devices"][0]
matches = [h for h in elements(devices) if h.tagName == "hostdev" and source_address(h) == want]
if not matches:
    have = [source_address(h) for h in elements(devices) if h.tagName == "hostdev"]
    print(f"no <hostdev> with source address {want} in the domain (it has {have})")
    sys.exit(1)
problems = contained(gen, matches[0], "hostdev")
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
EOF
}

hostdev_count() {
  virsh -q -c "$uri" dumpxml --inactive "$1" | grep -c '<hostdev ' || true
}

# round_trip NAME DOMAIN FILE: attach every hostdev of FILE, compare, validate, detach.
round_trip() {
  local name=$1 domain=$2 file=$3 n i out before
  before=$(hostdev_count "$domain")
  n=$(split_hostdevs "$file") || { not_ok "$name: generated XML does not parse"; return; }
  if [ "$n" -lt 1 ]; then
    not_ok "$name: no <hostdev> in the generated XML"
    return
  fi
  for i in $(seq 1 "$n"); do
    if out=$(virsh -q -c "$uri" attach-device "$domain" "$file.$i" --config 2>&1); then
      ok "$name: virsh attach-device --config accepts hostdev $i/$n"
    else
      not_ok "$name: virsh attach-device --config refused hostdev $i/$n: $out"
      sed 's/^/      /' "$file.$i"
    fi
  done
  virsh -q -c "$uri" dumpxml --inactive "$domain" >"$work/dumped.xml"
  for i in $(seq 1 "$n"); do
    if out=$(compare_hostdev "$file.$i" "$work/dumped.xml"); then
      ok "$name: dumpxml --inactive shows hostdev $i/$n unchanged ($(grep -o "<address [^>]*" "$file.$i" | head -n 1 | sed 's/<address //'))"
    else
      not_ok "$name: hostdev $i/$n differs after the round trip: $out"
    fi
  done
  if out=$(virt-xml-validate "$work/dumped.xml" domain 2>&1); then
    ok "$name: virt-xml-validate accepts the domain"
  else
    not_ok "$name: virt-xml-validate: $out"
  fi
  for i in $(seq "$n" -1 1); do
    if ! out=$(virsh -q -c "$uri" detach-device "$domain" "$file.$i" --config 2>&1); then
      not_ok "$name: virsh detach-device --config hostdev $i/$n: $out"
    fi
  done
  if [ "$(hostdev_count "$domain")" -eq "$before" ]; then
    ok "$name: detached again"
  else
    not_ok "$name: the domain still holds $(hostdev_count "$domain") hostdevs (had $before)"
  fi
}

# generate NAME ARGS...: runs ptagent gen-xml into $work/NAME.xml; checks that it validated.
generate() {
  local name=$1
  shift
  if ! "$ptagent" gen-xml "$@" >"$work/$name.xml" 2>"$work/$name.err"; then
    not_ok "$name: ptagent gen-xml $* failed: $(cat "$work/$name.err")"
    return 1
  fi
  if grep -q 'without validation' "$work/$name.err"; then
    not_ok "$name: ptagent could not validate: $(cat "$work/$name.err")"
    return 1
  fi
  return 0
}

libvirt_start || { echo "gen_xml_libvirt: cannot start libvirtd"; exit 1; }
echo "# libvirt $(virsh -q -c "$uri" version 2>/dev/null | sed -n 's/.*libvirt \([0-9.]*\).*/\1/p' | head -n 1), $("$ptagent" --version)"
define_test_domain "$dom" q35 || { echo "gen_xml_libvirt: cannot define $dom"; exit 1; }
# Per-device boot order needs a domain without <os><boot dev=…/>: give it an empty CD-ROM with one.
define_test_domain "$dom_boot" q35 "    <disk type='file' device='cdrom'><target dev='sda' bus='sata'/><readonly/><boot order='2'/></disk>" ||
  { echo "gen_xml_libvirt: cannot define $dom_boot"; exit 1; }

uuid=4b20d080-1b54-4048-85b3-a6a62d165c01
dom_uuid=$(virsh -q -c "$uri" domuuid "$dom")

# name | domain | ptagent gen-xml arguments
cases=(
  "plain|$dom|0000:ff:17.6"
  "managed-no|$dom|ff:17.6 --managed no --driver vfio"
  "rom-bar-off|$dom|pci_0000_ff_17_6 --rom-bar off"
  "rom-file|$dom|/sys/bus/pci/devices/0000:ff:17.6 --rom-bar on --rom-file /usr/share/ptagent/test-vbios.rom"
  "boot-order|$dom_boot|ff:17.6 --boot-order 1"
  "alias|$dom|ff:17.6 --alias ua-gpu"
  "decimal-fields|$dom|--domain 0 --bus 254 --slot 31 --function 7"
  "multifunction|$dom|ff:17 --functions 0,1 --guest-address 00:05 --alias ua-gpu"
  "multifunction-root-port|$dom|fe:00.0 fe:00.1 --guest-address 0a:00"
  "mdev|$dom|--mdev --parent 0000:00:02.0 --type i915-GVTg_V5_4 --uuid $uuid --display on --ramfb on"
  "mdev-derived|$dom|--mdev --parent 0000:00:02.0 --type i915-GVTg_V5_8 --domain-uuid $dom_uuid --index 0"
)

for c in "${cases[@]}"; do
  IFS='|' read -r name domain args <<<"$c"
  # shellcheck disable=SC2086  # the arguments are words on purpose
  generate "$name" $args || continue
  round_trip "$name" "$domain" "$work/$name.xml"
done

# A real node device of this host, piped from virsh as the issue shows.
if virsh -q -c "$uri" nodedev-dumpxml "$REAL_NODEDEV" >"$work/nodedev.xml" 2>"$work/nodedev.err"; then
  if "$ptagent" gen-xml --from-nodedev - <"$work/nodedev.xml" >"$work/from-nodedev.xml" 2>"$work/from-nodedev.err" &&
    ! grep -q 'without validation' "$work/from-nodedev.err"; then
    ok "from-nodedev: virsh nodedev-dumpxml $REAL_NODEDEV | ptagent gen-xml --from-nodedev -"
    want=$(echo "$REAL_NODEDEV" | sed -E 's/^pci_([0-9a-f]{4})_([0-9a-f]{2})_([0-9a-f]{2})_([0-7])$/0x\1 0x\2 0x\3 0x\4/')
    got=$(grep -o "<address domain='[^']*' bus='[^']*' slot='[^']*' function='[^']*'" "$work/from-nodedev.xml" |
      sed -E "s/.*domain='([^']*)' bus='([^']*)' slot='([^']*)' function='([^']*)'/\1 \2 \3 \4/")
    if [ "$got" = "$want" ]; then ok "from-nodedev: decimal fields became $got"; else not_ok "from-nodedev: expected $want, got $got"; fi
    round_trip "from-nodedev" "$dom" "$work/from-nodedev.xml"
  else
    not_ok "from-nodedev: ptagent failed: $(cat "$work/from-nodedev.err")"
  fi
else
  not_ok "from-nodedev: virsh nodedev-dumpxml $REAL_NODEDEV: $(cat "$work/nodedev.err")"
fi

# The metadata element, both ways it reaches a domain:
#  1. pasted into <metadata> of the domain XML as printed (virsh edit / define): kept verbatim;
#  2. through `virsh metadata --set`, which (libvirt 9.0) wants the element without its namespace
#     declaration ("failed to create a new XML namespace" otherwise) and adds it from --key.
metadata_attrs="uuid=\"$uuid\" parent=\"0000:00:02.0\" type=\"i915-GVTg_V5_4\""
if generate metadata --mdev --parent 0000:00:02.0 --type i915-GVTg_V5_4 --uuid "$uuid" --metadata; then
  sed -n '/<ptagent:passthrough/,$p' "$work/metadata.xml" >"$work/metadata-element.xml"
  virsh -q -c "$uri" dumpxml --inactive "$dom" >"$work/before-metadata.xml"
  python3 - "$work/before-metadata.xml" "$work/metadata-element.xml" "$work/with-metadata.xml" <<'EOF2'
import sys
domain, element, out = (open(sys.argv[1]).read(), open(sys.argv[2]).read(), sys.argv[3])
pos = domain.index("<devices>")
open(out, "w").write(domain[:pos] + "<metadata>\n" + element + "</metadata>\n  " + domain[pos:])
EOF2
  if out=$(virsh -q -c "$uri" define "$work/with-metadata.xml" 2>&1); then
    ok "metadata: virsh define accepts a domain with the element as ptagent prints it"
    virsh -q -c "$uri" dumpxml --inactive "$dom" >"$work/dumped.xml"
    if grep -q "<ptagent:mdev $metadata_attrs/>" "$work/dumped.xml"; then
      ok "metadata: dumpxml --inactive shows it unchanged"
    else
      not_ok "metadata: dumpxml --inactive lost it: $(sed -n '/<metadata>/,/<\/metadata>/p' "$work/dumped.xml")"
    fi
    if out=$(virt-xml-validate "$work/dumped.xml" domain 2>&1); then
      ok "metadata: virt-xml-validate accepts the domain with it"
    else
      not_ok "metadata: virt-xml-validate: $out"
    fi
  else
    not_ok "metadata: virsh define refused it: $out"
  fi
  virsh -q -c "$uri" metadata "$dom" urn:x-ptagent:passthrough:1 --config --remove >/dev/null 2>&1
  sed -e 's/ xmlns:ptagent="[^"]*"//' -e 's/ptagent://g' "$work/metadata-element.xml" >"$work/metadata-api.xml"
  if out=$(virsh -q -c "$uri" metadata "$dom" urn:x-ptagent:passthrough:1 --key ptagent --config \
    --set "$(cat "$work/metadata-api.xml")" 2>&1); then
    ok "metadata: virsh metadata --set accepts it without the namespace declaration"
    virsh -q -c "$uri" dumpxml --inactive "$dom" >"$work/dumped.xml"
    if grep -q "<ptagent:passthrough xmlns:ptagent=\"urn:x-ptagent:passthrough:1\">" "$work/dumped.xml" &&
      grep -q "<ptagent:mdev $metadata_attrs/>" "$work/dumped.xml"; then
      ok "metadata: libvirt stores it under the ptagent prefix, as ptagent prints it"
    else
      not_ok "metadata: stored as $(sed -n '/<metadata>/,/<\/metadata>/p' "$work/dumped.xml")"
    fi
    virsh -q -c "$uri" metadata "$dom" urn:x-ptagent:passthrough:1 --config --remove >/dev/null 2>&1
  else
    not_ok "metadata: virsh metadata --set refused it: $out"
  fi
fi

# A non-ua- alias is silently dropped by libvirt: ptagent refuses it instead (exit 2).
if "$ptagent" gen-xml ff:17.6 --alias gpu >/dev/null 2>"$work/alias.err"; then
  not_ok "alias: ptagent accepted --alias gpu"
else
  rc=$?
  if [ "$rc" -eq 2 ]; then ok "alias: --alias gpu refused with exit 2: $(head -n 1 "$work/alias.err")"; else not_ok "alias: exit $rc"; fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
