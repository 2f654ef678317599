#!/usr/bin/env python3
"""Compares `ptagent list --json` with `lspci -nnk -D` output: address, class, IDs, driver."""
import json
import re
import sys

def parse_lspci(text):
    devices = {}
    current = None
    head = re.compile(r'^([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) .*?\[([0-9a-f]{4})\]: .*\[([0-9a-f]{4}):([0-9a-f]{4})\]')
    for line in text.splitlines():
        m = head.match(line)
        if m:
            current = m.group(1)
            devices[current] = {"class": m.group(2), "vendor": m.group(3), "device": m.group(4), "driver": None}
            continue
        if current and line.strip().startswith("Kernel driver in use:"):
            devices[current]["driver"] = line.split(":", 1)[1].strip()
    return devices

def main():
    ours = json.load(open(sys.argv[1]))
    theirs = parse_lspci(open(sys.argv[2]).read())
    problems = []
    mine = {d["address"]: d for d in ours}
    if set(mine) != set(theirs):
        problems.append("address sets differ: only ptagent %s, only lspci %s" %
                        (sorted(set(mine) - set(theirs)), sorted(set(theirs) - set(mine))))
    for addr in sorted(set(mine) & set(theirs)):
        a, b = mine[addr], theirs[addr]
        if a["class"][2:6] != b["class"]:
            problems.append("%s class %s vs %s" % (addr, a["class"], b["class"]))
        if a["vendor_id"][2:] != b["vendor"] or a["device_id"][2:] != b["device"]:
            problems.append("%s ids %s:%s vs %s:%s" % (addr, a["vendor_id"], a["device_id"], b["vendor"], b["device"]))
        if a["driver"] != b["driver"]:
            problems.append("%s driver %s vs %s" % (addr, a["driver"], b["driver"]))
    for p in problems:
        print("  mismatch:", p)
    print("  compared %d devices, %d mismatches" % (len(set(mine) & set(theirs)), len(problems)))
    return 1 if problems or not mine else 0

sys.exit(main())
