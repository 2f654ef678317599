// Host-critical devices: the ones whose loss takes the host down or locks the admin out.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pci/address.hpp"

namespace ptagent {

class Root;
class Inventory;

class HostCritical {
 public:
  // Mounted filesystems and active swap (mountinfo, swaps, /sys/dev/block -> PCI ancestor, through
  // device-mapper/md slaves; 9p and virtiofs mounts through their virtio transport), the
  // default-route NIC (through bridges, bonds and VLANs), boot VGA, USB controllers with input
  // devices behind them.
  static HostCritical scan(const Root& root, const Inventory& inventory);

  // All reasons for one device joined with "; ", or nullopt if it is not critical.
  std::optional<std::string> reason(const PciAddress& address) const;
  const std::map<PciAddress, std::vector<std::string>>& all() const { return reasons_; }
  void add(const PciAddress& address, std::string why);

 private:
  std::map<PciAddress, std::vector<std::string>> reasons_;
};

}  // namespace ptagent
