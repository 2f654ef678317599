// PCI addresses in every input form ptagent accepts, always printed as libvirt writes them.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ptagent {

struct PciAddress {
  std::uint16_t domain = 0;
  std::uint8_t bus = 0;
  std::uint8_t slot = 0;      // 0..0x1f
  std::uint8_t function = 0;  // 0..7

  std::string to_string() const;     // "0000:01:00.0"
  std::string nodedev_name() const;  // "pci_0000_01_00_0"
  std::string slot_string() const;   // "0000:01:00"
  auto operator<=>(const PciAddress&) const = default;
};

// A device reference as typed by a user: one function, or every function of a slot ("01:00").
struct DeviceSpec {
  PciAddress address;  // function is 0 when whole_slot
  bool whole_slot = false;
};

// Accepts "0000:06:12.5", "06:12.5", "06:12" / "0000:06:12" (whole slot), "pci_0000_06_12_5" and
// "/sys/bus/pci/devices/0000:06:12.5". Hex is case-insensitive. Throws Error(usage) naming the bad
// field and its range.
DeviceSpec parse_device_spec(std::string_view text);

// Like parse_device_spec but one function only (the slot shorthand is refused).
PciAddress parse_pci_address(std::string_view text);

// Builds an address from decimal fields as `virsh nodedev-dumpxml` prints them; range-checked.
PciAddress address_from_fields(long long domain, long long bus, long long slot, long long function);

// One address field as libvirt writes it in XML: "0x1f" (hex) or "31" (decimal, nodedev XML).
// nullopt for anything else (empty, garbage, more than 8 digits). Range checks are
// address_from_fields'.
std::optional<long long> parse_libvirt_field(std::string_view text);

// Parses a whole address only if text is exactly one; never throws.
std::optional<PciAddress> try_parse_pci_address(std::string_view text);

}  // namespace ptagent
