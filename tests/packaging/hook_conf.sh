#!/usr/bin/env bash
# The hook binary reads /etc/ptagent/ptagent.conf (under PTAGENT_ROOT): with log_file set, a
# release step writes to that file, and a bad line is logged there with the file and its line;
# the CLI's `hook config` reports the same line (exit 2). Usage: hook_conf.sh PTAGENT PTAGENT_HOOK
set -uo pipefail
ptagent=$1
hook=$2
tmp=$(mktemp -d /tmp/ptagent-hookconf-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
root=$tmp/root
mkdir -p "$root/etc/ptagent" "$root/run/ptagent" "$root/sys"
: >"$root/run/ptagent/journal.json"  # a journal, so that release has something to look at
printf '# test\nhook_timeout = 20\ncolour = blue\nlog_file = %s\n' "$tmp/hook.log" \
  >"$root/etc/ptagent/ptagent.conf"
echo "<domain type='kvm'><name>d</name></domain>" |
  PTAGENT_ROOT=$root "$hook" d release end - >"$tmp/out" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then echo "PASS: release end (exit 0)"; else
  echo "FAIL: release end exited $rc"
  sed 's/^/  | /' "$tmp/out"
  fail=1
fi
if grep -q "/etc/ptagent/ptagent.conf:3: unknown key 'colour'" "$tmp/hook.log" 2>/dev/null; then
  echo "PASS: the hook read ptagent.conf (its log_file) and logged line 3 with the file's name"
else
  echo "FAIL: no 'ptagent.conf:3: unknown key' in the hook's log_file"
  sed 's/^/  | /' "$tmp/hook.log" 2>/dev/null
  fail=1
fi
"$ptagent" --root "$root" hook config >"$tmp/cfg" 2>"$tmp/cfg.err"
rc=$?
if [ "$rc" -eq 2 ] && grep -qx "ptagent: $root/etc/ptagent/ptagent.conf:3: unknown key 'colour'" "$tmp/cfg.err" &&
  grep -qx "hook_timeout = 20" "$tmp/cfg"; then
  echo "PASS: ptagent hook config: the same line, exit 2"
else
  echo "FAIL: ptagent hook config (exit $rc)"
  sed 's/^/  | /' "$tmp/cfg" "$tmp/cfg.err"
  fail=1
fi
exit "$fail"
