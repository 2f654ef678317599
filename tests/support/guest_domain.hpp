// The guest that the crash and fault tests start on a copy of the simulated workstation: the
// UUIDs it uses and its domain XML as libvirt hands it to the hook, so that a test can look for
// what the hook made of it.
#pragma once

#include <string>

namespace ptagent::testing {

// The domain's UUID and the two mediated devices it asks for on the GVT-g parent 0000:00:02.0.
inline constexpr const char* kGuestUuid = "6c0d8a58-33f0-4c0c-9c48-0b4b6f1e7a01";
inline constexpr const char* kGuestMdev1 = "4b20d080-1b54-4048-85b3-a6a62d165c01";
inline constexpr const char* kGuestMdev2 = "4b20d080-1b54-4048-85b3-a6a62d165c02";

// The domain "guest" (kGuestUuid): ptagent metadata for kGuestMdev1 (i915-GVTg_V5_4),
// kGuestMdev2 (i915-GVTg_V5_8) and the whole group of 0000:01:00.0 on vfio-pci, and a hostdev
// for each mdev and for 0000:01:00.0 (managed='no').
std::string workstation_guest_xml();

}  // namespace ptagent::testing
