// What the host adds to a device's own state when it is passed through: vfio-pci's module
// parameters, whether the vendor-reset module is loaded, and the boot framebuffers that
// /proc/iomem shows claiming memory (a framebuffer inside a GPU's BAR keeps vfio-pci from
// reserving it: "BAR N: can't reserve").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptagent {

class Root;

struct IomemRange {
  std::uint64_t start = 0, end = 0;
  std::string name;
};

// The lines of /proc/iomem ("  c0000000-cfffffff : BOOTFB"), nested ones included, in order.
// Malformed lines are skipped.
std::vector<IomemRange> parse_iomem(std::string_view text);

// Whether an iomem name is a firmware/boot framebuffer the kernel set up before any GPU driver:
// BOOTFB, efifb, simple-framebuffer(.N), vesafb, vga16fb.
bool is_boot_framebuffer(std::string_view name);

struct VfioHost {
  std::string kernel_release;  // /proc/sys/kernel/osrelease, trimmed (empty: unknown)
  // /sys/module/vfio_pci/parameters/*: nullopt when vfio_pci is not loaded (or has no such
  // parameter on this kernel).
  std::optional<bool> disable_idle_d3;
  std::optional<bool> disable_denylist;
  std::optional<bool> disable_vga;
  std::optional<bool> nointxmask;
  bool vendor_reset_loaded = false;      // /sys/module/vendor_reset
  std::vector<IomemRange> framebuffers;  // /proc/iomem boot framebuffers with a real address
  bool iomem_hidden = false;             // /proc/iomem read, but all addresses are 0 (not root)
};

// Reads them from a host tree; a missing file leaves its field unset.
VfioHost read_vfio_host(const Root& root);

}  // namespace ptagent
