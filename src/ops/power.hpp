// Runtime power management of a device handed to a guest: keeping it (and the bridge above it)
// out of D3cold. vfio-pci lets an unused device idle; where the platform can cut its power
// (ACPI _PR3) the kernel may put it in D3cold, and a device that does not come back reads all
// ones (seed 002: "can't change power state from D3hot to D0 (config space inaccessible)").
// keep_on writes d3cold_allowed=0 and power/control=on on the device and d3cold_allowed=0 on its
// upstream bridge; idle writes d3cold_allowed=1 and power/control=auto on the device only (what
// vfio-pci sets for an unused device; a host driver's default is often "on"), leaving the bridge
// as it is (other devices may be below it).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pci/address.hpp"

namespace ptagent {

class Root;
class SysfsWriter;

enum class PowerMode { keep_on, idle };

struct PowerFunction {
  PciAddress address;
  std::optional<std::string> power_state;     // power_state: D0, D3hot, D3cold
  std::optional<bool> d3cold_allowed;         // nullopt: no such attribute
  std::optional<std::string> power_control;   // power/control: on, auto
  std::optional<std::string> runtime_status;  // power/runtime_status
};

struct PowerState {
  PowerFunction device;
  std::optional<PowerFunction> bridge;  // its upstream bridge, when it has one
  bool platform_d3cold = false;         // the firmware can cut power (ACPI _PR3)
  // Whether the kernel may take the device to D3cold now (d3cold allowed on it or its bridge
  // and power/control lets it idle).
  bool may_enter_d3cold() const;
};

// Reads the device and its bridge. Throws Error(not_found) for a missing device.
PowerState read_power(const Root& root, const PciAddress& address);

struct PowerWrite {
  std::string path;    // "/sys/bus/pci/devices/0000:04:00.0/d3cold_allowed"
  std::string value;   // "0"
  std::string before;  // what it read ("1"): written back when a later write fails
};

struct PowerPlan {
  PciAddress address;
  PowerMode mode = PowerMode::keep_on;
  std::vector<PowerWrite> writes;  // only the attributes whose value changes, device first
  bool nothing_to_do() const { return writes.empty(); }
};

// What `mode` changes. Throws Error(refused, unsupported) when the device has neither
// d3cold_allowed nor power/control (a kernel without runtime PM for PCI).
PowerPlan plan_power(const PowerState& state, PowerMode mode);

// Writes the plan in order; when a write fails, the writes already made are put back and
// Error(failed) names the attribute and the errno. Returns the state read afterwards.
PowerState apply_power(const Root& root, SysfsWriter& writer, const PowerPlan& plan);

}  // namespace ptagent
