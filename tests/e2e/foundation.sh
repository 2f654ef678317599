#!/usr/bin/env bash
# End-to-end: the read-only commands on this machine's real sysfs and on every simulated host,
# with lspci as the peer; bad input at the process level.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
pt=${PTAGENT_BIN:-$top/build/ptagent}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
expect_rc() {  # expect_rc WANT DESCRIPTION cmd...
  local want=$1 what=$2
  shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ "$rc" -eq "$want" ]; then ok "$what (exit $rc)"; else bad "$what: exit $rc, wanted $want"; cat "$tmp/err"; fi
}

# 1. this machine: ptagent agrees with lspci on every device
"$pt" list --json >"$tmp/real.json" && lspci -nnk -D >"$tmp/real.lspci" 2>/dev/null
if python3 "$here/lib/compare_lspci.py" "$tmp/real.json" "$tmp/real.lspci"; then ok "list agrees with lspci on this host"; else bad "list vs lspci on this host"; fi

# 2. every simulated host: the same agreement, lspci reading the simulated sysfs
for host in "$top"/tests/fixtures/hosts/*/; do
  host=${host%/}
  name=$(basename "$host")
  "$pt" --root "$host" list --json >"$tmp/$name.json"
  lspci -nnk -D -A linux-sysfs -O sysfs.path="$host/sys/bus/pci" >"$tmp/$name.lspci" 2>/dev/null
  if python3 "$here/lib/compare_lspci.py" "$tmp/$name.json" "$tmp/$name.lspci"; then ok "list agrees with lspci on $name"; else bad "list vs lspci on $name"; fi
done

# 3. check on this machine: the IOMMU check FAILs with a fix, exit 1
if "$pt" check --help >/dev/null 2>&1; then
  "$pt" check >"$tmp/check" 2>&1
  rc=$?
  if [ $rc -eq 1 ] && grep -qE '^FAIL +iommu' "$tmp/check" && grep -q 'fix:' "$tmp/check"; then
    ok "check FAILs the IOMMU check on this host with a fix"
  else
    bad "check on this host (exit $rc)"; cat "$tmp/check"
  fi
fi

# 4. the real root disk and default-route NIC are host-critical here
"$pt" show 0000:00:02.0 --json >"$tmp/show.json"
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["host_critical"] and "root filesystem" in d["host_critical"] else 1)' "$tmp/show.json"; then
  ok "00:02.0 is host-critical (root filesystem)"
else
  bad "00:02.0 host-critical"
fi

# 5. bad input at the process level
expect_rc 2 "malformed address" "$pt" show 0000:00:20.0
expect_rc 2 "trailing garbage" "$pt" show 00:02.0x
expect_rc 1 "absent device" "$pt" show 0000:00:1f.0
expect_rc 2 "--root that does not exist" "$pt" --root /nonexistent/ptagent list
mkdir -p "$tmp/empty"
expect_rc 2 "--root that is not a host tree" "$pt" --root "$tmp/empty" list
expect_rc 2 "unknown command" "$pt" frobnicate
expect_rc 2 "unknown option" "$pt" list --frob
expect_rc 2 "unknown class" "$pt" list --class toaster
expect_rc 0 "--help" "$pt" --help
expect_rc 0 "global option after the command" "$pt" list --root "$top/tests/fixtures/hosts/workstation" --json
expect_rc 0 "PTAGENT_ROOT" env PTAGENT_ROOT="$top/tests/fixtures/hosts/server" "$pt" groups

echo
echo "foundation: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
