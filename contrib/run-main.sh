#!/usr/bin/env bash
# The main job: install, build, then `ptagent` (the summary), `ptagent check` and `ptagent list` on this host and on the
# bundled simulated workstation. Changes nothing on the host. Builds only the `ptagent` executable
# (contrib/run-tests.sh builds everything, the unit tests included).
set -uo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
bash contrib/install-deps.sh || exit 1
echo "(install took $((SECONDS - t0)) s)"
t1=$SECONDS
PTAGENT_TARGETS=ptagent bash contrib/build.sh build || exit 1
echo "(build of ptagent took $((SECONDS - t1)) s)"
pt=build/ptagent
sim=tests/fixtures/hosts/workstation
run() {
  echo
  echo "\$ ptagent $*"
  "$pt" "$@"
  echo "(exit $?)"
}
echo "(first answer after ${SECONDS} s)"
echo "=== this host ==="
run
run check
run list
echo
echo "=== simulated host: $sim ==="
run --root "$sim"
run --root "$sim" check
run --root "$sim" list
run --root "$sim" groups --tree
exit 0
