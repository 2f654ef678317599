# shellcheck shell=bash
# Fetches and builds what the nested host needs, once, into the cache directory ($VM_CACHE, outside
# the repository). Every step checks for its own output first, so a second run does nothing here.
# Sourced by tests/vm/run.sh; uses its log/die helpers.
#
# Cache layout ($VM_CACHE, default /var/cache/ptagent-vm):
#   debs/                     the downloaded Debian packages (linux-image, -headers, -kbuild, -source)
#   KVER/root/                those packages unpacked with dpkg-deb -x (nothing goes into the host's /boot)
#   KVER/vmlinuz              the kernel image
#   KVER/modules/KVER/        the guest's /lib/modules/KVER (depmod -b run on it), mtty.ko in extra/
#   KVER/initramfs.cpio.gz    busybox-static + the 9p/overlay modules + tests/vm/initramfs-init
#   libvirt-caps/             the guest libvirtd's QEMU capabilities cache, kept between runs

vm_kernel_version() {
  # The ABI name the archive's linux-image-amd64 metapackage points at, e.g. 6.1.0-57-amd64. The bench
  # boots Debian 12's kernel whatever the host runs.
  local dep
  dep=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: linux-image-\(6\.1\.[0-9]*-[0-9]*-amd64\)$/\1/p' | head -1)
  if [ -z "$dep" ]; then
    # A cached kernel is enough when the archive is not reachable.
    dep=$(find "$VM_CACHE" -maxdepth 1 -name '6.1.*-amd64' -printf '%f\n' 2>/dev/null | sort -V | tail -1)
  fi
  [ -n "$dep" ] || die "cannot tell which 6.1 kernel to boot: 'apt-cache depends linux-image-amd64' names none (run apt-get update) and $VM_CACHE holds none"
  echo "$dep"
}

vm_need_tools() {
  local missing=() t
  for t in qemu-system-x86_64:qemu-system-x86 busybox:busybox-static depmod:kmod dpkg-deb:dpkg \
    cpio:cpio mkfs.ext4:e2fsprogs gcc:build-essential make:build-essential xz:xz-utils; do
    command -v "${t%%:*}" >/dev/null 2>&1 || missing+=("${t#*:}")
  done
  # busybox must be the static one: the initramfs holds no libc.
  dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' || missing+=(busybox-static)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >"$VM_CACHE/apt.log" 2>&1 ||
      die "apt-get install ${missing[*]} failed (see $VM_CACHE/apt.log); run contrib/install-deps.sh"
  fi
}

vm_fetch_debs() {
  local kver=$1 short=${1%-amd64} kbase
  kbase=$(echo "$kver" | sed 's/^\([0-9]*\.[0-9]*\).*/\1/')
  local pkgs=("linux-image-$kver" "linux-headers-$kver" "linux-headers-$short-common" "linux-kbuild-$kbase" "linux-source-$kbase")
  mkdir -p "$VM_CACHE/debs"
  local p want=()
  for p in "${pkgs[@]}"; do
    compgen -G "$VM_CACHE/debs/${p}_*.deb" >/dev/null || want+=("$p")
  done
  [ ${#want[@]} -eq 0 ] && return 0
  log "downloading ${want[*]}"
  (cd "$VM_CACHE/debs" && apt-get download "${want[@]}") >"$VM_CACHE/download.log" 2>&1 ||
    die "apt-get download ${want[*]} failed (see $VM_CACHE/download.log); is the Debian archive reachable? try apt-get update"
}

vm_unpack() {
  local kver=$1 kdir=$VM_CACHE/$1
  [ -f "$kdir/unpacked.ok" ] && return 0
  log "unpacking the kernel packages into $kdir/root"
  rm -rf "$kdir/root" && mkdir -p "$kdir/root"
  local d
  for d in "$VM_CACHE"/debs/*.deb; do
    case $d in *linux-source*) continue ;; esac
    dpkg-deb -x "$d" "$kdir/root" || die "dpkg-deb -x $d failed"
  done
  cp "$kdir/root/boot/vmlinuz-$kver" "$kdir/vmlinuz" || die "no vmlinuz-$kver in linux-image-$kver"
  touch "$kdir/unpacked.ok"
}

vm_build_mtty() {
  # samples/vfio-mdev/mtty.c is not built by Debian; build it out of tree against the unpacked headers.
  local kver=$1 kdir=$VM_CACHE/$1 kbase
  kbase=$(echo "$kver" | sed 's/^\([0-9]*\.[0-9]*\).*/\1/')
  [ -f "$kdir/mtty/mtty.ko" ] && return 0
  log "building mtty.ko (the kernel's sample mdev driver) against linux-headers-$kver"
  local src
  src=$(compgen -G "$VM_CACHE/debs/linux-source-${kbase}_*.deb" | head -1)
  [ -n "$src" ] || die "linux-source-$kbase not downloaded"
  rm -rf "$kdir/mtty" && mkdir -p "$kdir/mtty"
  dpkg-deb --fsys-tarfile "$src" | tar -xO "./usr/src/linux-source-$kbase.tar.xz" |
    xz -dc | tar -x -C "$kdir/mtty" --strip-components=3 "linux-source-$kbase/samples/vfio-mdev/mtty.c" ||
    die "cannot extract samples/vfio-mdev/mtty.c from $src"
  echo 'obj-m := mtty.o' >"$kdir/mtty/Makefile"
  # The arch headers' Makefile includes the common headers by an absolute /usr/src path: point it at
  # the unpacked copy (the symlinks to linux-kbuild are relative and already right).
  local hdr=$kdir/root/usr/src/linux-headers-$kver
  sed -i "s|^include /usr/src/|include $kdir/root/usr/src/|" "$hdr/Makefile"
  make -C "$hdr" M="$kdir/mtty" modules >"$kdir/mtty/build.log" 2>&1 ||
    die "building mtty.ko failed (see $kdir/mtty/build.log)"
}

vm_modules() {
  local kver=$1 kdir=$VM_CACHE/$1
  [ -f "$kdir/modules.ok" ] && return 0
  log "installing the guest's modules tree and running depmod -b"
  rm -rf "$kdir/modules" && mkdir -p "$kdir/modules"
  cp -a "$kdir/root/lib/modules/$kver" "$kdir/modules/"
  mkdir -p "$kdir/modules/$kver/extra"
  cp "$kdir/mtty/mtty.ko" "$kdir/modules/$kver/extra/"
  # depmod -b wants BASE/lib/modules/KVER.
  mkdir -p "$kdir/depmod/lib"
  ln -sfn "$kdir/modules" "$kdir/depmod/lib/modules"
  depmod -b "$kdir/depmod" "$kver" || die "depmod -b failed"
  touch "$kdir/modules.ok"
}

vm_initramfs() {
  local kver=$1 kdir=$VM_CACHE/$1 init=$VM_DIR/initramfs-init
  local out=$kdir/initramfs.cpio.gz
  if [ -f "$out" ] && [ "$out" -nt "$init" ]; then return 0; fi
  log "making the initramfs (busybox-static + 9p and overlay modules)"
  local t=$kdir/initramfs.d
  rm -rf "$t" && mkdir -p "$t"/{bin,dev,proc,sys,lower,upper,newroot,mods}
  cp /bin/busybox "$t/bin/busybox"
  local m f
  for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p overlay; do
    f=$(find "$kdir/modules/$kver/kernel" -name "$m.ko" | head -1)
    [ -n "$f" ] || die "module $m.ko not in linux-image-$kver"
    cp "$f" "$t/mods/"
    echo "$m" >>"$t/mods/order"
  done
  cp "$init" "$t/init" && chmod 755 "$t/init"
  (cd "$t" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp" && mv "$out.tmp" "$out"
  rm -rf "$t"
}

vm_prepare() {
  mkdir -p "$VM_CACHE" "$VM_CACHE/libvirt-caps"
  vm_need_tools
  VM_KVER=$(vm_kernel_version)
  vm_fetch_debs "$VM_KVER"
  vm_unpack "$VM_KVER"
  vm_build_mtty "$VM_KVER"
  vm_modules "$VM_KVER"
  vm_initramfs "$VM_KVER"
}
