#!/usr/bin/env bash
# The main job's time as a new user meets it: a fresh clone of this repository's HEAD (no build
# dir, no ccache), then contrib/run-main.sh, timed to its first answer.
#
#   tests/bench/main_job.sh [--keep]
#
# Prints run-main.sh's own "(install took …)", "(build of ptagent took …)" and "(first answer
# after … s)" lines, the CPU time of the whole run and the load average before and after (on a
# shared machine the wall time says more about the neighbours than about the build). --keep keeps
# the clone. Runs as root (run-main.sh installs the packages first); changes nothing on the host.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
keep=0
case ${1:-} in
  --keep) keep=1 ;;
  -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "main_job.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac
clone=$(mktemp -d "${TMPDIR:-/tmp}/ptagent-main-job.XXXXXX")
[ "$keep" = 1 ] || trap 'rm -rf "$clone"' EXIT
git clone -q "$top" "$clone/ptagent"
echo "== fresh clone of $(git -C "$top" rev-parse --short HEAD) in $clone/ptagent"
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
log=$clone/run-main.log
# No compiler cache and no launcher: what a fresh machine does.
( cd "$clone/ptagent" &&
  env -u CCACHE_DIR CCACHE_DISABLE=1 /usr/bin/time -f '%e s wall, %U s user, %S s system' \
    bash contrib/run-main.sh ) >"$log" 2>&1 || { tail -20 "$log"; exit 1; }
grep -E '^\((install took|build of ptagent took|first answer after)' "$log"
echo "whole run-main.sh: $(tail -1 "$log")"
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
