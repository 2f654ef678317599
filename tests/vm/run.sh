#!/usr/bin/env bash
# The real-kernel bench: boots a nested host (Debian 12's own 6.1 kernel, QEMU q35 + intel-iommu under
# TCG) whose root filesystem is this machine's / over virtio-9p (read-only, tmpfs overlay), runs the
# ptagent binaries of BUILD_DIR inside it against a real IOMMU, real vfio-pci, SR-IOV, mdev (mtty) and
# a real libvirtd, and prints one PASS/FAIL line per check and "N passed, M failed".
set -uo pipefail

VM_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$VM_DIR/../.." && pwd)
VM_CACHE=${PTAGENT_VM_CACHE:-/var/cache/ptagent-vm}
BUILD=$REPO/build
ONLY=
KEEP=0
SHELL_MODE=0
BOOT_TIMEOUT=${PTAGENT_VM_BOOT_TIMEOUT:-240}
RUN_TIMEOUT=${PTAGENT_VM_TIMEOUT:-1500}
MEM=2048

usage() {
  cat <<EOF
usage: tests/vm/run.sh [--build DIR] [--only PATTERN] [--keep] [--shell] [--cache DIR] [--timeout S]

Boots a nested host with a real IOMMU (Debian's 6.1 kernel under QEMU/TCG, q35 + intel-iommu) and runs
the checks of tests/vm/guest/NN-*.sh inside it with the ptagent binaries of the build directory.
Prints one "PASS name" / "FAIL name: why" line per check (and INFO lines with measured facts), then
"N passed, M failed". A scenario that needs the host rebooted (80-setup-reboot: ptagent setup, then
what the next boot shows) asks for it; the host is then booted again on the same disks and that
scenario goes on (up to 5 boots). Exits 0 when every check passed, 1 when one failed or the VM did not boot or
finish in time, 2 on bad usage.

  --build DIR     build directory holding ptagent and hooks/ptagent-hook (default: build/)
  --only PATTERN  run only the scenarios whose file name matches the shell glob *PATTERN*
                  (e.g. --only sriov, --only 'mdev'); 00-setup always runs
  --keep          keep the run's work directory (console log, results, disk images) and print it
  --shell         boot the nested host with its console on this terminal and a shell instead of the
                  checks (setup has run; the scenarios are in \$PTVM_DIR/guest; poweroff -f to leave)
  --cache DIR     the download/build cache (default: $VM_CACHE, or \$PTAGENT_VM_CACHE)
  --timeout S     bound on the whole guest run in seconds (default: $RUN_TIMEOUT); the boot itself
                  must reach the guest init within $BOOT_TIMEOUT s (\$PTAGENT_VM_BOOT_TIMEOUT)

The first run downloads linux-image/-headers/-kbuild/-source for the archive's 6.1 kernel (~225 MB),
builds mtty.ko and the initramfs, all under the cache directory (nothing goes into /boot or
/lib/modules); later runs reuse them, and the guest libvirtd's QEMU capabilities cache.
Needs root (QEMU reads all of / to serve it to the guest).
EOF
}

log() { echo "vm: $*" >&2; }
die() {
  echo "vm: error: $*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case $1 in
  -h | --help) usage; exit 0 ;;
  --build) BUILD=$(cd "${2:?--build needs a directory}" 2>/dev/null && pwd) || { echo "vm: --build $2: no such directory" >&2; exit 2; }; shift ;;
  --only) ONLY=${2:?--only needs a pattern}; shift ;;
  --keep) KEEP=1 ;;
  --shell) SHELL_MODE=1 ;;
  --cache) VM_CACHE=${2:?--cache needs a directory}; shift ;;
  --timeout) RUN_TIMEOUT=${2:?--timeout needs seconds}; shift ;;
  *) echo "vm: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case $RUN_TIMEOUT in '' | *[!0-9]*) echo "vm: --timeout $RUN_TIMEOUT: not a number of seconds" >&2; exit 2 ;; esac

[ "$(id -u)" -eq 0 ] || die "run as root: QEMU serves this machine's / to the nested host"
[ -x "$BUILD/ptagent" ] || die "$BUILD/ptagent is missing: build first (ninja -C $BUILD ptagent ptagent-hook)"
[ -x "$BUILD/hooks/ptagent-hook" ] || die "$BUILD/hooks/ptagent-hook is missing: build first (ninja -C $BUILD ptagent-hook)"

# shellcheck source=lib/prepare.sh
. "$VM_DIR/lib/prepare.sh"

t_start=$SECONDS
vm_prepare
t_prepared=$SECONDS
KDIR=$VM_CACHE/$VM_KVER

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ptagent-vm.XXXXXX")
QEMU_PID=
cleanup() {
  if [ -n "$QEMU_PID" ] || [ -f "$WORK/qemu.pid" ]; then
    local p
    p=$(cat "$WORK/qemu.pid" 2>/dev/null || echo "$QEMU_PID")
    if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
      kill "$p" 2>/dev/null
      for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
      kill -9 "$p" 2>/dev/null
    fi
  fi
  # Keep the libvirt capabilities the guest probed (or refreshed) for the next run.
  if [ -d "$WORK/share/libvirt-caps" ] && compgen -G "$WORK/share/libvirt-caps/*.xml" >/dev/null; then
    cp -a "$WORK/share/libvirt-caps/." "$VM_CACHE/libvirt-caps/" 2>/dev/null
  fi
  if [ "$KEEP" -eq 1 ]; then
    log "work directory kept: $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK/share/results" "$WORK/share/libvirt-caps"
cp -a "$VM_CACHE/libvirt-caps/." "$WORK/share/libvirt-caps/" 2>/dev/null
# The disk holding a mounted filesystem in the guest (SATA on the ICH9 AHCI), and the nvme namespace.
truncate -s 32M "$WORK/disk.img" && mkfs.ext4 -q -F -L ptvmdata "$WORK/disk.img" || die "mkfs.ext4 of the guest's data disk failed"
truncate -s 16M "$WORK/nvme.img"
echo "$KDIR/modules" >"$WORK/share/modules-dir"
{
  echo "PTVM_DIR=$VM_DIR"
  echo "PTVM_REPO=$REPO"
  echo "PTVM_BUILD=$BUILD"
  echo "PTVM_ONLY='$ONLY'"
  echo "PTVM_SHELL=$SHELL_MODE"
  echo "PTVM_KVER=$VM_KVER"
  echo "PTVM_MTTY=$KDIR/modules/$VM_KVER/extra/mtty.ko"
} >"$WORK/share/env"

# The layout (bus numbers as the nested host's firmware assigns them):
#   00:01.0 VGA (boot VGA)           00:02.0 -> 01:00.0 e1000e alone on a root port
#   00:03.0 -> 02:00.0 nvme, SR-IOV PF (VFs 02:00.1, 02:00.2)
#   00:04.0 -> 03:00.0 VGA + 03:00.1 HDA: the GPU + HDMI-audio shape, one multifunction slot
#   00:05.0 -> 04:00.0 pcie-pci-bridge -> 05:01.0 e1000 + 05:02.0 ICH6 HDA (one group with the bridge:
#            no ACS; the ICH6 HDA so that no other function shares its IDs, for setup bind --by-id)
#   00:06.0 -> 06:00.0 xhci with a usb-kbd      00:07.0 -> 07:00.0 virtio-net, the default route
#   00:08.0 virtio-9p (the guest's /)           00:09.0 virtio-9p (the results share)
#   00:1f.0 ICH9 LPC, 00:1f.2 AHCI (holds the mounted ext4), 00:1f.3 SMBus
qemu_args=(
  -name ptagent-vm -machine q35,kernel-irqchip=split -accel tcg,thread=multi -cpu max
  -m "$MEM" -smp 2 -no-reboot -pidfile "$WORK/qemu.pid"
  -device intel-iommu,intremap=on,caching-mode=on
  -kernel "$KDIR/vmlinuz" -initrd "$KDIR/initramfs.cpio.gz"
  -append "console=ttyS0 intel_iommu=on iommu=pt panic=-1 no_timer_check loglevel=4 ptvm.init=$VM_DIR/guest/init.sh ptvm.boot=1"
  -vga none -device VGA,bus=pcie.0,addr=0x1
  -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x2
  -netdev user,id=n1,restrict=on -device e1000e,bus=rp1,netdev=n1,mac=52:54:00:00:01:01
  -device pcie-root-port,id=rp2,bus=pcie.0,chassis=2,addr=0x3
  -drive if=none,id=nvd,file="$WORK/nvme.img",format=raw
  -device nvme-subsys,id=nvs0
  -device nvme,id=nvme0,bus=rp2,serial=ptvm0,subsys=nvs0,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2
  -device nvme-ns,drive=nvd,bus=nvme0,nsid=1
  -device pcie-root-port,id=rp3,bus=pcie.0,chassis=3,addr=0x4
  -device secondary-vga,bus=rp3,addr=0x0.0,multifunction=on
  -device ich9-intel-hda,bus=rp3,addr=0x0.1
  -device pcie-root-port,id=rp4,bus=pcie.0,chassis=4,addr=0x5
  -device pcie-pci-bridge,id=pb,bus=rp4
  -netdev user,id=n5,restrict=on -device e1000,bus=pb,addr=0x1,netdev=n5,mac=52:54:00:00:05:01
  -device intel-hda,bus=pb,addr=0x2
  -device pcie-root-port,id=rp5,bus=pcie.0,chassis=5,addr=0x6
  -device qemu-xhci,id=xhci,bus=rp5 -device usb-kbd,bus=xhci.0
  -device pcie-root-port,id=rp6,bus=pcie.0,chassis=6,addr=0x7
  -netdev user,id=n7,restrict=on -device virtio-net-pci,bus=rp6,netdev=n7,mac=52:54:00:00:07:01
  -fsdev local,id=rootfs,path=/,security_model=none,readonly=on,multidevs=remap
  -device virtio-9p-pci,fsdev=rootfs,mount_tag=root9p,bus=pcie.0,addr=0x8
  -fsdev local,id=sharefs,path="$WORK/share",security_model=none,multidevs=remap
  -device virtio-9p-pci,fsdev=sharefs,mount_tag=share9p,bus=pcie.0,addr=0x9
  -drive if=none,id=sata0,file="$WORK/disk.img",format=raw -device ide-hd,drive=sata0,bus=ide.0
)

if [ "$SHELL_MODE" -eq 1 ]; then
  log "booting the nested host with its console here (leave with: poweroff -f)"
  qemu-system-x86_64 "${qemu_args[@]}" -nographic -serial mon:stdio
  exit $?
fi

# One boot of the nested host: waits for the guest init to say it runs, then for it to finish,
# printing the result lines as they come. Sets booted/finished. A scenario that needs a reboot
# (ptagent setup: the state it promised after the next boot) leaves results/reboot behind; the
# host is then booted again, the same disks, ptvm.boot=N+1, and that scenario goes on.
seen=0
print_new() {
  local f=$WORK/share/results/lines n
  [ -f "$f" ] || return 0
  n=$(wc -l <"$f")
  if [ "$n" -gt "$seen" ]; then
    sed -n "$((seen + 1)),${n}p" "$f"
    seen=$n
  fi
}
console_tail() {
  echo "--- last lines of the nested host's console ($WORK/console.log) ---" >&2
  tail -n 25 "$WORK/console.log" 2>/dev/null | sed 's/^/  | /' >&2
  [ -s "$WORK/qemu.log" ] && sed 's/^/  qemu: /' "$WORK/qemu.log" >&2
}
t_boot=$SECONDS
boot_once() {
  local n=$1 t_this=$SECONDS
  local args=("${qemu_args[@]}")
  args=("${args[@]/ptvm.boot=1/ptvm.boot=$n}")
  rm -f "$WORK/share/results/started" "$WORK/share/results/done" "$WORK/share/results/resume" "$WORK/qemu.pid"
  # The scenario that asked for this boot (its name) goes on in it.
  [ -f "$WORK/share/results/reboot" ] && mv "$WORK/share/results/reboot" "$WORK/share/results/resume"
  log "booting the nested host (boot $n, TCG$([ "$n" -eq 1 ] && echo "; prepare took $((t_prepared - t_start)) s"))"
  qemu-system-x86_64 "${args[@]}" -display none -monitor none -serial "file:$WORK/console.log" \
    >"$WORK/qemu.log" 2>&1 &
  QEMU_PID=$!
  booted=0
  while [ $((SECONDS - t_this)) -lt "$BOOT_TIMEOUT" ]; do
    if [ -f "$WORK/share/results/started" ]; then booted=1; break; fi
    kill -0 "$QEMU_PID" 2>/dev/null || break
    grep -q 'PTVM-INITRAMFS-FAIL' "$WORK/console.log" 2>/dev/null && break
    sleep 1
  done
  [ "$booted" -eq 1 ] || return 0
  log "nested host up after $((SECONDS - t_this)) s; running the checks"
  finished=0
  while [ $((SECONDS - t_boot)) -lt "$RUN_TIMEOUT" ]; do
    print_new
    if [ -f "$WORK/share/results/done" ]; then finished=1; break; fi
    kill -0 "$QEMU_PID" 2>/dev/null || break
    sleep 2
  done
  print_new
  # Give the guest a moment to power off by itself, then kill what is left.
  for _ in $(seq 1 20); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$QEMU_PID" 2>/dev/null; then
    kill "$QEMU_PID" 2>/dev/null; sleep 1; kill -9 "$QEMU_PID" 2>/dev/null
  fi
  wait "$QEMU_PID" 2>/dev/null
  QEMU_PID=
}

boot=1
while :; do
  finished=0
  boot_once "$boot"
  if [ "$booted" -ne 1 ]; then
    KEEP=1
    console_tail
    echo "FAIL boot: the nested host did not reach the bench's init within $BOOT_TIMEOUT s (boot $boot; see above)"
    echo "$(grep -c '^PASS ' "$WORK/share/results/lines" 2>/dev/null) passed, $(($(grep -c '^FAIL ' "$WORK/share/results/lines" 2>/dev/null) + 1)) failed"
    exit 1
  fi
  [ "$finished" -eq 1 ] && [ -f "$WORK/share/results/reboot" ] && [ "$boot" -lt 5 ] || break
  cp "$WORK/console.log" "$WORK/console.boot$boot.log" 2>/dev/null
  boot=$((boot + 1))
done

passed=$(grep -c '^PASS ' "$WORK/share/results/lines" 2>/dev/null)
failed=$(grep -c '^FAIL ' "$WORK/share/results/lines" 2>/dev/null)
passed=${passed:-0} failed=${failed:-0}
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
  KEEP=1
  console_tail
  echo "FAIL run: the nested host ran no checks (see its console above and $WORK/share/results/console.log)"
  failed=1
fi
if [ "$finished" -ne 1 ]; then
  KEEP=1
  console_tail
  echo "FAIL run: the nested host did not finish within $RUN_TIMEOUT s (or stopped; see above)"
  failed=$((failed + 1))
fi
log "times: prepare $((t_prepared - t_start)) s, boot+checks $((SECONDS - t_boot)) s ($boot boot(s)), total $((SECONDS - t_start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$finished" -eq 1 ]
