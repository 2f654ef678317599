#!/usr/bin/python3
"""Writes the inputs of tests/bench/run.sh into OUTDIR (standard library only, deterministic).

  plain.xml          a plain guest: 2 disks, 2 NICs, no host devices (the hook's do-nothing path)
  cycle.xml          2 mdevs on the workstation iGPU + its unmanaged GPU and HDMI audio, with the
                     ptagent metadata that makes the hook create and bind them
  big.xml            ~1 MiB: thousands of disks and NICs, then one managed <hostdev> (00:17.0, a
                     SATA controller alone in its group: the checks pass, nothing is changed)
  big-refused.xml    the same size with the <hostdev> 01:00.0 last: refused because 01:00.1
                     shares its group; proves the hook parses the document to its end
  gen-xml-hex.txt    256 VF addresses of the large host, one per line (DDDD:BB:SS.F)
  gen-xml-dec.txt    the same as decimal "domain bus slot function", as virsh nodedev-dumpxml shows
"""
import os
import sys

UUID = "6f1c2a8e-5d4b-4e9a-9c3f-2b7d1e0a4c11"
MDEV_A = "4b20d080-1b54-4048-85b3-a6a62d165c21"
MDEV_B = "4b20d080-1b54-4048-85b3-a6a62d165c22"


def domain(name, devices, metadata=""):
    meta = f"  <metadata>\n{metadata}  </metadata>\n" if metadata else ""
    return f"""<domain type='kvm' id='7'>
  <name>{name}</name>
  <uuid>{UUID}</uuid>
{meta}  <memory unit='KiB'>4194304</memory>
  <currentMemory unit='KiB'>4194304</currentMemory>
  <vcpu placement='static'>4</vcpu>
  <os>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features><acpi/><apic/><vmport state='off'/></features>
  <cpu mode='host-passthrough' check='none' migratable='on'/>
  <clock offset='utc'>
    <timer name='rtc' tickpolicy='catchup'/>
    <timer name='pit' tickpolicy='delay'/>
    <timer name='hpet' present='no'/>
  </clock>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
{devices}    <controller type='usb' index='0' model='qemu-xhci' ports='15'/>
    <controller type='pci' index='0' model='pcie-root'/>
    <serial type='pty'><target type='isa-serial' port='0'><model name='isa-serial'/></target></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <input type='tablet' bus='usb'/>
    <graphics type='spice' autoport='yes'><listen type='address'/></graphics>
    <video><model type='virtio' heads='1' primary='yes'/></video>
    <memballoon model='virtio'/>
    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
  </devices>
</domain>
"""


def disk(i):
    dev = "vd" + "".join(chr(ord("a") + d) for d in digits26(i))
    return f"""    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' discard='unmap'/>
      <source file='/var/lib/libvirt/images/guest-{i}.qcow2'/>
      <target dev='{dev}' bus='virtio'/>
    </disk>
"""


def nic(i):
    mac = f"52:54:00:{(i >> 16) & 255:02x}:{(i >> 8) & 255:02x}:{i & 255:02x}"
    return f"""    <interface type='network'>
      <mac address='{mac}'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
"""


def digits26(i):
    out = [i % 26]
    i //= 26
    while i:
        i -= 1
        out.append(i % 26)
        i //= 26
    return reversed(out)


def pci_hostdev(bus, slot, fn, managed):
    return f"""    <hostdev mode='subsystem' type='pci' managed='{managed}'>
      <source>
        <address domain='0x0000' bus='0x{bus:02x}' slot='0x{slot:02x}' function='0x{fn:x}'/>
      </source>
    </hostdev>
"""


def mdev_hostdev(uuid):
    return f"""    <hostdev mode='subsystem' type='mdev' managed='no' model='vfio-pci' display='off'>
      <source>
        <address uuid='{uuid}'/>
      </source>
    </hostdev>
"""


def big(hostdev, size=1 << 20):
    body = ""
    i = 0
    while len(body) < size - 4096:
        body += disk(i) + nic(i)
        i += 1
    return domain("bench-big", body + hostdev)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    files = {}
    files["plain.xml"] = domain("bench-plain", disk(0) + disk(1) + nic(0) + nic(1))
    meta = f"""    <ptagent:passthrough xmlns:ptagent="urn:x-ptagent:passthrough:1">
      <ptagent:mdev uuid="{MDEV_A}" parent="0000:00:02.0" type="i915-GVTg_V5_4"/>
      <ptagent:mdev uuid="{MDEV_B}" parent="0000:00:02.0" type="i915-GVTg_V5_8"/>
      <ptagent:pci address="0000:01:00.0" bind="vfio-pci"/>
      <ptagent:pci address="0000:01:00.1" bind="vfio-pci"/>
    </ptagent:passthrough>
"""
    devices = (disk(0) + nic(0) + mdev_hostdev(MDEV_A) + mdev_hostdev(MDEV_B) +
               pci_hostdev(1, 0, 0, "no") + pci_hostdev(1, 0, 1, "no"))
    files["cycle.xml"] = domain("bench-cycle", devices, meta)
    files["big.xml"] = big(pci_hostdev(0, 0x17, 0, "yes"))
    files["big-refused.xml"] = big(pci_hostdev(1, 0, 0, "yes"))
    hexes, decs = [], []
    for bus in (1, 2):
        for devfn in range(1, 129):
            slot, fn = devfn >> 3, devfn & 7
            hexes.append(f"0000:{bus:02x}:{slot:02x}.{fn}")
            decs.append(f"0 {bus} {slot} {fn}")
    files["gen-xml-hex.txt"] = "\n".join(hexes) + "\n"
    files["gen-xml-dec.txt"] = "\n".join(decs) + "\n"
    for name, text in files.items():
        with open(os.path.join(out, name), "w", encoding="ascii") as f:
            f.write(text)
    print(MDEV_A, MDEV_B)


if __name__ == "__main__":
    main()
