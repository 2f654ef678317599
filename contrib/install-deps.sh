#!/usr/bin/env bash
# Installs ptagent's build and test dependencies from Debian 12 packages. Idempotent.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root (apt-get needs it)" >&2
  exit 1
fi
# Never a prompt: a conffile the administrator edited before its package was installed (e.g.
# /etc/libvirt/qemu.conf) keeps the administrator's version (confdef, else confold), and nothing
# reads a terminal.
export DEBIAN_FRONTEND=noninteractive
dpkg_opts=(-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
# An earlier run interrupted (or stopped at a prompt) leaves dpkg half-configured, and apt-get then
# refuses everything: finish configuring first, with the same answers.
if [ -n "$(dpkg --audit 2>/dev/null)" ]; then
  echo "install-deps: dpkg was left half-configured; running dpkg --configure -a" >&2
  dpkg --force-confdef --force-confold --configure -a </dev/null
fi
pkgs=(
  build-essential cmake ninja-build pkg-config git
  libvirt-dev libxml2-dev libxml2-utils libpugixml-dev libboost-program-options-dev
  libspdlog-dev libfmt-dev nlohmann-json3-dev libpci-dev pciutils libgtest-dev googletest
  libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils
  mdevctl driverctl clang clang-format libclang-rt-14-dev util-linux procps time python3 hyperfine
  libfuse3-dev fuse3
  graphviz librsvg2-bin
  help2man man-db debhelper lintian fakeroot zsh
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${dpkg_opts[@]}" "${missing[@]}" </dev/null
fi
echo "install-deps: all dependencies present"
