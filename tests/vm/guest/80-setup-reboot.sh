# bound: 420
# ptagent setup across real reboots of the nested host. Boot 1: setup modules, setup bind 01:00.0
# --by-address, setup bind of the 05:01.0 + 05:02.0 group --by-id (and the refusals, which change
# nothing); then the host reboots. Boot 2 boots the way a Debian host does: systemd-modules-load
# (/etc/modules-load.d), then systemd-udevd and a coldplug trigger, with kmod reading
# /etc/modprobe.d; a kernel-uevent monitor started before the first module load records every
# driver bind, which shows the host drivers never bound those devices. setup revert; reboot.
# Boot 3: the same boot, and everything is back on its host driver.
#
# The nested host's /etc is an overlay whose upper directory is on the data disk (/dev/sda),
# which keeps it across the reboots. This machine's / has no initramfs tool (the bench boots its
# own initramfs, tests/vm/lib/prepare.sh): ptagent says so, and vfio-pci with its ids= acts when
# modules-load.d loads it from the root filesystem. No udevd runs in boot 1 (00-setup loads the
# drivers by modalias), so setup's 'udevadm control --reload' fails there: a warning, not a
# rollback; udevd reads the rules when it starts.
T=80-setup-reboot
boot=${PTVM_BOOT:-1}

# The persisted /etc, on the data disk.
persist_etc() {
  if ! mountpoint -q /mnt/data; then
    modprobe -a -q ahci sd_mod ext4
    wait_for 30 test -b /dev/sda
    mkdir -p /mnt/data
    mount -t ext4 /dev/sda /mnt/data || return 1
  fi
  mkdir -p /mnt/data/etc/up /mnt/data/etc/work
  mount -t overlay overlay -o lowerdir=/etc,upperdir=/mnt/data/etc/up,workdir=/mnt/data/etc/work /etc
}

# Boot the host as systemd would: modules-load.d first, then udev coldplug; every PCI driver
# bind from then on is in /tmp/binds ("ADDRESS DRIVER" per line).
boot_like_a_host() {
  udevadm monitor --kernel --property --subsystem-match=pci >/tmp/uevents 2>&1 &
  local mon=$!
  sleep 1
  /lib/systemd/systemd-modules-load
  info "$T: boot $boot: systemd-modules-load rc $?"
  /lib/systemd/systemd-udevd --daemon --resolve-names=never
  udevadm trigger --type=subsystems --action=add
  udevadm trigger --type=devices --action=add
  udevadm settle --timeout=180
  info "$T: boot $boot: udevadm settle rc $?"
  # Asynchronous probes (e1000e, snd_hda_intel under TCG) after settle.
  sleep 5
  kill $mon 2>/dev/null
  wait $mon 2>/dev/null
  awk -F= '/^ACTION=/{a=$2} /^DEVPATH=/{n=split($2,p,"/"); d=p[n]} /^DRIVER=/{v=$2}
           /^$/{if (a=="bind") print d, v; a=""; d=""; v=""}' /tmp/uevents >/tmp/binds
  info "$T: boot $boot: binds: $(tr '\n' ';' </tmp/binds)"
}
# binds_of ADDR: the drivers that bound ADDR since the boot began, in order.
binds_of() { awk -v a="$1" '$1 == a {printf "%s%s", s, $2; s=" "}' /tmp/binds; }
# upper_files: what this run changed in the persisted /etc (files and whiteouts).
upper_files() { (cd /mnt/data/etc/up && find . \( -type f -o -type c -o -type l \) | sort | tr '\n' ' '); }

case $boot in
1)
  persist_etc && pass "$T: /etc on the data disk (overlay upper /mnt/data/etc/up)" || { fail "$T: /etc overlay" "mount failed"; exit 1; }
  before=$(upper_files)
  # Refusals first: each names the device, and nothing is written.
  expect "$T: setup bind of the route NIC 07:00.0 refused (host-critical)" 1 $PT setup bind 0000:07:00.0 &&
    { echo "$OUT" | grep -q "0000:07:00.0" && pass "$T:   naming 0000:07:00.0" || fail "$T: route NIC refusal wording" "$OUT"; }
  expect "$T: setup bind 03:00.0 03:00.1 --by-id refused: 00:01.0 has the GPU's IDs" 1 $PT setup bind 0000:03:00.0 0000:03:00.1 --by-id &&
    { echo "$OUT" | grep -q "0000:00:01.0" && pass "$T:   naming 0000:00:01.0" || fail "$T: shared-ID refusal wording" "$OUT"; }
  expect "$T: setup bind 05:01.0 alone refused (its group holds 05:02.0)" 1 $PT setup bind 0000:05:01.0 --by-id
  [ "$(upper_files)" = "$before" ] && pass "$T: the refusals wrote nothing to /etc" || fail "$T: refusals wrote" "$(upper_files)"
  # The changes, each shown first.
  expect "$T: setup bind 01:00.0 --by-address --dry-run" 0 $PT --dry-run setup bind 0000:01:00.0 --by-address &&
    { echo "$OUT" | grep -q '^+ACTION=="add"' && pass "$T:   shows the udev rule as a diff" || fail "$T: dry-run diff" "$OUT"; }
  [ "$(upper_files)" = "$before" ] && pass "$T: the dry run wrote nothing" || fail "$T: dry run wrote" "$(upper_files)"
  expect "$T: setup modules" 0 $PT setup modules
  expect "$T: setup bind 01:00.0 --by-address" 0 $PT setup bind 0000:01:00.0 --by-address &&
    { echo "$OUT" | grep -q "^warning: udevadm control --reload" && pass "$T:   no udevd: the reload is a warning" || fail "$T: udevadm warning" "$OUT"; }
  expect "$T: setup bind 05:01.0 05:02.0 --by-id" 0 $PT setup bind 0000:05:01.0 0000:05:02.0 --by-id
  info "$T: setup bind --by-id said: $(echo "$OUT" | tr '\n' ' ')"
  expect "$T: a second setup bind changes nothing" 0 $PT setup bind 0000:05:01.0 0000:05:02.0 --by-id &&
    { echo "$OUT" | grep -q "^wrote" && fail "$T: idempotence" "$OUT" || pass "$T:   (nothing written)"; }
  info "$T: persisted: $(upper_files)"
  info "$T: modprobe.d: $(tr '\n' ';' </etc/modprobe.d/ptagent.conf 2>/dev/null)"
  expect "$T: setup status" 0 $PT setup status
  echo "$OUT" | grep -q "not active until reboot" && pass "$T:   says configured, not active until reboot" || fail "$T: status before reboot" "$OUT"
  b="$(driver_of 0000:01:00.0) $(driver_of 0000:05:01.0) $(driver_of 0000:05:02.0)"
  [ "$b" = "e1000e e1000 snd_hda_intel" ] && pass "$T: nothing rebound now ($b)" || fail "$T: drivers now" "$b"
  echo $T >"$R/reboot"
  ;;
2)
  persist_etc || { fail "$T: boot 2: /etc overlay" "mount failed"; exit 1; }
  boot_like_a_host
  for a in 0000:01:00.0 0000:05:01.0 0000:05:02.0; do
    [ "$(binds_of $a)" = vfio-pci ] && pass "$T: boot 2: $a bound to vfio-pci from boot, no other driver before" ||
      fail "$T: boot 2: $a" "binds since boot: '$(binds_of $a)', driver now $(driver_of $a)"
  done
  for m in e1000e e1000 snd_hda_intel; do
    grep -q "^$m " /proc/modules && pass "$T: boot 2: host driver $m is loaded (and did not take them)" || fail "$T: boot 2: $m" "not loaded"
  done
  [ "$(binds_of 0000:03:00.1)" = snd_hda_intel ] && pass "$T: boot 2: 03:00.1 (another HDA, other IDs) on snd_hda_intel" ||
    fail "$T: boot 2: 03:00.1" "binds '$(binds_of 0000:03:00.1)'"
  [ "$(driver_of 0000:02:00.0)" = nvme ] && pass "$T: boot 2: 02:00.0 on nvme" || fail "$T: boot 2: nvme" "$(driver_of 0000:02:00.0)"
  expect "$T: boot 2: setup status" 0 $PT setup status
  echo "$OUT" | grep -q "until reboot" && fail "$T: boot 2: status still pending" "$OUT" || pass "$T: boot 2:   nothing pending"
  echo "$OUT" | grep -q "^bind:0000:01:00.0: .*: active" && pass "$T: boot 2:   01:00.0 active" || fail "$T: boot 2: status of 01:00.0" "$OUT"
  expect "$T: boot 2: setup revert" 0 $PT setup revert
  info "$T: boot 2: left in /etc after revert: $(upper_files)"
  for f in /etc/modprobe.d/ptagent.conf /etc/udev/rules.d/ptagent-vfio.rules /etc/modules-load.d/ptagent.conf; do
    [ -e $f ] && fail "$T: boot 2: revert left $f" "$(cat $f)" || pass "$T: boot 2: revert removed $f"
  done
  echo $T >"$R/reboot"
  ;;
3)
  persist_etc || { fail "$T: boot 3: /etc overlay" "mount failed"; exit 1; }
  boot_like_a_host
  b="$(driver_of 0000:01:00.0) $(driver_of 0000:05:01.0) $(driver_of 0000:05:02.0)"
  [ "$b" = "e1000e e1000 snd_hda_intel" ] && pass "$T: boot 3: back on their host drivers ($b)" || fail "$T: boot 3: drivers" "$b"
  grep -q vfio-pci /tmp/binds && fail "$T: boot 3: vfio-pci bound" "$(grep vfio-pci /tmp/binds)" || pass "$T: boot 3: vfio-pci bound nothing"
  expect "$T: boot 3: setup status" 0 $PT setup status
  info "$T: boot 3: status: $(echo "$OUT" | tr '\n' ' ')"
  echo "$OUT" | grep -qE "^(modules|bind)" && fail "$T: boot 3: status still lists" "$OUT" || pass "$T: boot 3:   nothing of ptagent's persisted"
  [ -z "$(upper_files | sed 's#\./ptagent/[^ ]* ##g')" ] && pass "$T: boot 3: /etc as before setup (only ptagent's own state dir touched)" ||
    fail "$T: boot 3: /etc differs" "$(upper_files)"
  ;;
esac
