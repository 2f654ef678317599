// Turning DEVICE… arguments into checked addresses, shared by the commands that change devices.
#pragma once

#include <string>
#include <vector>

#include "pci/address.hpp"

namespace ptagent {
class Inventory;
class HostCritical;
}  // namespace ptagent

namespace ptagent::cli {

enum class GroupExpansion { none, whole_group };
enum class Force { no, yes };

// Parses every argument (all input forms, slot shorthand expanded), optionally adds every
// non-bridge endpoint of each device's IOMMU group, removes duplicates, keeps order.
std::vector<PciAddress> resolve_devices(const Inventory& inventory,
                                        const std::vector<std::string>& args,
                                        GroupExpansion expansion);

// One function for the commands that take one DEVICE: a slot (01:00) is that function when it
// holds only one; a slot of several is a usage error listing them.
PciAddress resolve_one_device(const Inventory& inventory, const DeviceSpec& spec,
                              const std::string& command);

// Refuses (Error refused, exit 1) a host-critical device unless forced, before anything changes.
void guard_host_critical(const HostCritical& critical, const std::vector<PciAddress>& devices,
                         Force force, const std::string& operation);

}  // namespace ptagent::cli
