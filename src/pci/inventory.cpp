#include "pci/inventory.hpp"

#include <algorithm>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "error.hpp"
#include "sysfs/dir.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/root.hpp"

namespace ptagent {

namespace {
// Below this many functions one thread is faster than starting a second.
constexpr std::size_t kParallelScanMin = 256;

// Device directories opened below their parent directory: the bus link
// "../../../devices/pci0000:00/0000:00:01.0/0000:03:00.5" names the parent
// /sys/devices/pci0000:00/0000:00:01.0 and the entry 0000:03:00.5. The scan goes in address order,
// so the functions of one bus, which share their parent, come one after another: keeping the last
// parent open is enough (and holds one descriptor, however many bridges the host has). A scan of
// 2,000 functions under a handful of bridges then walks one path component per function instead
// of a dozen.
class DeviceDirs {
 public:
  DeviceDirs(const Root& root, const SysDir* bus) : root_(root), bus_(bus) {}

  std::optional<SysDir> open(const std::string& name) {
    if (auto dir = open_below_parent(name)) return dir;
    // Anything unusual (a link target with "." or ".." after a name, a symlinked device
    // directory): resolve the whole link through the Root as a lone read would.
    return SysDir::open(root_, pci_device_dir(name));
  }

 private:
  std::optional<SysDir> open_below_parent(const std::string& name) {
    if (!bus_) return std::nullopt;
    auto target = bus_->read_link(name);
    if (!target) return std::nullopt;
    // The leading ".." steps apply to the bus directory's canonical path; the components after
    // them are opened through the Root (symlinks among them resolved as the kernel would).
    std::string_view rest(*target);
    std::string base = bus_->real_path();
    while (rest.substr(0, 3) == "../") {
      auto slash = base.rfind('/');
      if (slash == std::string::npos || base == "/") return std::nullopt;
      base.resize(slash == 0 ? 1 : slash);
      rest.remove_prefix(3);
    }
    auto last = rest.rfind('/');
    if (last == std::string_view::npos) return std::nullopt;
    std::string_view parent_rel = rest.substr(0, last), entry = rest.substr(last + 1);
    for (std::size_t at = 0; at <= parent_rel.size();) {
      auto slash = std::min(parent_rel.find('/', at), parent_rel.size());
      auto part = parent_rel.substr(at, slash - at);
      if (part.empty() || part == "." || part == "..") return std::nullopt;
      at = slash + 1;
    }
    std::string parent = (base == "/" ? "" : base) + "/" + std::string(parent_rel);
    if (!parent_ || parent_path_ != parent) {
      parent_.reset();
      auto opened = SysDir::open(root_, parent);
      if (!opened) return std::nullopt;
      parent_.emplace(std::move(*opened));
      parent_path_ = std::move(parent);
    }
    return parent_->open_dir(entry);
  }

  const Root& root_;
  const SysDir* bus_;
  std::string parent_path_;
  std::optional<SysDir> parent_;
};

// A listing does not read the PFs' virtfn links: every VF names its PF.
void vfs_from_physfn(std::vector<Device>& devices) {
  std::map<PciAddress, Device*> pfs;
  for (auto& d : devices) {
    if (d.sriov) pfs.emplace(d.address, &d);
  }
  if (pfs.empty()) return;
  for (const auto& d : devices) {  // address order, which is VF index order
    if (!d.physfn) continue;
    if (auto it = pfs.find(*d.physfn); it != pfs.end()) it->second->sriov->vfs.push_back(d.address);
  }
}

}  // namespace

Inventory Inventory::scan(const Root& root, DeviceDetail detail) {
  Inventory inv;
  auto bus = SysDir::open(root, kPciDevicesDir);
  std::vector<std::pair<PciAddress, std::string>> entries;
  for (auto& name : root.list(kPciDevicesDir)) {
    if (auto a = try_parse_pci_address(name)) entries.emplace_back(*a, std::move(name));
  }
  std::sort(entries.begin(), entries.end());
  // A dangling bus link (the device went away while we listed it) leaves its slot empty.
  std::vector<std::optional<Device>> read(entries.size());
  auto read_range = [&](std::size_t from, std::size_t to) {
    DeviceDirs dirs(root, bus ? &*bus : nullptr);
    for (std::size_t i = from; i < to; ++i) {
      try {
        if (auto dir = dirs.open(entries[i].second))
          read[i] = read_device(root, entries[i].first, *dir, detail);
      } catch (const Error&) {
      }
    }
  };
  // Reading sysfs is system calls, mostly: on a large host a second thread takes half of them
  // (read_device only reads, through the Root's and its own descriptors).
  const std::size_t n = entries.size();
  const unsigned cpus = std::thread::hardware_concurrency();
  if (n >= kParallelScanMin && cpus > 1) {
    std::exception_ptr failure;
    std::thread helper([&] {
      try {
        read_range(n / 2, n);
      } catch (...) {
        failure = std::current_exception();
      }
    });
    try {
      read_range(0, n / 2);
    } catch (...) {
      helper.join();
      throw;
    }
    helper.join();
    if (failure) std::rethrow_exception(failure);
  } else {
    read_range(0, n);
  }
  inv.devices_.reserve(n);
  for (auto& d : read) {
    if (d) inv.devices_.push_back(std::move(*d));
  }
  if (detail == DeviceDetail::listing) vfs_from_physfn(inv.devices_);
  return inv;
}

const Device* Inventory::find(const PciAddress& address) const {
  auto it = std::lower_bound(devices_.begin(), devices_.end(), address,
                             [](const Device& d, const PciAddress& a) { return d.address < a; });
  if (it != devices_.end() && it->address == address) return &*it;
  return nullptr;
}

const Device& Inventory::get(const PciAddress& address) const {
  if (const Device* d = find(address)) return *d;
  throw_not_found(address.to_string(), "no such PCI device on this host",
                  "run 'ptagent list' to see the devices of this host");
}

std::vector<PciAddress> Inventory::expand(const DeviceSpec& spec) const {
  if (!spec.whole_slot) {
    get(spec.address);
    return {spec.address};
  }
  std::vector<PciAddress> out;
  for (const auto& d : devices_) {
    if (d.address.domain == spec.address.domain && d.address.bus == spec.address.bus &&
        d.address.slot == spec.address.slot) {
      out.push_back(d.address);
    }
  }
  if (out.empty()) {
    throw_not_found(spec.address.slot_string(), "no PCI function in this slot on this host",
                    "run 'ptagent list' to see the devices of this host");
  }
  return out;
}

std::vector<PciAddress> Inventory::group_members(unsigned group) const {
  std::vector<PciAddress> out;
  for (const auto& d : devices_) {
    if (d.iommu_group == group) out.push_back(d.address);
  }
  return out;
}

std::map<unsigned, std::vector<PciAddress>> Inventory::groups() const {
  std::map<unsigned, std::vector<PciAddress>> out;
  for (const auto& d : devices_) {
    if (d.iommu_group) out[*d.iommu_group].push_back(d.address);
  }
  return out;
}

std::vector<PciAddress> Inventory::bus_siblings(const Device& device) const {
  std::vector<PciAddress> out;
  for (const auto& d : devices_) {
    if (d.address != device.address && d.address.domain == device.address.domain &&
        d.address.bus == device.address.bus) {
      out.push_back(d.address);
    }
  }
  return out;
}

bool Inventory::has_iommu_groups() const {
  return std::any_of(devices_.begin(), devices_.end(),
                     [](const Device& d) { return d.iommu_group.has_value(); });
}

}  // namespace ptagent
