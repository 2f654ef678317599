// Static reset and assignability analysis: can this device be reset and assigned on its own,
// only together with others, or not at all? Follows libvirt's reset order. Changes nothing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pci/address.hpp"
#include "pci/device.hpp"
#include "pci/iommu_group.hpp"

namespace ptagent {

class Inventory;
class HostCritical;

enum class ResetMeans { vfio_driver, flr, pm, bus, none };

enum class Assignability { alone, together, not_assignable };

struct ResetAnalysis {
  PciAddress address;
  std::vector<std::string> kernel_methods;  // sysfs reset_method (empty: none or unknown)
  bool kernel_methods_known = false;
  bool flr = false;                     // PCIe DevCap FLR or Advanced Features FLR
  bool pm_reset = false;                // PM capability without No_Soft_Reset
  bool on_root_bus = false;             // no bridge above: secondary bus reset impossible
  std::vector<PciAddress> bus_sharers;  // other functions on the same bus
  ResetMeans means = ResetMeans::none;  // what libvirt would use
  GroupVerdict group;
  std::optional<std::string> host_critical;
  // The verdict, computed once here for show, probe and groups. The group is the unit of
  // assignment: every endpoint of it goes to the same guest, so together_with holds the group's
  // other endpoints (whatever their driver) and the devices the reset also hits. Infrastructure
  // (host, ISA and other bridges), host-critical devices and groups that hold either are refused.
  Infrastructure infrastructure = Infrastructure::none;
  std::vector<PciAddress> unit;  // the group's endpoints, the device included (sorted)
  Assignability verdict = Assignability::not_assignable;
  std::vector<PciAddress> together_with;  // the exact co-assignment set (excluding the device)
  std::string reason;                     // one sentence for the verdict
  std::string advice;                     // what to do next (empty: nothing to advise)
};

ResetAnalysis analyze_reset(const Inventory& inventory, const HostCritical& critical,
                            const PciAddress& address);

std::string reset_means_name(ResetMeans means);
std::string assignability_name(Assignability verdict);

}  // namespace ptagent
