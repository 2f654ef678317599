#!/bin/sh
# The nested host's init (PID 1 after switch_root, started by tests/vm/initramfs-init): prepares a
# minimal host (no systemd, no udevd), then runs each scenario tests/vm/guest/NN-*.sh in order, each
# bounded, and powers off. Results go to /mnt/ptvm/results/lines (read by tests/vm/run.sh).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8
set -a
. /mnt/ptvm/env
set +a
R=/mnt/ptvm/results
# Which boot of this run (tests/vm/run.sh boots again when a scenario leaves results/reboot).
PTVM_BOOT=1
for a in $(cat /proc/cmdline); do case $a in ptvm.boot=*) PTVM_BOOT=${a#ptvm.boot=} ;; esac; done
export PTVM_BOOT
[ "$PTVM_SHELL" = 1 ] || exec >>"$R/console.log" 2>&1 </dev/null

# Everything the outer machine's / would lend us that must be the nested host's own.
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/lock /run/libvirt
mount -t tmpfs tmpfs /tmp
# A checkout under the outer machine's /tmp (a CI clone) stays visible: the 9p root is at /lower.
for d in "$PTVM_REPO" "$PTVM_BUILD"; do
  case $d in /tmp/*) mkdir -p "$d" && mount --bind "/lower$d" "$d" ;; esac
done
mkdir -p /dev/pts /dev/shm /dev/hugepages
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
for d in /var/log /var/tmp /var/lib/libvirt /var/cache/libvirt /etc/libvirt/qemu /etc/mdevctl.d /var/lib/ptagent /etc/ptagent; do
  mkdir -p "$d" 2>/dev/null
  mount -t tmpfs tmpfs "$d"
done
# mdevctl refuses to run without its callout and notifier directories (the package ships them).
mkdir -p /etc/mdevctl.d/scripts.d/callouts /etc/mdevctl.d/scripts.d/notifiers
mkdir -p /var/cache/libvirt/qemu/capabilities /etc/libvirt/qemu/networks/autostart
mount -o bind /mnt/ptvm/libvirt-caps /var/cache/libvirt/qemu/capabilities
hostname ptvm
ip link set lo up

echo "started $(date +%s)" >"$R/started"
/bin/bash "$PTVM_DIR/guest/run-scenarios.sh"
if [ "$PTVM_SHELL" = 1 ]; then
  echo "ptvm: setup done; scenarios are in $PTVM_DIR/guest (. $PTVM_DIR/guest/lib.sh first); poweroff -f to leave"
  setsid -c /bin/bash -l </dev/ttyS0 >/dev/ttyS0 2>&1
fi
echo "done" >"$R/done"
sync
poweroff -f
echo o >/proc/sysrq-trigger
