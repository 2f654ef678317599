// Binding PCI functions to vfio-pci (or another stub driver), the plan: what a bind or a restore
// would change, checked before anything changes. ops/vfio_bind.hpp carries plans out.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ops/change.hpp"
#include "pci/address.hpp"

namespace ptagent {

class Root;
class Inventory;
class Journal;

enum class GroupMode { named_only, whole_group };  // whole_group: every non-bridge endpoint
enum class CriticalGuard { refuse, force };        // host-critical devices
enum class PlanMode { execute, dry_run };          // dry_run: fixable problems become warnings
// A bind that would leave an IOMMU group split (some endpoints on the driver, others on host
// drivers) is refused: the group is the unit of assignment. `checked_by_caller`: the caller has
// checked the group itself, counting devices that someone else (libvirt, managed) takes over.
enum class PartialGroup { refuse, checked_by_caller };

// The driver of a bind: the best VFIO driver of each device (kBestVfioDriver: the matching
// vfio_pci: alias with the fewest wildcards, as libvirt >= 10 picks it; vfio-pci when no variant
// matches), or one named driver: a VFIO driver that matches every device (vfio-pci, a variant
// such as mlx5_vfio_pci) or pci-stub.
inline constexpr const char* kBestVfioDriver = "";

struct BindRequest {
  std::vector<PciAddress> devices;
  std::string driver = "vfio-pci";  // kBestVfioDriver: each device's best
  GroupMode group = GroupMode::named_only;
  CriticalGuard guard = CriticalGuard::refuse;
  PartialGroup partial = PartialGroup::refuse;
  std::string owner = "cli";  // journal owner: "cli" or "domain:<uuid>"
};

struct DeviceBinding {
  PciAddress address;
  std::optional<std::string> driver_before;    // nullopt: no driver
  std::optional<std::string> override_before;  // nullopt: no driver_override
  std::string driver_after;
  bool named = true;  // false: added by GroupMode::whole_group
};

struct BindPlan {
  std::string driver;  // the named driver, or kBestVfioDriver (each device's driver_after)
  std::string owner;   // the request's journal owner
  std::vector<DeviceBinding> devices;  // what changes, in request order
  // Devices already on the driver (group companions, or with whole_group named ones too): left
  // alone, so restore undoes only what this bind changed.
  std::vector<PciAddress> already_bound;
  std::vector<std::string> steps;     // every action, in order ("write ... to ...")
  std::vector<std::string> warnings;  // PlanMode::dry_run: what would stop the real run now
};

// Checks everything before anything changes: each device exists, is not host infrastructure
// (bridges, host and ISA bridges), is not host-critical (unless forced), is not already on the
// driver ("already bound to vfio-pci"; with whole_group it is skipped instead, so --group
// completes a partly bound group), would not leave its IOMMU group split (PartialGroup), has no
// journal entry yet;
// the driver is loaded (else the fix names `modprobe`); vfio-pci needs an IOMMU group. Throws
// Error (not_found / refused / failed) naming the device. With PlanMode::dry_run the last two
// become warnings, so the plan can be shown on a host that is not ready yet.
BindPlan plan_bind(const Root& root, const Journal& journal, const BindRequest& request,
                   PlanMode mode);
// The same on an inventory the caller scanned (the hook's prepare scans once).
BindPlan plan_bind(const Root& root, const Inventory& inventory, const Journal& journal,
                   const BindRequest& request, PlanMode mode);

struct DeviceRestore {
  PciAddress address;
  std::optional<std::string> driver_before;  // what it is on now (normally the bound driver)
  std::optional<std::string> driver_after;   // the recorded original driver (nullopt: none)
  std::optional<std::string> override_after;
  std::string owner;  // who bound it
};

struct RestorePlan {
  std::vector<DeviceRestore> devices;
  std::vector<Change> entries;  // the journal entries being undone, same order
  std::vector<std::string> steps;
};

// The journal's bind entries for the devices; Error(not_found) for a device the journal does not
// know ("ptagent did not bind it").
RestorePlan plan_restore(const Root& root, const std::vector<Change>& journal,
                         std::span<const PciAddress> devices);

// The journal's bind entries for the devices; Error(not_found) for a device the journal does not
// know ("ptagent did not bind it").
RestorePlan plan_restore(const Root& root, const std::vector<Change>& journal,
                         std::span<const PciAddress> devices);

// The journal id of a bind entry: "bind:0000:01:00.0".
std::string bind_change_id(const PciAddress& address);

// The steps that move one device from its current state to `driver`/`override` (restore order:
// override, unbind, probe, verify), for plans and --dry-run.
std::vector<std::string> restore_steps(const PciAddress& address,
                                       const std::optional<std::string>& current_driver,
                                       const std::optional<std::string>& driver,
                                       const std::optional<std::string>& override_value);

// A device's binding as sysfs shows it now.
struct BindingState {
  bool present = true;
  std::optional<std::string> driver;
  std::optional<std::string> override_value;
};
BindingState read_binding_state(const Root& root, const PciAddress& address);
// The driver (or override), or "none".
std::string driver_or_none(const std::optional<std::string>& driver);

// The journal's bind entry for the device, if any.
const Change* find_bind_entry(const std::vector<Change>& changes, const PciAddress& address);
// Error(refused): the journal already holds a binding of the device.
[[noreturn]] void refuse_existing_entry(const Change& entry);

}  // namespace ptagent
