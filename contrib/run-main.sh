#!/usr/bin/env bash
# The main job: install, build, then `ptagent check` and `ptagent list` on this host and on the
# bundled simulated workstation. Changes nothing on the host.
set -uo pipefail
cd "$(dirname "$0")/.."
bash contrib/install-deps.sh || exit 1
bash contrib/build.sh build || exit 1
pt=build/ptagent
sim=tests/fixtures/hosts/workstation
run() {
  echo
  echo "\$ ptagent $*"
  "$pt" "$@"
  echo "(exit $?)"
}
echo "=== this host ==="
run check
run list
echo
echo "=== simulated host: $sim ==="
run --root "$sim" check
run --root "$sim" list
run --root "$sim" groups
exit 0
