#include "pci/inventory.hpp"

#include <algorithm>
#include <exception>
#include <optional>
#include <thread>

#include "error.hpp"
#include "sysfs/root.hpp"

namespace ptagent {

namespace {
// Below this many functions one thread is faster than starting a second.
constexpr std::size_t kParallelScanMin = 256;
}  // namespace

Inventory Inventory::scan(const Root& root, DeviceDetail detail) {
  Inventory inv;
  std::vector<PciAddress> addresses;
  for (const auto& name : root.list("/sys/bus/pci/devices")) {
    if (auto a = try_parse_pci_address(name)) addresses.push_back(*a);
  }
  std::sort(addresses.begin(), addresses.end());
  // A dangling bus link (the device went away while we listed it) leaves its slot empty.
  std::vector<std::optional<Device>> read(addresses.size());
  auto read_range = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      try {
        read[i] = read_device(root, addresses[i], detail);
      } catch (const Error&) {
      }
    }
  };
  // Reading sysfs is system calls, mostly: on a large host a second thread takes half of them
  // (read_device only reads, through the Root's and its own descriptors).
  const std::size_t n = addresses.size();
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
