# bound: 420
# probe --no-live, show and groups of every function of the layout against the expected verdicts
# (the table in compare.py), with SR-IOV VFs present (02:00.1, 02:00.2).
pf=/sys/bus/pci/devices/0000:02:00.0
[ "$(cat $pf/sriov_numvfs)" = 2 ] || echo 2 >$pf/sriov_numvfs
wait_for 30 test -e /sys/bus/pci/devices/0000:02:00.2
python3 "$PTVM_DIR/guest/compare.py" verdicts "$PT"
