#!/usr/bin/env bash
# The bash completion (contrib/completion/ptagent.bash) on a simulated host: commands from
# `ptagent --help`, options from the command's --help, DEVICE from the host's PCI addresses under
# --root, mdev parents and types from sysfs. Usage: completion.sh PTAGENT SOURCE_DIR
set -uo pipefail
ptagent=$1
src=$2
host=$src/tests/fixtures/hosts/workstation
# shellcheck source=/dev/null
source "$src/contrib/completion/ptagent.bash"
fail=0
expect() {  # WANTED WORDS… (the last word is the one completed)
  local want=$1
  shift
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  _ptagent
  local got=" ${COMPREPLY[*]} "
  if [[ $got == *" $want "* ]]; then
    echo "PASS: ${*:2} -> $want"
  else
    echo "FAIL: ${*:2} -> wanted $want, got:$got"
    fail=1
  fi
}
expect show "$ptagent" ""
expect setup "$ptagent" se
expect 0000:01:00.1 "$ptagent" --root "$host" show 0000:01
expect 0000:02:00.0 "$ptagent" bind --root "$host" 0000:01:00.0 ""
expect 0000:00:02.0 "$ptagent" --root "$host" mdev create ""
expect i915-GVTg_V5_8 "$ptagent" --root "$host" mdev create 0000:00:02.0 ""
expect --group "$ptagent" --root "$host" bind --g
expect --json "$ptagent" list --j
expect gpu "$ptagent" list --class g
expect uninstall "$ptagent" hook un
expect revert "$ptagent" setup re
COMP_WORDS=("$ptagent" --root "$host" show 0000:01:00.0 "")
COMP_CWORD=5
_ptagent
if [ ${#COMPREPLY[@]} -ne 0 ]; then
  echo "FAIL: show takes one DEVICE, completed: ${COMPREPLY[*]}"
  fail=1
fi
exit "$fail"
