#!/usr/bin/env python3
"""Guest-side comparisons of ptagent's JSON with the kernel's own files (and lspci, a peer that reads
them). Prints PASS/FAIL lines in the bench's format; one process for many checks (every fork costs
under TCG). Usage: compare.py list|groups|verdicts PTAGENT"""
import json
import os
import re
import subprocess
import sys

SYS = "/sys/bus/pci/devices"
LINES = "/mnt/ptvm/results/lines"


def line(text):
    text = text.replace("\n", " ")[:700]
    print(text, flush=True)
    with open(LINES, "a") as f:
        f.write(text + "\n")


def report(name, problems):
    if problems:
        line("FAIL %s: %s" % (name, "; ".join(problems)))
    else:
        line("PASS %s" % name)


def run(argv, timeout=120):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def attr(dev, name):
    try:
        with open(os.path.join(SYS, dev, name)) as f:
            return f.read().strip()
    except OSError:
        return None


def link(dev, name):
    p = os.path.join(SYS, dev, name)
    return os.path.basename(os.readlink(p)) if os.path.islink(p) else None


def ptagent_json(pt, *args):
    rc, out, err = run([pt, *args, "--json"])
    try:
        return rc, json.loads(out), err
    except json.JSONDecodeError:
        return rc, None, (err or out)[:300]


def cmp_list(pt):
    """list --json against lspci -Dvmmnnk (itself reading sysfs) and the sysfs attributes."""
    rc, rows, err = ptagent_json(pt, "list")
    if rows is None:
        report("list --json", ["rc %d, no JSON: %s" % (rc, err)])
        return
    _, out, _ = run(["lspci", "-Dvmmnnk"])
    lsp = {}
    for block in out.strip().split("\n\n"):
        rec = {}
        for ln in block.splitlines():
            k, _, v = ln.partition(":\t")
            rec[k] = v
        lsp[rec["Slot"]] = rec
    ours = {r["address"]: r for r in rows}
    problems = []
    if set(ours) != set(lsp) or set(ours) != set(os.listdir(SYS)):
        problems.append("functions differ: ptagent %s, lspci %s, sysfs %s" % (sorted(ours), sorted(lsp), sorted(os.listdir(SYS))))

    def idof(s):
        m = re.search(r"\[([0-9a-f]{4})\]$", s or "")
        return m.group(1) if m else None

    for a in sorted(set(ours) & set(lsp)):
        r, l = ours[a], lsp[a]
        want = {
            "vendor_id": "0x" + idof(l.get("Vendor")),
            "device_id": "0x" + idof(l.get("Device")),
            "class": attr(a, "class"),
            "driver": l.get("Driver"),
            "revision": "0x" + l.get("Rev", "00"),
            "iommu_group": int(link(a, "iommu_group")),
            "bridge": os.path.isdir(os.path.join(SYS, a, "pci_bus")),
        }
        if l.get("SVendor"):
            want["subsystem_vendor_id"] = "0x" + idof(l["SVendor"])
            want["subsystem_device_id"] = "0x" + idof(l["SDevice"])
        if (attr(a, "class") or "")[:6] != "0x" + idof(l.get("Class")):
            problems.append("%s: lspci class %s vs sysfs %s" % (a, l.get("Class"), attr(a, "class")))
        for k, v in want.items():
            if r.get(k) != v:
                problems.append("%s: %s is %r, the kernel/lspci say %r" % (a, k, r.get(k), v))
        rm = attr(a, "reset_method")
        if rm is not None and r.get("reset_methods") != rm.split():
            problems.append("%s: reset_methods %r, reset_method file says %r" % (a, r.get("reset_methods"), rm))
        pf = link(a, "physfn")
        if pf:
            s = r.get("sriov") or {}
            if s.get("role") != "vf" or s.get("physfn") != pf:
                problems.append("%s: sriov %r, kernel physfn %s" % (a, s, pf))
        tv = attr(a, "sriov_totalvfs")
        if tv:
            s = r.get("sriov") or {}
            if s.get("role") != "pf" or s.get("total_vfs") != int(tv) or s.get("num_vfs") != int(attr(a, "sriov_numvfs")):
                problems.append("%s: sriov %r, kernel totalvfs %s numvfs %s" % (a, s, tv, attr(a, "sriov_numvfs")))
    report("list --json agrees with lspci -nnk and sysfs on all %d functions" % len(lsp), problems)


def cmp_groups(pt):
    rc, groups, err = ptagent_json(pt, "groups")
    if groups is None:
        report("groups --json", ["rc %d, no JSON: %s" % (rc, err)])
        return
    kernel = {}
    for g in os.listdir("/sys/kernel/iommu_groups"):
        kernel[int(g)] = sorted(os.listdir("/sys/kernel/iommu_groups/%s/devices" % g))
    ours = {g["group"]: sorted(m["address"] for m in g["members"]) for g in groups}
    problems = []
    for g in sorted(set(kernel) | set(ours)):
        if kernel.get(g) != ours.get(g):
            problems.append("group %d: ptagent %s, /sys/kernel/iommu_groups %s" % (g, ours.get(g), kernel.get(g)))
    for g in groups:
        for m in g["members"]:
            br = os.path.isdir(os.path.join(SYS, m["address"], "pci_bus"))
            if m.get("bridge") != br:
                problems.append("%s: bridge %r, pci_bus directory %s" % (m["address"], m.get("bridge"), br))
    report("groups --json agrees with /sys/kernel/iommu_groups on all %d groups" % len(kernel), problems)


# The expected verdicts of this layout (tests/vm/run.sh), from DESIGN.md's facts: the group is the
# unit; bridges, root ports, host bridges and ISA bridges are never assignable; host-critical devices
# are refused; a VF is judged by its vendor file and reset_method, not its 0xffff config space.
# verdict: alone | together (with the exact set) | not_assignable (with a word the reason must hold).
EXPECTED = {
    "0000:00:00.0": ("not_assignable", None, "host bridge"),
    "0000:00:01.0": ("not_assignable", None, "boot VGA"),
    "0000:00:02.0": ("not_assignable", None, "bridge"),
    "0000:00:03.0": ("not_assignable", None, "bridge"),
    "0000:00:04.0": ("not_assignable", None, "bridge"),
    "0000:00:05.0": ("not_assignable", None, "bridge"),
    "0000:00:06.0": ("not_assignable", None, "bridge"),
    "0000:00:07.0": ("not_assignable", None, "bridge"),
    "0000:00:08.0": ("not_assignable", None, "filesystem"),  # the 9p root filesystem
    "0000:00:09.0": ("not_assignable", None, "filesystem"),  # the 9p results share
    "0000:00:1f.0": ("not_assignable", None, "ISA bridge"),
    "0000:00:1f.2": ("not_assignable", None, "filesystem"),  # /mnt/data
    "0000:00:1f.3": ("not_assignable", None, None),  # shares its group with the ISA bridge and the mounted disk
    "0000:01:00.0": ("alone", None, None),
    "0000:02:00.0": ("alone", None, None),
    "0000:02:00.1": ("alone", None, None),
    "0000:02:00.2": ("alone", None, None),
    "0000:03:00.0": ("together", ["0000:03:00.1"], None),
    "0000:03:00.1": ("together", ["0000:03:00.0"], None),
    "0000:04:00.0": ("not_assignable", None, "bridge"),
    "0000:05:01.0": ("together", ["0000:05:02.0"], None),
    "0000:05:02.0": ("together", ["0000:05:01.0"], None),
    "0000:06:00.0": ("not_assignable", None, "keyboard"),
    "0000:07:00.0": ("not_assignable", None, "default route"),
}

RESET_NAMES = {"flr": "function level reset", "pm": "PM reset", "bus": "bus reset"}


def cmp_verdicts(pt):
    present = sorted(os.listdir(SYS))
    missing = [a for a in EXPECTED if a not in present and not a.startswith("0000:02:00.")]
    unknown = [a for a in present if a not in EXPECTED]
    report("the layout is the expected one", (["missing " + " ".join(missing)] if missing else []) + (["unexpected " + " ".join(unknown)] if unknown else []))
    rc, groups, err = ptagent_json(pt, "groups")
    gmember = {}
    for g in groups or []:
        for m in g["members"]:
            gmember[m["address"]] = m
    for a in present:
        if a not in EXPECTED:
            continue
        verdict, together, why = EXPECTED[a]
        problems = []
        rc, p, err = ptagent_json(pt, "probe", a, "--no-live")
        if p is None:
            report("probe --no-live %s" % a, ["rc %d, no JSON: %s" % (rc, err)])
            continue
        if p.get("verdict") != verdict:
            problems.append("verdict %r (want %r): %s" % (p.get("verdict"), verdict, p.get("summary") or p.get("reason")))
        if verdict == "together" and sorted(p.get("together_with") or []) != together:
            problems.append("together_with %r, want %r" % (p.get("together_with"), together))
        if why and verdict == "not_assignable" and p.get("verdict") == verdict:
            text = (p.get("summary", "") + " " + p.get("reason", "")).lower()
            if why.lower() not in text:
                problems.append("the reason does not say %r: %s" % (why, p.get("summary")))
        if (rc == 0) != (verdict != "not_assignable"):
            problems.append("exit status %d for verdict %s" % (rc, verdict))
        st = p.get("static") or {}
        rm = attr(a, "reset_method")
        if rm is not None and not os.path.isdir(os.path.join(SYS, a, "pci_bus")):
            methods = rm.split()
            if st.get("reset_methods") != methods:
                problems.append("reset_methods %r, the kernel's reset_method %r" % (st.get("reset_methods"), methods))
            # The kernel uses exactly what reset_method lists, in order; a listed bus reset the kernel
            # refuses because another function shares the bus (pci_parent_bus_reset) does not count.
            bus = os.path.dirname(os.path.realpath(os.path.join(SYS, a)))
            siblings = [d for d in os.listdir(bus) if re.match(r"^[0-9a-f]{4}:", d) and d != a]
            usable = [m for m in methods if not (m == "bus" and siblings)]
            drv = link(a, "driver")
            if drv != "vfio-pci" and usable and usable[0] in RESET_NAMES and not str(st.get("reset_by")).startswith(RESET_NAMES[usable[0]]):
                problems.append("reset by %r, the kernel's reset_method %r says %r" % (st.get("reset_by"), rm, RESET_NAMES[usable[0]]))
            if "flr" in methods and st.get("flr") is not True:
                problems.append("flr %r although reset_method lists flr" % st.get("flr"))
        report("probe --no-live %s: %s" % (a, verdict), problems)
        # show: the same verdict, and never advice to bind what probe refuses.
        rc, out, err = run([pt, "show", a])
        problems = []
        if rc != 0:
            problems.append("rc %d: %s" % (rc, (err or out)[:200]))
        advice = [ln.strip() for ln in out.splitlines() if "ptagent bind" in ln or "ptagent detach" in ln or "ptagent attach" in ln]
        if verdict == "not_assignable" and advice:
            problems.append("advises %r for a device that is not assignable" % advice[0])
        report("show %s agrees (%s)" % (a, verdict), problems)
        m = gmember.get(a)
        problems = []
        if m is None:
            problems.append("not in groups --json")
        else:
            va = m.get("viable_alone")
            if verdict == "alone" and va is not True:
                problems.append("viable_alone %r, probe verdict alone" % va)
            if verdict != "alone" and va is True:
                problems.append("viable_alone true, but %s is %s" % (a, verdict))
            if verdict == "together" and sorted(m.get("needs") or []) != together:
                problems.append("needs %r, want %r" % (m.get("needs"), together))
        report("groups verdict of %s agrees (%s)" % (a, verdict), problems)


def main():
    what, pt = sys.argv[1], sys.argv[2]
    {"list": cmp_list, "groups": cmp_groups, "verdicts": cmp_verdicts}[what](pt)


if __name__ == "__main__":
    main()
