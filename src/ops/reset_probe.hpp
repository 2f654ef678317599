// Static reset and assignability analysis: can this device be reset and assigned on its own,
// only together with others, or not at all? Where sysfs has `reset_method` (kernel >= 5.15) it is
// the truth: the kernel tries exactly the methods listed, in that order, and uses the first that
// succeeds; without the file, libvirt's capability order (FLR, PM reset, bus reset) applies.
// Changes nothing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "host/vfio_host.hpp"
#include "pci/address.hpp"
#include "pci/device.hpp"
#include "pci/health.hpp"
#include "pci/iommu_group.hpp"

namespace ptagent {

class Inventory;
class HostCritical;

enum class ResetMeans { vfio_driver, device_specific, acpi, flr, pm, bus, none };

enum class Assignability { alone, together, not_assignable };

struct ResetAnalysis {
  PciAddress address;
  std::vector<std::string> kernel_methods;  // sysfs reset_method (empty: none or unknown)
  bool kernel_methods_known = false;
  bool flr = false;                     // PCIe DevCap FLR or Advanced Features FLR
  bool pm_reset = false;                // PM capability without No_Soft_Reset
  bool on_root_bus = false;             // no bridge above: secondary bus reset impossible
  bool has_subordinate = false;         // a bridge itself: the kernel's bus method refuses it
  std::vector<PciAddress> bus_sharers;  // other functions on the same bus
  // The kernel's `bus` method (pci_parent_bus_reset) would reset this function alone: off the
  // root bus, no subordinate bus, nobody else on the bus (else ENOTTY).
  bool bus_reset_alone = false;
  // A bus reset is possible, but only of the whole bus: together with bus_sharers.
  bool bus_reset_shared = false;
  std::string bus_reset;  // one line on the bus reset: "possible, …" / "not possible alone: …"
  // The first listed method the kernel would succeed with (reset_method present), else what
  // libvirt would use; none when nothing resets it alone (see bus_reset_shared).
  ResetMeans means = ResetMeans::none;
  std::string means_note;  // why listed methods were passed over ("bus: refused, …"), or empty
  GroupVerdict group;
  std::optional<std::string> host_critical;
  std::vector<HealthFinding> health;  // the device's own (device_findings), every severity
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

// `host` adds the findings that depend on the host (vfio-pci options, framebuffers, vendor-reset);
// a default VfioHost judges the device alone.
ResetAnalysis analyze_reset(const Inventory& inventory, const HostCritical& critical,
                            const PciAddress& address, const VfioHost& host = {});

std::string reset_means_name(ResetMeans means);
std::string assignability_name(Assignability verdict);

}  // namespace ptagent
