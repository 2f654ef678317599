#include "host/critical.hpp"

#include <algorithm>
#include <set>

#include "pci/inventory.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/parse.hpp"
#include "sysfs/procfs.hpp"
#include "sysfs/root.hpp"

namespace ptagent {

namespace {

// PCI functions behind a block device, following dm/md slaves (bounded depth).
void block_pci_devices(const Root& root, const std::string& block_dir, int depth,
                       std::set<PciAddress>& out) {
  if (depth > 8) return;
  auto real = root.resolve(block_dir);
  if (!real) return;
  if (auto a = pci_ancestor(*real)) {
    out.insert(*a);
    return;
  }
  // A partition's slaves live on its disk; a dm or md device lists its slaves.
  for (const std::string& dir : {*real, *real + "/.."}) {
    for (const auto& s : root.list(dir + "/slaves")) {
      block_pci_devices(root, dir + "/slaves/" + s, depth + 1, out);
    }
  }
}

std::string block_name(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Interfaces beneath a bridge, bond or VLAN: the ones with a device link.
void net_pci_devices(const Root& root, const std::string& iface, int depth,
                     std::set<PciAddress>& out) {
  if (depth > 8 || iface.find('/') != std::string::npos || iface.empty() || iface[0] == '.') return;
  const std::string base = std::string(kNetClassDir) + "/" + iface;
  if (auto real = root.resolve(base + "/device")) {
    if (auto a = pci_ancestor(*real)) {
      out.insert(*a);
      return;
    }
  }
  for (const auto& e : root.list(base)) {
    if (e.rfind("lower_", 0) == 0) net_pci_devices(root, e.substr(6), depth + 1, out);
  }
  for (const auto& e : root.list(base + "/brif")) net_pci_devices(root, e, depth + 1, out);
}

// The virtio device (its sysfs directory) carrying a virtio-9p or virtiofs mount tag. 9p's
// transport names the tag in the virtio device's mount_tag file; virtiofs exposes it (from
// Linux 6.9) under /sys/fs/virtiofs/N/tag with a device link. On older kernels a virtiofs tag
// cannot be mapped to one device: every virtio-fs device (virtio device ID 26) is then returned.
std::vector<std::string> virtio_fs_devices(const Root& root, const std::string& fs_type,
                                           const std::string& tag) {
  std::vector<std::string> out;
  if (fs_type == "9p") {
    for (const auto& v : root.list(kVirtioDevicesDir)) {
      const std::string dir = std::string(kVirtioDevicesDir) + "/" + v;
      auto t = root.read_value(dir + "/mount_tag");
      // The kernel prints the tag with a trailing NUL on some versions.
      if (t && std::string(t->c_str()) == tag) out.push_back(dir);
    }
    return out;
  }
  bool tagged = false;
  for (const auto& n : root.list(kVirtiofsDir)) {
    const std::string dir = std::string(kVirtiofsDir) + "/" + n;
    auto t = root.read_value(dir + "/tag");
    if (!t) continue;
    tagged = true;
    if (*t == tag) out.push_back(dir + "/device");
  }
  if (tagged) return out;
  for (const auto& v : root.list(kVirtioDevicesDir)) {
    const std::string dir = std::string(kVirtioDevicesDir) + "/" + v;
    auto id = root.read_value(dir + "/device");
    if (id && (*id == "0x001a" || *id == "0x1a")) out.push_back(dir);
  }
  return out;
}

// Super options "rw,lowerdir=/a:/b,upperdir=/u" split at commas.
std::vector<std::string> option_words(const std::string& options) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= options.size()) {
    const std::size_t comma = std::min(options.find(',', start), options.size());
    if (comma > start) out.push_back(options.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace

void HostCritical::add(const PciAddress& address, std::string why) {
  auto& list = reasons_[address];
  if (std::find(list.begin(), list.end(), why) == list.end()) list.push_back(std::move(why));
}

std::optional<std::string> HostCritical::reason(const PciAddress& address) const {
  auto it = reasons_.find(address);
  if (it == reasons_.end() || it->second.empty()) return std::nullopt;
  std::string out;
  for (const auto& r : it->second) {
    if (!out.empty()) out += "; ";
    out += r;
  }
  return out;
}

HostCritical HostCritical::scan(const Root& root, const Inventory& inventory) {
  HostCritical hc;

  // Filesystems: block devices (through dm/md slaves), 9p and virtiofs (through their virtio
  // transport), and overlays through the mounts that hold their lower and upper directories (a
  // live system, or the real-kernel bench's root: an overlay over a 9p share). Other major-0
  // filesystems (proc, tmpfs, btrfs subvolumes) hold no device of their own.
  if (auto text = root.read(kProcMountinfo)) {
    const auto mounts = parse_mountinfo(*text);
    auto devices_of = [&](const MountEntry& m, std::string& how) {
      std::set<PciAddress> devs;
      if (m.fs_type == "9p" || m.fs_type == "virtiofs") {
        for (const auto& dir : virtio_fs_devices(root, m.fs_type, m.source)) {
          auto real = root.resolve(dir);
          if (!real) continue;
          if (auto a = pci_ancestor(*real)) devs.insert(*a);
        }
        how = m.fs_type + " " + m.source;
      } else if (m.major != 0) {
        block_pci_devices(root,
                          std::string(kBlockDevicesDir) + "/" + std::to_string(m.major) + ":" +
                              std::to_string(m.minor),
                          0, devs);
        how = m.source;
      }
      return devs;
    };
    // The mount holding a path: the longest mount point that is a prefix of it.
    auto mount_of = [&](const std::string& path) -> const MountEntry* {
      const MountEntry* best = nullptr;
      for (const auto& m : mounts) {
        const std::string& mp = m.mount_point;
        const bool under =
            path == mp || (path.rfind(mp, 0) == 0 && (mp == "/" || path[mp.size()] == '/'));
        if (under && (!best || mp.size() > best->mount_point.size()) && m.fs_type != "overlay")
          best = &m;
      }
      return best;
    };
    for (const auto& m : mounts) {
      const std::string what =
          m.mount_point == "/" ? "the root filesystem" : "the filesystem on " + m.mount_point;
      if (m.fs_type == "overlay") {
        for (const auto& opt : option_words(m.super_options)) {
          std::string dirs;
          if (opt.rfind("lowerdir=", 0) == 0) dirs = opt.substr(9);
          if (opt.rfind("upperdir=", 0) == 0) dirs = opt.substr(9);
          std::size_t start = 0;
          while (!dirs.empty() && start <= dirs.size()) {
            const std::size_t colon = std::min(dirs.find(':', start), dirs.size());
            const std::string dir = dirs.substr(start, colon - start);
            start = colon + 1;
            const MountEntry* under = dir.empty() ? nullptr : mount_of(dir);
            if (!under) continue;
            std::string how;
            for (const auto& a : devices_of(*under, how)) {
              hc.add(a, "holds " + what + " (an overlay over " + how + " on " + under->mount_point +
                            ")");
            }
          }
        }
        continue;
      }
      std::string how;
      for (const auto& a : devices_of(m, how)) hc.add(a, "holds " + what + " (" + how + ")");
    }
  }

  // Swap: map the device name to its block directory.
  if (auto text = root.read(kProcSwaps)) {
    auto swaps = parse_swaps(*text);
    if (!swaps.empty()) {
      std::map<std::string, std::string> by_name;  // "sda2" -> "/sys/dev/block/8:2"
      for (const auto& mm : root.list(kBlockDevicesDir)) {
        if (auto real = root.resolve(std::string(kBlockDevicesDir) + "/" + mm))
          by_name[block_name(*real)] = std::string(kBlockDevicesDir) + "/" + mm;
      }
      for (const auto& s : swaps) {
        if (s.type != "partition") continue;
        auto it = by_name.find(block_name(s.filename));
        if (it == by_name.end()) continue;
        std::set<PciAddress> devs;
        block_pci_devices(root, it->second, 0, devs);
        for (const auto& a : devs) hc.add(a, "holds active swap (" + s.filename + ")");
      }
    }
  }

  // The NIC of the default route.
  if (auto text = root.read(kProcNetRoute)) {
    for (const auto& r : parse_route(*text)) {
      if (!r.is_default()) continue;
      std::set<PciAddress> devs;
      net_pci_devices(root, r.iface, 0, devs);
      for (const auto& a : devs)
        hc.add(a, "is the network interface of the default route (" + r.iface + ")");
    }
  }

  // Boot VGA.
  for (const auto& d : inventory.devices()) {
    if (d.boot_vga.value_or(false)) hc.add(d.address, "is the boot VGA device (boot_vga=1)");
  }

  // USB controllers with input devices (keyboards, mice) behind them.
  for (const auto& in : root.list(kInputClassDir)) {
    if (in.rfind("input", 0) != 0) continue;
    auto real = root.resolve(std::string(kInputClassDir) + "/" + in);
    if (!real) continue;
    auto a = pci_ancestor(*real);
    if (!a) continue;
    const Device* d = inventory.find(*a);
    if (!d || !d->is_usb_controller()) continue;
    std::string name =
        root.read_value(std::string(kInputClassDir) + "/" + in + "/name").value_or(in);
    hc.add(*a, "is the USB controller of input device '" + name + "' (" + in + ")");
  }
  return hc;
}

}  // namespace ptagent
