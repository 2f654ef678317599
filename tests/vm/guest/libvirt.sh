# shellcheck shell=bash
# libvirtd inside the nested host (sourced by the libvirt scenarios): root QEMU, started once.
lv_start() {
  if virsh -q version >/dev/null 2>&1; then return 0; fi
  grep -q '^user = "root"' /etc/libvirt/qemu.conf 2>/dev/null || printf 'user = "root"\ngroup = "root"\n' >>/etc/libvirt/qemu.conf
  mkdir -p /var/log/libvirt /var/run/libvirt /var/lib/libvirt/qemu
  pgrep -x virtlogd >/dev/null || virtlogd -d
  libvirtd -d
  wait_for 200 virsh -q version
}
lv_restart() {
  local p
  p=$(cat /run/libvirtd.pid 2>/dev/null)
  [ -n "$p" ] && kill "$p" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
  libvirtd -d
  wait_for 120 virsh -q version
}
# lv_define NAME DEVICES-XML [METADATA-XML]: a 64 MiB domain without disk or OS.
lv_define() {
  cat >/tmp/"$1".xml <<XML
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  ${3:+<metadata>$3</metadata>}
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <video><model type='none'/></video>
    <memballoon model='none'/>
    $2
  </devices>
</domain>
XML
  virsh -q define /tmp/"$1".xml >/dev/null
}
# hostdev_sources DOMAIN [--inactive]: the PCI source addresses of the domain's <hostdev>s, one per line.
hostdev_sources() {
  virsh dumpxml "$@" | python3 -c '
import sys, xml.etree.ElementTree as ET
for a in ET.parse(sys.stdin).getroot().findall("./devices/hostdev/source/address"):
    if a.get("bus") is not None:
        print("%04x:%02x:%02x.%x" % tuple(int(a.get(k), 16) for k in ("domain", "bus", "slot", "function")))'
}
