// Binding PCI functions to vfio-pci (or another stub driver) through driver_override, and giving
// them back, carried out. The original driver and override are recorded in the journal before
// anything changes; a failure at any step puts every device back as it was. Never uses new_id.
// The plans are ops/vfio_bind_plan.hpp.
#pragma once

#include <span>
#include <vector>

#include "ops/journal.hpp"
#include "ops/vfio_bind_plan.hpp"
#include "pci/address.hpp"

namespace ptagent {

class Root;
class SysfsWriter;

// Carries out a plan that plan_bind made (PlanMode::execute), while nothing else could change the
// devices (the hook holds its lock from the check to the start): records every device of the plan
// in the journal (pending; refused if an entry appeared since the plan), then for all devices in
// turn writes the driver to driver_override, unbinds from the current driver, writes the address
// to /sys/bus/pci/drivers_probe (and the driver's bind file if the probe left it unbound), and
// verifies the `driver` link; marks the entries done. On failure every device is put back and
// its entry removed; the Error names the failed step and the device ("0000:01:00.0: unbind from
// nouveau failed: Device or resource busy (EBUSY)"). Returns the plan that was carried out.
BindPlan bind_devices(const Root& root, SysfsWriter& writer, Journal& journal, BindPlan plan);

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

}  // namespace ptagent
