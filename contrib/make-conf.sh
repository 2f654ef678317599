#!/usr/bin/env bash
# The ptagent.conf the package installs (/etc/ptagent/ptagent.conf, a conffile), from the keys in
# `ptagent hook --help` (src/ops/hook_config.cpp's table, which ptagent.conf(5) shows too): every
# key commented out at its default, with what it sets. Usage: make-conf.sh PTAGENT_BIN OUT
set -euo pipefail
bin=$1
out=$2
{
  echo "# /etc/ptagent/ptagent.conf: the settings of ptagent-hook, libvirt's qemu hook for ptagent"
  echo "# (ptagent.conf(5)). \"key = value\" lines; a key left out keeps its default, shown here."
  echo "# 'ptagent hook config' shows the settings as the hook reads them, and each problem."
  "$bin" hook --help | awk '
    /^Keys of ptagent.conf/ { f = 1; next }
    !f { next }
    /^[^ ]/ && !/ = [A-Z]+ \(default: / { exit }  # the next section of the help
    / = [A-Z]+ \(default: / {
      key = $1
      def = $0
      sub(/.*\(default: /, "", def)
      sub(/\)$/, "", def)
      next
    }
    /^ / { sub(/^ +/, ""); print "# " $0; next }
    /^$/ { last(); next }
    END { last() }
    function last() {
      if (key == "") return
      print (def == "none" ? "#" key " =" : "#" key " = " def)
      print "#"
      key = ""
    }'
} >"$out.tmp"
if ! grep -q '^#[a-z_]* =' "$out.tmp"; then
  echo "make-conf.sh: '$bin hook --help' lists no keys of ptagent.conf" >&2
  rm -f "$out.tmp"
  exit 1
fi
mv "$out.tmp" "$out"
