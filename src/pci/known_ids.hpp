// Device IDs the kernel or the community treat specially for passthrough: vfio-pci's denylist
// (the kernel refuses to probe them unless vfio-pci.disable_denylist=1) and the AMD GPUs whose
// reset does not work without the out-of-tree vendor-reset module (the "AMD reset bug").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ptagent {

// Whether vfio-pci refuses this device ("exists in vfio-pci device denylist, driver probing
// disallowed"). The list is vfio_pci_dev_in_denylist() of drivers/vfio/pci/vfio_pci.c: Intel
// QuickAssist C3xxx, C62x and DH895xCC, PFs and VFs (since 5.9); kernels from 6.9 also list the
// Sapphire Rapids DSA and IAX accelerators. `kernel_release` ("6.1.0-13-amd64") picks the list;
// empty means the newest.
bool vfio_denylisted(std::uint16_t vendor, std::uint16_t device, const std::string& kernel_release);

// The vendor-reset family of an AMD GPU that needs it ("Polaris 10", "Vega 10", "Navi 10", ...),
// from the device table of github.com/gnif/vendor-reset; nullopt for any other device.
std::optional<std::string> vendor_reset_family(std::uint16_t vendor, std::uint16_t device);

}  // namespace ptagent
