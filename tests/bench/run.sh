#!/usr/bin/env bash
# ptagent against the tools an administrator would use instead, side by side, on this machine.
#
#   tests/bench/run.sh [--markdown FILE] [--quick]
#   tests/bench/run.sh --main-job     (tests/bench/main_job.sh: contrib/run-main.sh from a fresh
#                                      clone without ccache, timed to its first answer)
#
# Builds ptagent, ptagent-hook and the test hook ptagent-hook-sim into build-bench/ (override with
# PTAGENT_BENCH_BUILD=DIR), generates the simulated hosts into a temp dir (tmpfs when /dev/shm is
# writable: sysfs lives in memory too), checks that both sides of each pair do the same work, then
# runs every pair interleaved (ptagent, peer, ptagent, peer, ...) and prints a table of median wall
# times, peak resident memory and the ratio ptagent/peer against the targets of issue 9.
# --markdown FILE also writes the table as Markdown (for docs/BENCHMARKS.md); --quick runs fewer
# rounds (a smoke test, not a measurement). Needs: cmake, ninja, g++, pkg-config, libvirt-dev,
# pciutils (lspci), python3, GNU time; no network. Changes nothing outside its build and temp dirs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${PTAGENT_BENCH_BUILD:-$top/build-bench}
markdown=
quick=0
while [ $# -gt 0 ]; do
  case $1 in
    --markdown) markdown=${2:?--markdown needs a file}; shift 2 ;;
    --quick) quick=1; shift ;;
    --main-job) exec bash "$here/main_job.sh" ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
export LC_ALL=C
started=$(date +%s)
load0=$(cut -d' ' -f1-3 /proc/loadavg)

for tool in cmake ninja g++ pkg-config lspci python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "run.sh: '$tool' is missing (apt-get install cmake ninja-build g++ pkg-config libvirt-dev pciutils python3 time)" >&2; exit 1; }
done
pkg-config --exists libvirt || { echo "run.sh: libvirt development files are missing (apt-get install libvirt-dev)" >&2; exit 1; }

# rounds per pair: R_FAST for millisecond cases, R_MID, R_SLOW for the 2,064-function shell loop
if [ "$quick" = 1 ]; then R_FAST=20 R_MID=3 R_SLOW=1; else R_FAST=300 R_MID=15 R_SLOW=3; fi

echo "== build ($build) [$(( $(date +%s) - started )) s]"
mkdir -p "$build/bench"
cmake -S "$top" -B "$build" -G Ninja -DPTAGENT_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build/bench/cmake.log" 2>&1 \
  || { cat "$build/bench/cmake.log" >&2; exit 1; }
rm -f "$build/bench/cmake.log"
ninja -C "$build" -j2 ptagent ptagent-hook ptagent-hook-sim >"$build/bench/ninja.log" 2>&1 || { cat "$build/bench/ninja.log" >&2; exit 1; }
tail -1 "$build/bench/ninja.log"
rm -f "$build/bench/ninja.log"
pt=$build/ptagent
hook=$build/hooks/ptagent-hook
simhook=$build/tests/ptagent-hook-sim
lvhook=$build/bench/libvirt-linked-hook
# shellcheck disable=SC2046
g++ -O2 -Wall -Wextra -o "$lvhook" "$here/libvirt_linked_hook.cpp" $(pkg-config --cflags --libs libvirt)
ldd "$lvhook" | grep -q 'libvirt\.so' || { echo "run.sh: $lvhook does not load libvirt.so" >&2; exit 1; }
if ldd "$hook" | grep -q 'libvirt\.so'; then echo "run.sh: note: ptagent-hook loads libvirt.so" >&2; fi

tmpbase=/tmp
[ -w /dev/shm ] && tmpbase=/dev/shm
tmp=$(mktemp -d "$tmpbase/ptagent-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
results=$tmp/results.jsonl
bench() { python3 "$here/bench.py" pair "$results" "$@"; }

echo "== simulated hosts and inputs ($tmp) [$(( $(date +%s) - started )) s]"
python3 "$top/tests/fixtures/gen_hosts.py" "$tmp/h64" --host large --pfs 4 --vfs 15
python3 "$top/tests/fixtures/gen_hosts.py" "$tmp/h2064" --host large --pfs 16 --vfs 128
L64=$tmp/h64/large
L2064=$tmp/h2064/large
ws=$tmp/ws          # prepare/release cycle (the kernel double changes it)
wsbig=$tmp/ws-big   # the 1 MiB document (the hook only checks; it creates run/ptagent)
cp -a "$top/tests/fixtures/hosts/workstation" "$ws"
cp -a "$top/tests/fixtures/hosts/workstation" "$wsbig"
in=$tmp/in
python3 "$here/make_inputs.py" "$in" >"$tmp/mdevs"
read -r mdev_a mdev_b <"$tmp/mdevs"

# The peers, as people write them.
cat >"$tmp/sh-hook" <<'EOF'
#!/bin/sh
cat >/dev/null
exit 0
EOF
chmod +x "$tmp/sh-hook"
# The IOMMU group listing loop of the Arch wiki, pointed at a simulated root.
cat >"$tmp/arch-groups.sh" <<'EOF'
#!/bin/bash
ROOT=$1
for g in $(find "$ROOT"/sys/kernel/iommu_groups/* -maxdepth 0 -type d | sort -V); do
  echo "IOMMU Group ${g##*/}:"
  for d in $g/devices/*; do
    echo -e "\t$(lspci -nns ${d##*/} -A linux-sysfs -O sysfs.path="$ROOT"/sys/bus/pci)"
  done
done
EOF
# Decimal bus/slot/function (as virsh nodedev-dumpxml prints them) to <hostdev>, one printf each.
cat >"$tmp/printf-hostdev.sh" <<'EOF'
#!/bin/bash
while read -r dom bus slot fn; do
  printf "<hostdev mode='subsystem' type='pci' managed='yes'>\n  <source>\n    <address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>\n  </source>\n</hostdev>\n" "$dom" "$bus" "$slot" "$fn"
done <"$1"
EOF
chmod +x "$tmp/arch-groups.sh" "$tmp/printf-hostdev.sh"

echo "== checks: both sides of each pair do the same work [$(( $(date +%s) - started )) s]"
fail() { echo "run.sh: check failed: $*" >&2; exit 1; }
# hook do-nothing
PTAGENT_ROOT=$ws "$hook" bench-plain started begin - <"$in/plain.xml" || fail "ptagent-hook started begin"
[ ! -e "$ws/run/ptagent" ] || fail "the do-nothing path created run/ptagent"
# prepare/release cycle on the kernel double
PTAGENT_ROOT=$ws "$simhook" bench-cycle prepare begin - <"$in/cycle.xml" || fail "prepare of cycle.xml"
for u in "$mdev_a" "$mdev_b"; do [ -e "$ws/sys/bus/mdev/devices/$u" ] || fail "prepare did not create mdev $u"; done
for f in 01:00.0 01:00.1; do
  [ "$(basename "$(readlink "$ws/sys/bus/pci/devices/0000:$f/driver")")" = vfio-pci ] || fail "prepare did not bind $f to vfio-pci"
done
PTAGENT_ROOT=$ws "$simhook" bench-cycle release end - <"$in/cycle.xml" || fail "release of cycle.xml"
for u in "$mdev_a" "$mdev_b"; do [ ! -e "$ws/sys/bus/mdev/devices/$u" ] || fail "release left mdev $u"; done
[ "$(basename "$(readlink "$ws/sys/bus/pci/devices/0000:01:00.0/driver")")" = nouveau ] || fail "release did not give 01:00.0 back to nouveau"
[ "$(basename "$(readlink "$ws/sys/bus/pci/devices/0000:01:00.1/driver")")" = snd_hda_intel ] || fail "release did not give 01:00.1 back"
python3 -c 'import json,sys; sys.exit(1 if json.load(open(sys.argv[1])).get("changes") else 0)' "$ws/run/ptagent/journal.json" \
  || fail "journal not empty after release"
# 1 MiB domain: parsed to its end (the refused variant's only <hostdev> is its last element)
big_bytes=$(stat -c %s "$in/big.xml")
[ "$big_bytes" -ge 1000000 ] || fail "big.xml is only $big_bytes bytes"
PTAGENT_ROOT=$wsbig "$hook" bench-big prepare begin - <"$in/big.xml" 2>"$tmp/big.err" || fail "prepare of big.xml: $(cat "$tmp/big.err")"
if PTAGENT_ROOT=$wsbig "$hook" bench-big prepare begin - <"$in/big-refused.xml" 2>"$tmp/big.err"; then fail "big-refused.xml was accepted"; fi
grep -q '0000:01:00.1' "$tmp/big.err" || fail "big-refused.xml: no refusal naming 0000:01:00.1"
# list vs lspci: the same functions
for r in "$L64" "$L2064"; do
  n=$(find "$r/sys/bus/pci/devices" -mindepth 1 -maxdepth 1 | wc -l)
  a=$("$pt" --root "$r" list | grep -c '^[0-9a-f]\{4\}:' || true)
  b=$(lspci -nnk -A linux-sysfs -O sysfs.path="$r/sys/bus/pci" 2>/dev/null | grep -c '^[0-9a-f]' || true)
  [ "$a" = "$n" ] && [ "$b" = "$n" ] || fail "list: $n functions, ptagent lists $a, lspci $b"
  g=$(find "$r/sys/kernel/iommu_groups" -mindepth 1 -maxdepth 1 -type d | wc -l)
  a=$("$pt" --root "$r" groups | grep -c '^IOMMU group ' || true)
  [ "$a" = "$g" ] || fail "groups: $g groups, ptagent shows $a"
  if [ "$r" = "$L64" ]; then  # on 2,064 functions the loop takes minutes: checked after its timed runs
    b=$("$tmp/arch-groups.sh" "$r" 2>/dev/null | grep -c '^IOMMU Group ' || true)
    [ "$b" = "$g" ] || fail "groups: $g groups, the Arch wiki loop shows $b"
  fi
  echo "  $(basename "$(dirname "$r")"): $n functions, $g groups: ptagent list/groups and lspci agree on the count"
  [ "$r" = "$L64" ] && n64=$n
  [ "$r" = "$L2064" ] && n2064=$n
done
# gen-xml: 256 <hostdev> each
mapfile -t addrs <"$in/gen-xml-hex.txt"
a=$("$pt" --root "$L2064" gen-xml "${addrs[@]}" 2>/dev/null | grep -c '<hostdev ' || true)
b=$("$tmp/printf-hostdev.sh" "$in/gen-xml-dec.txt" | grep -c '<hostdev ' || true)
[ "$a" = 256 ] && [ "$b" = 256 ] || fail "gen-xml: ptagent $a <hostdev>, printf $b"

echo "== interleaved runs [$(( $(date +%s) - started )) s]"
H="PTAGENT_ROOT=$ws"
bench --case "hook do-nothing (started begin, 2-disk 2-NIC guest)" --runs $((R_FAST * 2)) --target 'ratio<=1.0' \
  --peer-name "#!/bin/sh hook: cat >/dev/null; exit 0" \
  --ptagent "$H $hook bench-plain started begin - < $in/plain.xml" \
  --peer "$tmp/sh-hook bench-plain started begin - < $in/plain.xml"
bench --case "hook do-nothing (same)" --runs "$R_FAST" --target report --peer-name "do-nothing C++ hook linked with libvirt.so" \
  --note "the peer reads stdin and exits 0 like the /bin/sh hook; it only links libvirt.so (tests/bench/libvirt_linked_hook.cpp)" \
  --ptagent "$H $hook bench-plain started begin - < $in/plain.xml" \
  --peer "$lvhook bench-plain started begin - < $in/plain.xml"
steps() {  # the hook calls of one domain start and stop, as libvirt makes them
  local bin=$1 env=$2 out= s
  for s in "prepare begin" "start begin" "started begin" "stopped end" "release end"; do
    out+="${out:+ ;; }$env $bin bench-cycle $s - < $in/cycle.xml"
  done
  printf '%s' "$out"
}
bench --case "hook start+stop: 2 mdevs + 2 unmanaged PCI (5 calls)" --runs "$((R_MID * 4))" --target report \
  --peer-name "#!/bin/sh hook, the same 5 calls" \
  --note "one sample = the 5 hook calls of a start and a stop (prepare, start, started, stopped, release); ptagent-hook-sim = ptagent-hook with the kernel double as sysfs writer" \
  --ptagent "$(steps "$simhook" "PTAGENT_ROOT=$ws")" --peer "$(steps "$tmp/sh-hook" "")"
bench --case "hook prepare begin, 1 MiB domain XML" --runs "$R_MID" --target 'mem<16' \
  --peer-name "#!/bin/sh hook" \
  --note "$big_bytes bytes: $(grep -c '<disk ' "$in/big.xml") disks, $(grep -c '<interface ' "$in/big.xml") NICs, one managed <hostdev> (0000:00:17.0), checked against the simulated workstation" \
  --ptagent "PTAGENT_ROOT=$wsbig $hook bench-big prepare begin - < $in/big.xml" \
  --peer "$tmp/sh-hook bench-big prepare begin - < $in/big.xml"
bench --case "list, $n64 functions" --runs "$R_MID" --target report --peer-name "lspci -nnk" \
  --ptagent "$pt --root $L64 list" --peer "lspci -nnk -A linux-sysfs -O sysfs.path=$L64/sys/bus/pci"
bench --case "list, $n2064 functions" --runs "$R_MID" --target 'ratio<=0.5' --peer-name "lspci -nnk" \
  --ptagent "$pt --root $L2064 list" --peer "lspci -nnk -A linux-sysfs -O sysfs.path=$L2064/sys/bus/pci"
bench --case "groups, $n64 functions" --runs "$R_MID" --target report --peer-name "Arch wiki loop (lspci -nns per device)" \
  --ptagent "$pt --root $L64 groups" --peer "$tmp/arch-groups.sh $L64"
bench --case "gen-xml, 256 addresses, one call" --runs "$R_MID" --target report --peer-name "bash loop: 256 printf (decimal to hex)" \
  --note "ptagent also validates each snippet against libvirt's RelaxNG schema and checks the host ($n2064 functions)" \
  --ptagent "$pt --root $L2064 gen-xml ${addrs[*]}" --peer "$tmp/printf-hostdev.sh $in/gen-xml-dec.txt"
# Last, the slow one: the loop runs lspci once per function (25-80 s a round here, depending on the
# load). No warm-up round (tmpfs; ptagent reads the same tree first in each round), peak memory from
# GNU time around the timed runs, and no round that would end past the 9-minute mark.
mkdir -p "$tmp/out"
bench --case "groups, $n2064 functions" --runs "$R_SLOW" --warmup 0 --time-wrap --keep-stdout "$tmp/out" \
  --max-seconds $((540 - ($(date +%s) - started))) --target 'ratio<=0.05' --peer-name "Arch wiki loop (lspci -nns per device)" \
  --ptagent "$pt --root $L2064 groups" --peer "$tmp/arch-groups.sh $L2064"
b=$(grep -c '^IOMMU Group ' "$tmp/out/peer.out" || true); [ "$b" = "$n2064" ] || fail "groups: the Arch wiki loop showed $b groups, not $n2064"
a=$(grep -c '^IOMMU group ' "$tmp/out/ptagent.out" || true); [ "$a" = "$n2064" ] || fail "groups: ptagent showed $a groups, not $n2064"

# The brief's tool for the peak memory of the hook: GNU time's maximum resident set size.
gnu_rss=$(PTAGENT_ROOT=$wsbig /usr/bin/time -v "$hook" bench-big prepare begin - <"$in/big.xml" 2>&1 >/dev/null |
  sed -n 's/.*Maximum resident set size (kbytes): //p')

echo
echo "ptagent benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), kernel $(uname -r)"
echo "load average: $load0 before the run, $(cut -d' ' -f1-3 /proc/loadavg) after it"
echo
python3 "$here/bench.py" table "$results"
echo "- growth $(python3 "$here/bench.py" growth "$results" "list, $n64 functions" "list, $n2064 functions")"
echo "- growth $(python3 "$here/bench.py" growth "$results" "groups, $n64 functions" "groups, $n2064 functions")"
echo "- ptagent-hook on the 1 MiB domain, /usr/bin/time maximum resident set size: $gnu_rss KiB ($((gnu_rss / 1024)) MiB)"
if [ -n "$markdown" ]; then
  {
    echo "ptagent benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), kernel $(uname -r), load average before the run: $load0"
    echo
    python3 "$here/bench.py" table "$results" --markdown
    echo "- growth $(python3 "$here/bench.py" growth "$results" "list, $n64 functions" "list, $n2064 functions")"
    echo "- growth $(python3 "$here/bench.py" growth "$results" "groups, $n64 functions" "groups, $n2064 functions")"
    echo "- ptagent-hook on the 1 MiB domain, /usr/bin/time maximum resident set size: $gnu_rss KiB"
  } >"$markdown"
fi
echo "(run.sh took $(( $(date +%s) - started )) s)"
