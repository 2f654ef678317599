#!/usr/bin/env bash
# Man pages from the binaries' own --help (help2man), so that the page and --help never disagree:
#   make-man.sh ptagent PTAGENT_BIN OUT.8        ptagent(8): `ptagent --help`, then one subsection
#                                                per command from `ptagent COMMAND --help`
#   make-man.sh ptagent-hook HOOK_BIN OUT.8      ptagent-hook(8): `ptagent-hook --help`
#   make-man.sh ptagent.conf PTAGENT_BIN OUT.5   ptagent.conf(5): the keys in `ptagent hook --help`
# The hand-written parts are only the sections --help has no place for (docs/man/*.h2m).
set -euo pipefail
page=$1
bin=$2
out=$3
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Text as roff shows it verbatim: backslashes escaped, a leading dot or quote made literal.
roff_verbatim() {
  sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"
}

section() {  # TITLE ARGS…: `BIN ARGS… --help` as a subsection
  local title=$1
  shift
  printf '.SS "%s"\n.nf\n' "$title"
  "$bin" "$@" --help | roff_verbatim
  printf '.fi\n'
}

case $page in
  ptagent)
    {
      echo "[COMMANDS]"
      # The commands `ptagent --help` lists, then the actions of those that have their own.
      for cmd in $("$bin" --help | awk '/^Commands:/ { f = 1; next } f && /^$/ { exit } f { print $1 }'); do
        section "ptagent $cmd" "$cmd"
        case $cmd in
          mdev) verbs="types list create remove" ;;
          setup) verbs="iommu modules bind sriov mdev status revert" ;;
          hook) verbs="install uninstall status config" ;;
          *) verbs="" ;;
        esac
        for verb in $verbs; do section "ptagent $cmd $verb" "$cmd" "$verb"; done
      done
    } >"$tmp/commands.h2m"
    help2man --no-info --section=8 --manual="System Administration" \
      --name="make PCI passthrough to libvirt/QEMU guests safe" \
      --include="$src/docs/man/ptagent.h2m" --include="$tmp/commands.h2m" \
      --output="$out" "$bin"
    ;;
  ptagent-hook)
    help2man --no-info --section=8 --manual="System Administration" \
      --name="libvirt's qemu hook for ptagent: checks before a guest starts, undo after it stops" \
      --include="$src/docs/man/ptagent-hook.h2m" --output="$out" "$bin"
    ;;
  ptagent.conf)
    # ptagent.conf(5) from `ptagent hook --help`: its "config:" paragraph, then the keys listed
    # under "Keys of ptagent.conf" (the table the parser reads: src/ops/hook_config.cpp).
    keys() {
      "$bin" hook --help | awk '/^Keys of ptagent.conf/ { f = 1; next }
        f && /^[^ ]/ && !/ = [A-Z]+ \(default: / { exit }
        f'
    }
    if ! keys | grep -q ' = '; then
      echo "make-man.sh: '$bin hook --help' lists no keys of ptagent.conf" >&2
      exit 1
    fi
    {
      echo "[KEYS]"
      keys | roff_verbatim | awk '
        / = [A-Z]+ \(default: / {
          rest = $0
          sub(/^[^(]*/, "", rest)
          printf ".TP\n\\fB%s\\fR = \\fI%s\\fR %s\n", $1, $3, rest
          next
        }
        /^$/ { next }
        { sub(/^ +/, ""); print }'
    } >"$tmp/keys.h2m"
    # help2man runs a program: this one answers --help with the "config:" paragraph.
    printf '#!/bin/sh\n"%s" hook --help | sed -n "/^config: /,/^\$/{s/^config: /ptagent hook config shows /;p}"\n' \
      "$bin" >"$tmp/ptagent.conf"
    chmod +x "$tmp/ptagent.conf"
    help2man --no-info --section=5 --manual="File Formats" \
      --name="settings of ptagent-hook, libvirt's qemu hook for ptagent" \
      --version-string="ptagent.conf $("$bin" --version | awk '{ print $2 }')" \
      --source="ptagent $("$bin" --version | awk '{ print $2 }')" \
      --include="$src/docs/man/ptagent.conf.h2m" --include="$tmp/keys.h2m" \
      --output="$out" "$tmp/ptagent.conf"
    ;;
  *)
    echo "make-man.sh: unknown page $page" >&2
    exit 2
    ;;
esac
