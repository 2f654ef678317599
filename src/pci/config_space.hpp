// Decoding of PCI configuration space: the reset-relevant capabilities.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ptagent {

enum class PcieType : std::uint8_t {
  none = 0xff,  // conventional PCI, no Express capability
  endpoint = 0,
  legacy_endpoint = 1,
  root_port = 4,
  upstream_port = 5,
  downstream_port = 6,
  pcie_to_pci_bridge = 7,
  pci_to_pcie_bridge = 8,
  rc_integrated_endpoint = 9,
  rc_event_collector = 10,
};

// Whose config space it is. An SR-IOV Virtual Function (a `physfn` link in sysfs) reads vendor and
// device ID 0xffff by design (PCIe SR-IOV spec, 3.4.1.1/3.4.1.2): the real IDs are in the PF's
// SR-IOV capability and in the kernel's sysfs `vendor`/`device` files.
enum class ConfigOrigin { function, virtual_function };

struct ConfigInfo {
  // At least the 64-byte header was readable and the function answers: vendor != 0xffff, or for a
  // VF the revision/class dword at 0x08 and the command/status dword at 0x04 not all ones.
  bool valid = false;
  bool virtual_function = false;  // parsed as a VF: vendor/device below read 0xffff by design
  std::uint16_t vendor = 0xffff;
  std::uint16_t device = 0xffff;
  std::uint8_t header_type = 0;
  bool multifunction = false;
  PcieType pcie_type = PcieType::none;
  bool pcie_flr = false;  // Device Capabilities bit 28 (Function Level Reset)
  bool af_flr = false;    // Advanced Features capability with FLR
  bool has_pm = false;
  bool pm_no_soft_reset = false;   // PMCSR bit 3: D3hot->D0 keeps state, so no PM reset
  bool has_sriov = false;          // extended capability 0x0010
  std::uint8_t interrupt_pin = 0;  // 0x3d: 0 none, 1-4 INTA#-INTD#; anything else is invalid
};

// Parses what is there; a short or garbled buffer gives valid=false or fewer capabilities,
// never an out-of-range read.
ConfigInfo parse_config_space(std::string_view bytes, ConfigOrigin origin = ConfigOrigin::function);

// Whether a function whose config space reads `bytes` no longer answers (wedged or gone): its
// vendor ID reads 0xffff — for a VF, whose vendor ID always reads 0xffff, the revision/class
// dword at 0x08 or the command/status dword at 0x04 reads all ones. nullopt when fewer than 12
// bytes (2 for a function) were readable: no judgement possible.
std::optional<bool> config_space_dead(std::string_view bytes, ConfigOrigin origin);

}  // namespace ptagent
