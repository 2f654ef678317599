# bound: 150
# The nested host as a host administrator would have it: drivers loaded (there is no udevd: modprobe
# by modalias), the default route on the virtio NIC, the data disk mounted, vfio and mdev ready.
# Also records facts of the real kernel that later work needs (INFO lines).
aliases=()
for d in /sys/bus/pci/devices/*; do read -r a <"$d/modalias" && aliases+=("$a"); done
timeout 120 modprobe -a -q "${aliases[@]}" usbhid hid_generic ext4 sd_mod kvm_amd 2>/dev/null
# The virtio bus under the virtio-pci functions (the NIC's virtio_net) has its own aliases.
aliases=()
for d in /sys/bus/virtio/devices/*; do read -r a <"$d/modalias" && aliases+=("$a"); done
timeout 60 modprobe -a -q "${aliases[@]}" 2>/dev/null
echo "setup: $SECONDS s modprobe done"
# Let the drivers finish probing (nvme, e1000e, snd_hda_intel are asynchronous under TCG).
wait_for 30 test -e "$(sysdev 0000:07:00.0)/driver"
wait_for 30 test -e "$(sysdev 0000:02:00.0)/driver"

# The USB keyboard behind the xhci (06:00.0): usbhid + hid_generic make it an input device.
kbd=0
for _ in $(seq 50); do
  for i in /sys/class/input/input*; do
    case $(readlink -f "$i") in */0000:06:00.0/*) kbd=1 ;; esac
  done
  [ $kbd = 1 ] && break
  sleep 0.2
done
[ $kbd = 1 ] && pass "setup: the USB keyboard behind 06:00.0 is an input device" || fail "setup: usb-kbd" "no /sys/class/input entry under 0000:06:00.0"

# The NIC of the default route: the virtio-net at 07:00.0.
ifc=$(ls "$(sysdev 0000:07:00.0)"/virtio*/net 2>/dev/null | head -1)
if [ -n "$ifc" ]; then
  ip link set "$ifc" up && ip addr add 10.0.2.15/24 dev "$ifc" && ip route add default via 10.0.2.2 dev "$ifc"
fi
ip route show default | grep -q . && pass "setup: default route on 07:00.0 ($ifc)" || fail "setup: default route" "no interface under 07:00.0"

# The disk holding a mounted filesystem: the SATA disk on the ICH9 AHCI (00:1f.2).
mkdir -p /mnt/data
wait_for 30 test -b /dev/sda
if mount -t ext4 /dev/sda /mnt/data; then pass "setup: /dev/sda (00:1f.2) mounted on /mnt/data"; else fail "setup: mount the data disk" "mount /dev/sda failed"; fi

modprobe vfio-pci && test -c /dev/vfio/vfio && pass "setup: vfio-pci loaded, /dev/vfio/vfio" || fail "setup: vfio-pci" "modprobe vfio-pci or /dev/vfio/vfio missing"
modprobe mdev && insmod "$PTVM_MTTY" && wait_for 10 test -d /sys/class/mdev_bus/mtty &&
  pass "setup: mtty.ko loaded, /sys/class/mdev_bus/mtty" || fail "setup: mtty" "modprobe mdev / insmod $PTVM_MTTY failed"

info "kernel $(uname -r); IOMMU $(ls /sys/class/iommu | tr '\n' ' '); $(ls /sys/kernel/iommu_groups | wc -l) IOMMU groups"
info "/dev/iommu $(test -e /dev/iommu && echo exists || echo 'does not exist') on $(uname -r) (iommufd $(grep -q '^iommufd ' /proc/modules && echo loaded || (modinfo iommufd >/dev/null 2>&1 && echo 'available as a module' || echo 'not built')))"
grep ' vfio_pci$' "/lib/modules/$(uname -r)/modules.alias" | sed 's/^/INFO modules.alias: /' | while read -r l; do line "$l"; done
n=$(grep -c ' vfio_pci$' "/lib/modules/$(uname -r)/modules.alias")
info "modules.alias has $n vfio_pci entries"
# One line per function, without a process per file (every fork costs under TCG).
for d in /sys/bus/pci/devices/*; do
  read -r v <"$d/vendor"; read -r dv <"$d/device"; read -r c <"$d/class"
  rm_=; [ -e "$d/reset_method" ] && read -r rm_ <"$d/reset_method"
  echo "INFO device ${d##*/} $v:$dv class $c reset_method '$rm_'" >>"$R/lines"
done
