// Generating libvirt <hostdev> elements (PCI and mdev) and the matching QEMU -device argument.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "pci/address.hpp"
#include "uuid.hpp"

namespace pugi {
class xml_node;
}

namespace ptagent {

enum class YesNo { yes, no };
enum class OnOff { on, off };

// Where the device appears in the guest (<address type='pci' .../> inside <hostdev>).
struct GuestPciAddress {
  std::uint8_t bus = 0;
  std::uint8_t slot = 0;
  std::uint8_t function = 0;
  bool multifunction = false;  // written as multifunction='on' (function 0 of a shared slot)
};

struct HostdevPciSource {
  PciAddress address;
  YesNo managed = YesNo::yes;
  bool driver_vfio = false;  // <driver name='vfio'/>
  // <driver name='vfio' model='NAME'/>: the VFIO (variant) driver libvirt binds, e.g.
  // mlx5_vfio_pci. In libvirt's schema from 10.0 on; 9.0's refuses it.
  std::optional<std::string> driver_model;
};

struct HostdevMdevSource {
  Uuid uuid;
  std::optional<OnOff> display;
  std::optional<OnOff> ramfb;
};

// One <hostdev mode='subsystem'>: a PCI function or a mediated device (model='vfio-pci').
struct HostdevSpec {
  std::variant<HostdevPciSource, HostdevMdevSource> source;
  std::optional<unsigned> boot_order;   // <boot order='N'/>, N >= 1
  std::optional<std::string> alias;     // <alias name='ua-…'/>
  std::optional<OnOff> rom_bar;         // <rom bar='on|off'/>
  std::optional<std::string> rom_file;  // <rom file='/abs/path'/>
  std::optional<GuestPciAddress> guest_address;

  bool is_pci() const { return std::holds_alternative<HostdevPciSource>(source); }
  const HostdevPciSource* pci() const { return std::get_if<HostdevPciSource>(&source); }
  const HostdevMdevSource* mdev() const { return std::get_if<HostdevMdevSource>(&source); }
};

// Throws Error(usage) naming the first field libvirt or QEMU would refuse (alias without "ua-",
// relative ROM file, boot order 0, ramfb without display, guest slot 0 on bus 0, ...).
void check_hostdev(const HostdevSpec& spec);

// Appends the <hostdev> element to `parent`, children in libvirt's order (driver, source, boot,
// alias, rom, address). Calls check_hostdev first.
pugi::xml_node append_hostdev(pugi::xml_node parent, const HostdevSpec& spec);

// The element alone, pretty-printed as `virsh dumpxml` does (two spaces, single quotes).
std::string hostdev_xml(const HostdevSpec& spec);

// <devices> holding every hostdev, pretty-printed.
std::string devices_xml(std::span<const HostdevSpec> specs);

// The QEMU argument pair, e.g. "-device vfio-pci,host=0000:ff:17.6,bootindex=1". Commas inside
// values are doubled as QEMU's option parser expects. mdev with ramfb uses vfio-pci-nohotplug,
// the only vfio device that has the ramfb property.
std::string hostdev_qemu_arg(const HostdevSpec& spec);

// A VFIO driver name for <driver model=…>: [A-Za-z0-9_-], at most 64 characters.
std::string parse_driver_model(std::string_view text);

// Option values as a user types them. Each throws Error(usage) naming `option` and the value.
YesNo parse_yes_no(std::string_view text, std::string_view option);
OnOff parse_on_off(std::string_view text, std::string_view option);
// libvirt keeps only user aliases: "ua-" followed by [A-Za-z0-9_-]+ (64 characters at most).
std::string parse_alias(std::string_view text);
// "BB:SS" or "0000:BB:SS" in hex; the guest PCI domain is always 0.
GuestPciAddress parse_guest_address(std::string_view text);
// A positive decimal integer up to 65535.
unsigned parse_boot_order(std::string_view text);
// An absolute path without control characters.
std::string parse_rom_file(std::string_view text);

std::string yes_no_text(YesNo v);  // "yes" / "no"
std::string on_off_text(OnOff v);  // "on" / "off"
// "0000:00:05.0"
std::string guest_address_text(const GuestPciAddress& a);

}  // namespace ptagent
