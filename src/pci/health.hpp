// Whether a PCI function can answer at all: a config space that reads all ones (lspci's
// "rev ff"), a function or its upstream bridge in D3cold. Such a device is not assignable
// whatever its group and reset say; QEMU would fail on it (seed 002: "can't change power state
// from D3hot to D0 (config space inaccessible)").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pci/device.hpp"

namespace ptagent {

// blocking: the device is not assignable (QEMU or vfio-pci would fail on it);
// warning: it may fail or misbehave; the hook refuses it unless the domain accepts the finding
// (<ptagent:accept address=… finding=…/>); info: worth knowing, never refused.
enum class Severity { info, warning, blocking };

struct HealthFinding {
  std::string code;  // stable, see docs/FINDINGS.md
  Severity severity = Severity::blocking;
  std::string evidence;  // what was read, naming the file
  std::string fix;       // what the administrator does about it (empty for some info findings)
  bool blocks() const { return severity == Severity::blocking; }
};

std::string severity_name(Severity s);  // "info", "warning", "blocking"

// The worst severity among findings (nullopt: none at all). What a one-word health verdict of
// a device says: blocking means "not assignable now", warning "assignable, may misbehave".
std::optional<Severity> worst_severity(const std::vector<HealthFinding>& findings);

// How to keep a device (and the bridge above it) out of D3cold, at once and persistently.
std::string keep_powered_fix(const Device& device, const Device* upstream);
// The same for a device known only by its address (a log line), its bridge unknown.
std::string keep_powered_fix(const std::string& address);
// How to bring back a device whose config space reads all ones (remove, rescan, power-cycle).
std::string revive_fix(const std::string& address);

// From a full-detail snapshot (config_dead, power_state) and its upstream bridge's, if known.
// A VF's config space reads vendor/device 0xffff by design: config_dead already judges a VF by
// its other registers.
std::vector<HealthFinding> device_health(const Device& device, const Device* upstream);

}  // namespace ptagent
