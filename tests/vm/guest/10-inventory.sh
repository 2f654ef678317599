# bound: 240
# check, list and groups against the kernel's own files (and lspci, which reads them).
out=$("$PT" check 2>&1); rc=$?
if [ "$rc" -eq 0 ] && ! echo "$out" | grep -q '^FAIL'; then pass "check"; else fail "check" "rc $rc: $(echo "$out" | grep -v '^PASS')"; fi
info "check says: $(echo "$out" | grep -E '^[A-Z]+ +(cpu|iommu|interrupt-remapping|vfio-modules|vfio-virqfd|kvm) ' | tr -s ' ' | tr '\n' '|')"
# The IOMMU present is VT-d (dmar0 under /sys/class/iommu), whatever the CPU model says.
units=$(ls /sys/class/iommu)
case $units in
dmar*) want="VT-d" ;;
ivhd*) want="AMD-Vi" ;;
*) want="$units" ;;
esac
other=$([ "$want" = VT-d ] && echo AMD-Vi || echo VT-d)
if echo "$out" | grep -q "$other"; then
  fail "check names the IOMMU that /sys/class/iommu shows ($units: $want)" "$(echo "$out" | grep "$other" | head -2)"
else
  pass "check names the IOMMU that /sys/class/iommu shows ($units: $want)"
fi
python3 "$PTVM_DIR/guest/compare.py" list "$PT"
python3 "$PTVM_DIR/guest/compare.py" groups "$PT"
