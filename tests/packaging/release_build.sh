#!/usr/bin/env bash
# A Release build at -O3 behaves like the tested (RelWithDebInfo) one: builds ptagent and
# ptagent-hook into BUILD_DIR with -DCMAKE_BUILD_TYPE=Release and -O3 (ccache when there is one),
# then checks that both answer --version, that `ptagent hook install` accepts the -O3 hook as it
# is and stripped (tests/packaging/stripped_hook.sh on the Release binaries), and that the -O3 CLI
# prints byte for byte what the tested CLI prints for check, list, groups and plan (text and
# --json) on every simulated host. Usage: release_build.sh BUILD_DIR TESTED_BUILD_DIR
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
dir=$1
tested=$2/ptagent
version=$(sed -n 's/^project(ptagent VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
t0=$SECONDS
mkdir -p "$dir"
log=$dir/release-build.log
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# Warnings are not errors here, as in a distribution's build: GCC 12 at -O3 warns -Wrestrict
# inside libstdc++'s std::string operator+ (GCC PR 105651, a false positive fixed in GCC 13).
# They are counted below; the -O2 build (contrib/build.sh) keeps -Werror.
if ! PTAGENT_TARGETS="ptagent ptagent-hook" bash "$src/contrib/build.sh" "$dir" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O3 -DNDEBUG" -DPTAGENT_TESTS=OFF \
  -DPTAGENT_WERROR=OFF "${launcher[@]}" >"$log" 2>&1; then
  tail -30 "$log"
  echo "FAIL: the Release build"
  exit 1
fi
echo "PASS: Release -O3 build ($((SECONDS - t0)) s, $(grep -c 'warning: ' "$log") compiler warnings:" \
  "$(grep -o '\[-W[a-z-]*\]' "$log" | sort | uniq -c | tr -s ' \n' ' ')see $log)"
fail=0
ptagent=$dir/ptagent
hook=$dir/hooks/ptagent-hook
if ! grep -q -- '-O3' "$dir/compile_commands.json"; then
  echo "FAIL: the build did not compile with -O3"
  fail=1
fi
out=$("$ptagent" --version) && [ "$out" = "ptagent $version" ] && echo "PASS: ptagent --version: $out" ||
  { echo "FAIL: ptagent --version: $out"; fail=1; }
out=$("$hook" --version) && [ "$out" = "ptagent-hook $version" ] &&
  echo "PASS: ptagent-hook --version: $out" || { echo "FAIL: ptagent-hook --version: $out"; fail=1; }
tmp=$(mktemp -d /tmp/ptagent-release-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# The -O3 hook as built, found next to the CLI as an installed one is.
if "$ptagent" hook install --hooks-dir "$tmp/hooks" >"$tmp/out" 2>&1 && cmp -s "$tmp/hooks/qemu" "$hook"; then
  echo "PASS: hook install takes the -O3 hook"
else
  sed 's/^/  | /' "$tmp/out"
  echo "FAIL: hook install refuses the -O3 hook"
  fail=1
fi
# Stripped (strip and objcopy --strip-all) and what must still be refused.
bash "$src/tests/packaging/stripped_hook.sh" "$ptagent" "$hook" || fail=1
# The same answers as the tested build.
for host in "$src"/tests/fixtures/hosts/*/; do
  name=$(basename "$host")
  for cmd in "check" "check --json" "list" "list --json" "groups" "groups --json" "plan 0000:01:00.0"; do
    # shellcheck disable=SC2086 # cmd is words
    "$tested" --root "$host" $cmd >"$tmp/want" 2>&1
    want_rc=$?
    # shellcheck disable=SC2086
    "$ptagent" --root "$host" $cmd >"$tmp/got" 2>&1
    got_rc=$?
    if [ "$want_rc" -eq "$got_rc" ] && cmp -s "$tmp/want" "$tmp/got"; then
      echo "PASS: $name: $cmd (exit $got_rc) as tested"
    else
      echo "FAIL: $name: $cmd differs from the tested build (exit $got_rc, tested $want_rc)"
      diff "$tmp/want" "$tmp/got" | head -20 | sed 's/^/  | /'
      fail=1
    fi
  done
done
echo "release build test: $((SECONDS - t0)) s"
exit "$fail"
