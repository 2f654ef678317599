// Whether a PCI function can answer at all: a config space that reads all ones (lspci's
// "rev ff"), a function or its upstream bridge in D3cold. Such a device is not assignable
// whatever its group and reset say; QEMU would fail on it (seed 002: "can't change power state
// from D3hot to D0 (config space inaccessible)").
#pragma once

#include <string>
#include <vector>

#include "pci/device.hpp"

namespace ptagent {

struct HealthFinding {
  std::string code;      // stable: "config-inaccessible", "d3cold", "bridge-d3cold"
  bool blocks = true;    // makes the device not assignable
  std::string evidence;  // what was read, naming the file
  std::string fix;       // what the administrator does about it
};

// From a full-detail snapshot (config_dead, power_state) and its upstream bridge's, if known.
// A VF's config space reads vendor/device 0xffff by design: config_dead already judges a VF by
// its other registers.
std::vector<HealthFinding> device_health(const Device& device, const Device* upstream);

}  // namespace ptagent
