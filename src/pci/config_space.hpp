// Decoding of PCI configuration space: the reset-relevant capabilities.
#pragma once

#include <cstdint>
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

struct ConfigInfo {
  bool valid = false;  // at least the 64-byte header was readable and vendor != 0xffff
  std::uint16_t vendor = 0xffff;
  std::uint16_t device = 0xffff;
  std::uint8_t header_type = 0;
  bool multifunction = false;
  PcieType pcie_type = PcieType::none;
  bool pcie_flr = false;          // Device Capabilities bit 28 (Function Level Reset)
  bool af_flr = false;            // Advanced Features capability with FLR
  bool has_pm = false;
  bool pm_no_soft_reset = false;  // PMCSR bit 3: D3hot->D0 keeps state, so no PM reset
  bool has_sriov = false;         // extended capability 0x0010
};

// Parses what is there; a short or garbled buffer gives valid=false or fewer capabilities,
// never an out-of-range read.
ConfigInfo parse_config_space(std::string_view bytes);

}  // namespace ptagent
