// Every PCI function of a host, read once, with lookups by address, slot and IOMMU group.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "pci/address.hpp"
#include "pci/device.hpp"

namespace ptagent {

class Root;

enum class Naming { with_names, ids_only };

class Inventory {
 public:
  // Reads /sys/bus/pci/devices under root, IDs only. Devices are sorted by address.
  static Inventory scan(const Root& root, DeviceDetail detail = DeviceDetail::full);
  // The same, with names from the PCI ID database and (full detail) modules from modules.alias
  // when asked (defined apart, so that the hook never links libpci).
  static Inventory scan(const Root& root, Naming naming, DeviceDetail detail = DeviceDetail::full);

  const std::vector<Device>& devices() const { return devices_; }
  const Device* find(const PciAddress& address) const;
  // Throws Error(not_found) naming the address.
  const Device& get(const PciAddress& address) const;
  // A user's reference: one function, or every function present in a slot (function order).
  std::vector<PciAddress> expand(const DeviceSpec& spec) const;
  // Members of an IOMMU group, sorted.
  std::vector<PciAddress> group_members(unsigned group) const;
  // Group id -> members, for every group that has a PCI function.
  std::map<unsigned, std::vector<PciAddress>> groups() const;
  // Devices whose upstream bridge is the given one (same secondary bus).
  std::vector<PciAddress> bus_siblings(const Device& device) const;
  bool has_iommu_groups() const;

 private:
  std::vector<Device> devices_;
};

}  // namespace ptagent
