// Binding PCI functions to vfio-pci (or another stub driver) through driver_override, and giving
// them back. The original driver and override are recorded in the journal before anything
// changes; a failure at any step puts every device back as it was. Never uses new_id.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ops/journal.hpp"
#include "pci/address.hpp"

namespace ptagent {

class Root;
class SysfsWriter;
class Inventory;

enum class GroupMode { named_only, whole_group };  // whole_group: every non-bridge endpoint
enum class CriticalGuard { refuse, force };        // host-critical devices
enum class PlanMode { execute, dry_run };          // dry_run: fixable problems become warnings
// A bind that would leave an IOMMU group split (some endpoints on the driver, others on host
// drivers) is refused: the group is the unit of assignment. `checked_by_caller`: the caller has
// checked the group itself, counting devices that someone else (libvirt, managed) takes over.
enum class PartialGroup { refuse, checked_by_caller };

struct BindRequest {
  std::vector<PciAddress> devices;
  std::string driver = "vfio-pci";
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
  std::string driver;
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

// Checks (as plan_bind), records every device in the journal (pending), then for all devices in
// turn: writes the driver to driver_override, unbinds from the current driver, writes the address
// to /sys/bus/pci/drivers_probe (and the driver's bind file if the probe left it unbound), and
// verifies the `driver` link; marks the entries done. On failure every device is put back and
// its entry removed; the Error names the failed step and the device ("0000:01:00.0: unbind from
// nouveau failed: Device or resource busy (EBUSY)"). Returns the plan that was carried out.
BindPlan bind_devices(const Root& root, SysfsWriter& writer, Journal& journal,
                      const BindRequest& request);
// Carries out a plan that plan_bind made for `request` (PlanMode::execute) while nothing else
// could change the devices (the hook holds its lock from the check to the start).
BindPlan bind_devices(const Root& root, SysfsWriter& writer, Journal& journal,
                      const BindRequest& request, BindPlan plan);

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

// Puts the devices back on their recorded drivers: override back (cleared, or the recorded one),
// unbind, reprobe (then the driver's bind file if needed), verify; then removes their entries.
// On failure the devices already restored are bound again, as before the call, and the entries
// stay. Reads the journal under its lock (a corrupt journal is moved aside and reported).
std::vector<DeviceRestore> restore_devices(const Root& root, SysfsWriter& writer, Journal& journal,
                                           std::span<const PciAddress> devices);

// Undoes one bind entry for `ptagent restore --all` (the journal entry is left to the caller).
// Works from any half-done state. On failure the device is returned to the state it had before
// the call, and Error(failed) says what failed.
void undo_bind_change(const Root& root, SysfsWriter& writer, const Change& change);

// The journal id of a bind entry: "bind:0000:01:00.0".
std::string bind_change_id(const PciAddress& address);

// The steps that move one device from its current state to `driver`/`override` (restore order:
// override, unbind, probe, verify), for plans and --dry-run.
std::vector<std::string> restore_steps(const PciAddress& address,
                                       const std::optional<std::string>& current_driver,
                                       const std::optional<std::string>& driver,
                                       const std::optional<std::string>& override_value);

}  // namespace ptagent
