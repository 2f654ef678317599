#!/usr/bin/env bash
# Every #include "..." in src/, agent/ and hooks/ names a layer at or below the including file's
# own (ARCHITECTURE.md); the compiler enforces the same through per-layer include roots, this also
# covers the files at the top of src/ and says which line is wrong. Usage: check-layers.sh [REPO]
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
python3 - <<'PY'
import os, re, sys
order = ["util", "sysfs", "pci", "host", "ops", "setup", "check", "xml", "domain", "virt"]
rank = {name: i for i, name in enumerate(order)}
# The front ends: the CLI may use every layer; the hook everything below virt, and never libpci.
rank["agent"] = len(order)
rank["hooks"] = rank["domain"]
root_headers = {"error.hpp", "printable.hpp", "uuid.hpp"}
pci_names = {"pci/ids.hpp"}            # libpci: ptpciids and the CLI only
pci_names_users = {"src/pci/ids.cpp", "src/pci/inventory_names.cpp"}

def layer_of_file(path):
    parts = path.split("/")
    if parts[0] == "src":
        return "util" if len(parts) == 2 else parts[1]
    return parts[0]

def layer_of_include(inc):
    if inc in root_headers:
        return "util"
    return inc.split("/")[0] if "/" in inc else None

bad = []
for top in ("src", "agent", "hooks"):
    for dirpath, _, files in os.walk(top):
        for f in sorted(files):
            if not f.endswith((".cpp", ".hpp")):
                continue
            path = os.path.join(dirpath, f)
            own = layer_of_file(path)
            for n, line in enumerate(open(path, encoding="utf-8"), 1):
                m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                if not m:
                    continue
                inc = m.group(1)
                lay = layer_of_include(inc)
                if lay is None or lay not in rank:
                    bad.append(f"{path}:{n}: includes \"{inc}\", which is in no layer")
                elif own in ("agent", "hooks") and lay in ("agent", "hooks") and lay != own:
                    bad.append(f"{path}:{n}: front end {own}/ includes the other front end's \"{inc}\"")
                elif rank[lay] > rank[own]:
                    bad.append(f"{path}:{n}: layer {own} includes \"{inc}\" of layer {lay} above it")
                elif inc in pci_names and own != "agent" and path not in pci_names_users:
                    bad.append(f"{path}:{n}: \"{inc}\" (libpci) is for ptpciids and the CLI only")
for b in bad:
    print(b)
if bad:
    print(f"{len(bad)} include(s) point up or sideways")
    sys.exit(1)
print("every include points down")
PY
