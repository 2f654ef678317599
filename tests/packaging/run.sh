#!/usr/bin/env bash
# The Debian package end to end: builds ptagent_*.deb from this tree (dpkg-buildpackage -b in a
# copy, tests skipped: ctest runs them), installs it into an empty directory with dpkg --root,
# runs the installed files (ptagent --version, check on a simulated host, man -l on the pages,
# hook install --hooks-dir with the installed hook, the completions, the conffile, the unit not
# enabled), purges it and checks that
# nothing is left; then lintian. Usage: tests/packaging/run.sh [--deb FILE] [--keep]
# (--deb: test a package built before instead of building one)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
version=$(sed -n '1s/^ptagent (\([^)]*\)).*/\1/p' "$src/debian/changelog")
work=/tmp/ptagent-pkgtest
fail=0
given_deb="" keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --deb) given_deb=$(realpath "$2"); shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--deb FILE] [--keep]" >&2; exit 2 ;;
  esac
done
ok() { echo "PASS: $*"; }
bad() {
  echo "FAIL: $*"
  fail=1
}

t0=$SECONDS
rm -rf "$work"
mkdir -p "$work/ptagent-$version"
if [ -n "$given_deb" ]; then
  deb=$given_deb
else
  mkdir -p "$work/ptagent-$version"
  tar -C "$src" --exclude=./build --exclude='./build-*' --exclude=./.git --exclude='./obj-*' -cf - . |
    tar -C "$work/ptagent-$version" -xf -
  (cd "$work/ptagent-$version" &&
    DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -b -us -uc >"$work/build.log" 2>&1) ||
    {
      tail -40 "$work/build.log"
      bad "dpkg-buildpackage"
      exit 1
    }
  deb=$(ls "$work"/ptagent_"$version"_*.deb)
fi
ok "built $(basename "$deb") ($((SECONDS - t0)) s)"
dpkg-deb -f "$deb" Depends Recommends | sed 's/^/  /'

root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
# What every Debian 12 system has (the systemd package's): deb-systemd-helper, run by the postrm
# dh_installsystemd writes for the unit, keeps its state under it and would create it on purge.
mkdir -p "$root/var/lib/systemd"
listing() { (cd "$root" && find . -path ./var/lib/dpkg -prune -o -print | sort); }
listing >"$work/before"
# The libraries come from this machine: the directory holds only the package.
dpkg --root="$root" --force-depends --force-script-chrootless -i "$deb" >"$work/install.log" 2>&1 ||
  {
    cat "$work/install.log"
    bad "dpkg --root -i"
  }
for f in /usr/bin/ptagent /usr/libexec/ptagent/ptagent-hook /usr/share/man/man8/ptagent.8.gz \
  /usr/share/man/man8/ptagent-hook.8.gz /usr/share/man/man5/ptagent.conf.5.gz \
  /usr/share/bash-completion/completions/ptagent /usr/share/zsh/vendor-completions/_ptagent \
  /etc/ptagent/ptagent.conf /lib/systemd/system/ptagent-boot-check.service; do
  if dpkg --root="$root" -L ptagent | grep -qx "$f" && [ -e "$root$f" ]; then ok "installed $f"; else bad "missing $f"; fi
done
if dpkg --root="$root" -L ptagent | grep -q '^/etc/libvirt'; then bad "the package installs into /etc/libvirt"; fi
if dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles 2>/dev/null | grep -qx /etc/ptagent/ptagent.conf; then
  ok "/etc/ptagent/ptagent.conf is a conffile"
else
  bad "/etc/ptagent/ptagent.conf is not a conffile"
fi
if find "$root/etc/systemd" -name 'ptagent*' 2>/dev/null | grep -q .; then
  bad "the package enabled ptagent-boot-check.service"
else
  ok "ptagent-boot-check.service installed, not enabled"
fi
# The installed file in a host tree of its own (--root wants a sys/, the package root has none).
mkdir -p "$work/confhost/sys" "$work/confhost/etc/ptagent"
cp "$root/etc/ptagent/ptagent.conf" "$work/confhost/etc/ptagent/"
if "$root/usr/bin/ptagent" --root "$work/confhost" hook config >"$work/conf.out" 2>&1 &&
  grep -qx "hook_timeout = 30" "$work/conf.out"; then
  ok "ptagent hook config reads the installed ptagent.conf without a problem"
else
  cat "$work/conf.out"
  bad "ptagent hook config on the installed ptagent.conf"
fi

out=$("$root/usr/bin/ptagent" --version) && [ "$out" = "ptagent $version" ] && ok "ptagent --version: $out" ||
  bad "ptagent --version: $out"
rc=0
"$root/usr/bin/ptagent" --root "$src/tests/fixtures/hosts/workstation" check >"$work/check.out" 2>&1 || rc=$?
if [ "$rc" -le 1 ] && grep -q . "$work/check.out"; then ok "ptagent check on the workstation (exit $rc)"; else bad "ptagent check (exit $rc)"; fi
for page in man8/ptagent.8 man8/ptagent-hook.8 man5/ptagent.conf.5; do
  if man -l "$root/usr/share/man/$page.gz" 2>&1 >/dev/null | grep -q .; then
    bad "man -l $page warns"
  elif man -l "$root/usr/share/man/$page.gz" | grep -q "^NAME"; then ok "man -l $page"; else bad "man -l $page"; fi
done
hooks=$work/hooks
if "$root/usr/bin/ptagent" hook install --hooks-dir "$hooks" >"$work/hook.out" 2>&1 &&
  cmp -s "$hooks/qemu" "$root/usr/libexec/ptagent/ptagent-hook"; then
  ok "hook install --hooks-dir with the installed (stripped) hook"
else
  cat "$work/hook.out"
  bad "hook install --hooks-dir"
fi
"$root/usr/bin/ptagent" hook status --hooks-dir "$hooks" >/dev/null && ok "hook status: installed" || bad "hook status"
if readelf -S "$root/usr/libexec/ptagent/ptagent-hook" | grep -q '\.symtab'; then bad "the installed hook is not stripped"; fi
if readelf -lW "$root/usr/bin/ptagent" | grep -q GNU_RELRO && readelf -d "$root/usr/bin/ptagent" | grep -q BIND_NOW; then
  ok "ptagent: relro + bindnow"
else
  bad "ptagent is not hardened (relro/bindnow)"
fi
"$root/usr/libexec/ptagent/ptagent-hook" --version | grep -qx "ptagent-hook $version" && ok "ptagent-hook --version" ||
  bad "ptagent-hook --version"
bash -c "source '$root/usr/share/bash-completion/completions/ptagent' && complete -p ptagent" >/dev/null &&
  ok "completion loads" || bad "completion"
if command -v zsh >/dev/null; then
  zsh -f -c "fpath=('$root/usr/share/zsh/vendor-completions' \$fpath); autoload -Uz compinit && compinit -u -D &&
    [[ \$_comps[ptagent] == _ptagent ]]" && ok "zsh finds _ptagent" || bad "zsh completion"
fi

dpkg --root="$root" --force-script-chrootless -P ptagent >"$work/purge.log" 2>&1 || {
  cat "$work/purge.log"
  bad "dpkg -P"
}
listing >"$work/after"
if diff -u "$work/before" "$work/after"; then ok "purged: nothing left"; else bad "files left after purge"; fi

echo "lintian:"
lintian --info "$deb" 2>&1 | sed 's/^/  /' || true
echo "packaging test: $((SECONDS - t0)) s"
[ "$keep" = 1 ] || rm -rf "$work"
exit "$fail"
