#!/usr/bin/env bash
# A stripped hook is still ptagent's: `ptagent hook install --hooks-dir` accepts copies of the built
# hook after `strip` and after `objcopy --strip-all` (what a distribution build does), and still
# refuses a random executable and the CLI itself. Usage: stripped_hook.sh PTAGENT PTAGENT_HOOK
set -euo pipefail
ptagent=$1
hook=$2
tmp=$(mktemp -d /tmp/ptagent-stripped-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {  # NAME EXPECTED_RC COMMAND...
  local name=$1 want=$2 rc=0
  shift 2
  "$@" >"$tmp/out" 2>&1 || rc=$?
  if [ "$rc" -eq "$want" ]; then
    echo "PASS: $name"
  else
    echo "FAIL: $name (exit $rc, expected $want)"
    sed 's/^/  | /' "$tmp/out"
    fail=1
  fi
}

cp "$hook" "$tmp/strip"
strip "$tmp/strip"
cp "$hook" "$tmp/objcopy"
objcopy --strip-all --remove-section=.comment "$tmp/objcopy"
if readelf -S "$tmp/strip" | grep -q '\.symtab'; then
  echo "FAIL: strip left a symbol table"
  fail=1
fi
for variant in strip objcopy; do
  check "hook install accepts the hook after $variant" 0 \
    "$ptagent" hook install --hooks-dir "$tmp/hooks-$variant" --binary "$tmp/$variant"
  check "the installed copy after $variant is ours" 0 \
    "$ptagent" hook status --hooks-dir "$tmp/hooks-$variant"
  check "the installed copy after $variant is the stripped file" 0 \
    cmp "$tmp/$variant" "$tmp/hooks-$variant/qemu"
  check "hook uninstall removes it after $variant" 0 \
    "$ptagent" hook uninstall --hooks-dir "$tmp/hooks-$variant"
done

# Not the hook: a random executable, the CLI (which holds the note's parts as constants), and the
# hook with its note section removed on purpose.
cp /bin/true "$tmp/random"
cp "$ptagent" "$tmp/cli"
objcopy --remove-section=.note.ptagent "$tmp/strip" "$tmp/no-note"
for other in random cli no-note; do
  check "hook install refuses $other" 1 \
    "$ptagent" hook install --hooks-dir "$tmp/hooks-$other" --binary "$tmp/$other"
  if ! grep -q "is not the ptagent-hook binary" "$tmp/out"; then
    echo "FAIL: the refusal of $other does not say why"
    fail=1
  fi
  if [ -e "$tmp/hooks-$other/qemu" ]; then
    echo "FAIL: $other was installed"
    fail=1
  fi
done
exit "$fail"
