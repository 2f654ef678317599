# bound: 240
# SR-IOV on QEMU's nvme (02:00.0, sriov_max_vfs=2): counts through 0, refusal while a VF is on
# vfio-pci, the journal restoring the count.
pf=0000:02:00.0
P=$(sysdev $pf)
nvfs() { cat "$P/sriov_numvfs"; }
n0=$(nvfs)  # ptagent's journal restores the count it found before its first change
expect "sriov $pf --vfs 0" 0 "$PT" sriov $pf --vfs 0
[ "$(nvfs)" = 0 ] && [ ! -e "$(sysdev 0000:02:00.1)" ] && pass "sriov --vfs 0: sriov_numvfs 0, VFs gone" || fail "sriov --vfs 0" "sriov_numvfs $(nvfs)"
expect "sriov $pf --vfs 2" 0 "$PT" sriov $pf --vfs 2
[ "$(nvfs)" = 2 ] && [ -e "$(sysdev 0000:02:00.2)" ] && pass "sriov --vfs 2: two VFs (02:00.1, 02:00.2)" || fail "sriov --vfs 2" "sriov_numvfs $(nvfs)"
expect "sriov $pf --vfs 1 (through 0)" 0 "$PT" sriov $pf --vfs 1
[ "$(nvfs)" = 1 ] && pass "sriov --vfs 1: sriov_numvfs 1" || fail "sriov --vfs 1" "sriov_numvfs $(nvfs)"
expect "sriov $pf --vfs 3 (above sriov_totalvfs $(cat "$P/sriov_totalvfs")) is refused" 1 "$PT" sriov $pf --vfs 3
[ "$(nvfs)" = 1 ] && pass "refused --vfs 3 changed nothing" || fail "refused --vfs 3" "sriov_numvfs $(nvfs)"
expect "sriov 0000:01:00.0 (not a PF) is refused with status 1" 1 "$PT" sriov 0000:01:00.0
expect "sriov $pf --vfs 2" 0 "$PT" sriov $pf --vfs 2
# The VF's own vendor file holds the real ID; its config space reads 0xffff by design.
v=$(cat "$(sysdev 0000:02:00.1)/vendor")
cfg=$(od -An -tx2 -N2 "$(sysdev 0000:02:00.1)/config" | tr -d ' ')
info "VF 02:00.1: vendor file $v, config space vendor 0x$cfg, reset_method '$(cat "$(sysdev 0000:02:00.1)/reset_method" 2>/dev/null)'"
expect "bind 0000:02:00.1 (a VF)" 0 "$PT" bind 0000:02:00.1
expect "sriov --vfs 0 while VF 02:00.1 is on vfio-pci is refused" 1 "$PT" sriov $pf --vfs 0
[ "$(nvfs)" = 2 ] && [ "$(driver_of 0000:02:00.1)" = vfio-pci ] && pass "the refusal changed nothing" || fail "refused --vfs 0" "sriov_numvfs $(nvfs), VF driver $(driver_of 0000:02:00.1)"
expect "restore 0000:02:00.1" 0 "$PT" restore 0000:02:00.1
expect "sriov $pf --vfs 0 once no VF is in use" 0 "$PT" sriov $pf --vfs 0
expect "sriov $pf --vfs 1" 0 "$PT" sriov $pf --vfs 1
expect "restore --all puts the VF count back" 0 "$PT" restore --all
[ "$(nvfs)" = "$n0" ] && pass "restore --all: sriov_numvfs back to $n0, the count before ptagent's first change" || fail "restore --all: sriov_numvfs" "$(nvfs), want $n0: $OUT"
[ "$(nvfs)" = 2 ] || { echo 0 >"$P/sriov_numvfs"; echo 2 >"$P/sriov_numvfs"; }
