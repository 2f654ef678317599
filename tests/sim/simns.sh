#!/usr/bin/env bash
# Runs a command in private namespaces (mount, network, PID) where /sys is a simulated host's sysfs
# served by ptagent-simfs, so that unmodified programs (lspci, mdevctl, driverctl, libvirtd, the
# ptagent CLI without --root) see the simulated hardware and change it with kernel semantics.
#
#   tests/sim/simns.sh [--host DIR] [--simfs BIN] [--wedge ADDR]... [--] COMMAND [ARG]...
#
#   --host DIR    the host tree to serve (default: tests/fixtures/hosts/workstation); only its sys/
#                 and dev/vfio are used, everything else is the real machine's
#   --simfs BIN   the server (default: build/tests/sim/ptagent-simfs)
#   --wedge ADDR  passed to the server: ADDR reads vendor 0xffff after its next reset
#
# Inside the namespaces:
#   /sys                 ptagent-simfs over a private copy of DIR/sys; /sys/fs/cgroup and, when the
#                        host tree has none, /sys/devices/system are the real ones (libvirtd, QEMU)
#   /sys/.ptagent-sim    the server's control file (commands and event log, see sim_kernel.hpp)
#   /dev                 a tmpfs with the real device nodes bound in, plus /dev/vfio from the tree
#                        (the server adds /dev/vfio/<group> when a function binds to vfio-pci)
#   /run/udev/control    an empty file, so that libudev monitors (libvirtd) accept the server's uevents
#   /run, /var/lib/libvirt, /var/cache/libvirt, /var/log/libvirt   private tmpfs
#   /etc/libvirt         a private copy: qemu runs as root, no cgroups, no autostarted networks,
#                        no hooks (tests install their own)
#   /etc/mdevctl.d       private: the real scripts.d, no devices
#   SYSTEMD_DEVICE_VERIFY_SYSFS=0 in the environment (libudev accepts the FUSE /sys)
#   /usr/sbin/modprobe, /usr/sbin/rmmod   refuse (nothing in here may load a real module)
#   the network namespace has only lo (up); udev-style uevents from the server go only there
#   SIMNS_WORK           the served tree's backing directory (read it to check what changed)
# Nothing is mounted over the real /sys or /dev: all mounts live in the private mount namespace
# and vanish with it. When COMMAND exits every process started inside is killed (PID namespace).
# Exit status: COMMAND's; 125 if the namespace could not be set up.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
self="$top/tests/sim/simns.sh"

if [ "${1:-}" = "--inner" ]; then
  shift
  stash=$1 host=$2 simfs=$3 wedges=$4
  shift 4
  fail() { echo "simns: $*" >&2; exit 125; }
  # Never mount anything unless this really is a new mount namespace.
  [ "$(readlink /proc/self/ns/mnt)" != "$SIMNS_HOST_MNTNS" ] || fail "not in a private mount namespace"
  [ "$(readlink /proc/self/ns/net)" != "$SIMNS_HOST_NETNS" ] || fail "not in a private network namespace"
  mount -t tmpfs -o mode=700 ptagent-simns "$stash" || fail "cannot mount a tmpfs on $stash"
  mkdir -p "$stash/realsys" "$stash/realdev" "$stash/etc-libvirt" "$stash/mdevctl.d" \
    "$stash/varlib" "$stash/varcache" "$stash/varlog"
  mount --rbind /sys "$stash/realsys"
  mount --rbind /dev "$stash/realdev"
  ip link set lo up 2>/dev/null || true

  # The simulated sysfs over /sys (the server daemonizes once the mount is in place).
  args=(--workdir "$stash/work" --log "$stash/simfs.log" --uevents)
  for w in $wedges; do args+=(--wedge "$w"); done
  # (the kernel double's crash-test switch must not reach the server)
  env -u PTAGENT_DOUBLE_KILL_AT_WRITE PTAGENT_SIMFS_HOST_NETNS="$SIMNS_HOST_NETNS" "$simfs" "${args[@]}" "$host" /sys 2>"$stash/simfs.err" ||
    fail "ptagent-simfs did not start: $(cat "$stash/simfs.err")"
  grep -q ' /sys fuse' /proc/self/mounts || fail "/sys is not the FUSE mount"
  mkdir -p "$stash/work/sys/fs/cgroup"
  mount --rbind "$stash/realsys/fs/cgroup" /sys/fs/cgroup
  if [ ! -d "$stash/work/sys/devices/system" ]; then
    mkdir -p "$stash/work/sys/devices/system"
    mount --rbind "$stash/realsys/devices/system" /sys/devices/system
  fi

  # /dev: the real nodes, and the simulated /dev/vfio.
  mount -t tmpfs -o mode=755 simns-dev /dev
  for e in "$stash"/realdev/* "$stash"/realdev/.[!.]*; do
    [ -e "$e" ] || [ -L "$e" ] || continue
    n=/dev/${e##*/}
    if [ -L "$e" ]; then
      cp -P "$e" "$n"
    elif [ -d "$e" ]; then
      mkdir -p "$n" && mount --rbind "$e" "$n"
    else
      : >"$n" && mount --bind "$e" "$n"
    fi
  done
  mkdir -p "$stash/work/dev/vfio" /dev/vfio
  mount --bind "$stash/work/dev/vfio" /dev/vfio

  # Private state for daemons started inside.
  mount -t tmpfs -o mode=755 simns-run /run
  mkdir -p /run/lock /run/libvirt /run/user /run/udev
  # libudev monitors listen to the udev group only where udev seems to run (/run/udev/control).
  : >/run/udev/control
  cp -a /etc/libvirt/. "$stash/etc-libvirt/"
  find "$stash/etc-libvirt/hooks" -mindepth 1 -delete 2>/dev/null || mkdir -p "$stash/etc-libvirt/hooks"
  find "$stash/etc-libvirt/qemu/networks/autostart" -mindepth 1 -delete 2>/dev/null || true
  conf="$stash/etc-libvirt/qemu.conf"
  grep -Ev '^[[:space:]]*(user|group|cgroup_controllers)[[:space:]]*=' "$conf" >"$conf.new" || true
  printf '%s\n' 'user = "root"' 'group = "root"' 'cgroup_controllers = [ ]' >>"$conf.new"
  mv "$conf.new" "$conf"
  mount --bind "$stash/etc-libvirt" /etc/libvirt
  # mdevctl needs its script directories; the devices it defines stay private.
  [ -d /etc/mdevctl.d/scripts.d ] && cp -a /etc/mdevctl.d/scripts.d "$stash/mdevctl.d/"
  mount --bind "$stash/mdevctl.d" /etc/mdevctl.d
  mount --bind "$stash/varlib" /var/lib/libvirt 2>/dev/null || true
  mount --bind "$stash/varcache" /var/cache/libvirt 2>/dev/null || true
  mount --bind "$stash/varlog" /var/log/libvirt 2>/dev/null || true
  printf '#!/bin/sh\necho "simns: refusing to run $0 $*: no real kernel modules from the simulator" >&2\nexit 1\n' >"$stash/nomod"
  chmod 755 "$stash/nomod"
  for m in /usr/sbin/modprobe /usr/sbin/rmmod /usr/sbin/insmod; do
    [ -e "$m" ] && mount --bind "$stash/nomod" "$m"
  done

  # libudev (systemd >= 251) refuses a /sys that is not sysfs unless told otherwise: libvirt's
  # node-device driver and udevadm read the simulated devices through it.
  export SYSTEMD_DEVICE_VERIFY_SYSFS=0
  export SIMNS_WORK="$stash/work" SIMNS_LOG="$stash/simfs.log" SIMNS_STASH="$stash"
  set +e
  "$@"
  rc=$?
  set -e
  # Save the server's log for the caller, then let the PID namespace take everything down.
  [ -n "${SIMNS_KEEP_LOG:-}" ] && cp "$stash/simfs.log" "$SIMNS_KEEP_LOG" 2>/dev/null
  exit "$rc"
fi

host=$top/tests/fixtures/hosts/workstation
simfs=${PTAGENT_SIMFS_BIN:-$top/build/tests/sim/ptagent-simfs}
wedges=""
while [ $# -gt 0 ]; do
  case $1 in
    --host) host=$(cd "$2" && pwd); shift 2 ;;
    --simfs) simfs=$2; shift 2 ;;
    --wedge) wedges="$wedges $2"; shift 2 ;;
    --) shift; break ;;
    -*) echo "simns: unknown option $1" >&2; exit 125 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: simns.sh [--host DIR] [--simfs BIN] [--wedge ADDR]... [--] COMMAND [ARG]..." >&2; exit 125; }
[ "$(id -u)" -eq 0 ] || { echo "simns: needs root (mount namespaces with FUSE over /sys)" >&2; exit 125; }
[ -x "$simfs" ] || { echo "simns: no server at $simfs (build target ptagent-simfs)" >&2; exit 125; }
[ -d "$host/sys" ] || { echo "simns: $host has no sys/" >&2; exit 125; }

stash=$(mktemp -d /tmp/ptagent-simns.XXXXXX)
trap 'rmdir "$stash" 2>/dev/null || true' EXIT
SIMNS_HOST_NETNS=$(readlink /proc/self/ns/net)
SIMNS_HOST_MNTNS=$(readlink /proc/self/ns/mnt)
export SIMNS_HOST_NETNS SIMNS_HOST_MNTNS
set +e
unshare --mount --net --pid --fork --kill-child --mount-proc --propagation private \
  /bin/bash "$self" --inner "$stash" "$host" "$simfs" "$wedges" "$@"
rc=$?
set -e
exit "$rc"  # the EXIT trap removes the (empty) directory: its tmpfs lived in the namespace
