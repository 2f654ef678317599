// Everything ptagent knows can go wrong with one device once vfio-pci and QEMU take it, before
// they do: the device's own state (pci/health: D3cold, config space gone) plus what depends on
// the host — D3cold while idle on vfio-pci, the AMD reset bug (vendor-reset), a boot framebuffer
// inside a BAR, vfio-pci's denylist, an invalid interrupt pin, a GPU without a ROM, vfio-pci
// options that change what the guest gets. Each finding has a stable code, a severity, the
// evidence read and the fix. Reads nothing itself.
#pragma once

#include <vector>

#include "host/vfio_host.hpp"
#include "pci/device.hpp"
#include "pci/health.hpp"

namespace ptagent {

// `device` from a full-detail read; `upstream` its bridge (nullptr: none or unknown).
std::vector<HealthFinding> device_findings(const Device& device, const Device* upstream,
                                           const VfioHost& host);

// The fixes, shared with what the logs say after a failed start (check/postmortem).
// A boot framebuffer inside a BAR ("BAR N: can't reserve"), by kernel release ("6.1.0-13-amd64").
std::string framebuffer_fix(const std::string& kernel_release);
// vfio-pci refuses a denylisted device.
std::string denylist_fix();
// A garbled config space (an interrupt pin QEMU asserts on).
std::string garbled_config_fix(const std::string& address);

}  // namespace ptagent
