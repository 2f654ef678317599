#!/usr/bin/env bash
# The hook binary neither needs nor names libvirt or libpci (it runs on every lifecycle step of
# every domain, and libvirtd waits for it).
set -euo pipefail
hook=$1
needed=$(readelf -d "$hook" | awk '/NEEDED/ {print $NF}')
echo "NEEDED: $needed"
if grep -Eq 'libvirt|libpci' <<<"$needed"; then
  echo "FAIL: $hook needs libvirt or libpci"
  exit 1
fi
if grep -aEq 'libvirt\.so|libpci\.so' "$hook"; then
  echo "FAIL: $hook names libvirt.so or libpci.so (a dlopen?)"
  exit 1
fi
if nm -D --undefined-only "$hook" | grep -Eq ' (vir|pci_)[A-Za-z_]+$'; then
  echo "FAIL: $hook imports a libvirt or libpci symbol"
  exit 1
fi
echo "ok: no libvirt, no libpci"
