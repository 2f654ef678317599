// A snapshot of one PCI function as sysfs shows it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pci/address.hpp"
#include "pci/config_space.hpp"
#include "sysfs/host_paths.hpp"

namespace ptagent {

class Root;
class SysDir;
class IdNames;
class ModuleAliases;

struct SriovPf {
  unsigned total_vfs = 0;
  unsigned num_vfs = 0;
  std::vector<PciAddress> vfs;  // in virtfn order
};

// One BAR as `resource` lists it (lines 0-5; 6 is the ROM).
struct Bar {
  unsigned index = 0;
  std::uint64_t start = 0, end = 0, flags = 0;
  bool io() const { return (flags & 0x100) != 0; }  // IORESOURCE_IO, else memory
};

struct MdevParentInfo {
  std::vector<std::string> types;  // type directory names
};

struct Device {
  PciAddress address;
  std::string sysfs_path;  // canonical host path, "/sys/devices/pci0000:00/.../0000:01:00.0"
  std::uint32_t class_code = 0;
  std::uint16_t vendor_id = 0;
  std::uint16_t device_id = 0;
  std::uint16_t subsys_vendor_id = 0;
  std::uint16_t subsys_device_id = 0;
  std::uint8_t revision = 0;
  std::string class_name, vendor_name, device_name, subsys_name;  // filled by name_device()
  std::optional<std::string> driver;
  // The driver is a VFIO variant driver (mlx5_vfio_pci, ...: is_vfio_variant_driver).
  bool vfio_variant = false;
  std::optional<std::string> driver_override;
  std::string modalias;
  std::vector<std::string> modules;  // filled by name_device() when aliases are known
  std::optional<unsigned> iommu_group;
  int numa_node = -1;
  std::optional<bool> boot_vga;
  std::optional<std::vector<std::string>> reset_methods;  // nullopt: no reset_method file
  bool is_bridge = false;              // has a pci_bus directory: a bridge or root port
  std::optional<PciAddress> upstream;  // the bridge above it, if any
  ConfigInfo config;
  // Full detail only. Whether the config space no longer answers (config_space_dead; nullopt:
  // not read or too short to judge), and the kernel's power_state ("D0", "D3hot", "D3cold").
  std::optional<bool> config_dead;
  std::optional<std::string> power_state;
  // Full detail only: runtime power management. d3cold_allowed (the kernel may cut power when
  // the device idles), power/control ("auto" lets it idle, "on" keeps it on), power/runtime_status
  // ("active", "suspended"), and whether the platform can cut its power at all: the ACPI companion
  // (firmware_node) lists power resources for D3hot (_PR3), on the device or on its bridge.
  std::optional<bool> d3cold_allowed;
  std::optional<std::string> power_control;
  std::optional<std::string> runtime_status;
  bool platform_d3cold = false;
  bool rom = false;                  // a `rom` attribute: the kernel exposes an option ROM BAR
  std::vector<Bar> bars;             // `resource`: the BARs 0-5 that decode an address range
  std::optional<SriovPf> sriov;      // set on a PF
  std::optional<PciAddress> physfn;  // set on a VF
  std::optional<MdevParentInfo> mdev;
  std::vector<std::string> problems;  // attributes that were missing or unreadable

  std::string sysfs_link() const { return pci_device_dir(address.to_string()); }
  std::string ids() const;  // "10de:1b81": vendor and device as lspci -n prints them
  std::uint8_t base_class() const { return static_cast<std::uint8_t>(class_code >> 16); }
  std::uint8_t sub_class() const { return static_cast<std::uint8_t>(class_code >> 8); }
  bool is_vga() const { return (class_code >> 8) == 0x0300; }
  bool is_usb_controller() const { return (class_code >> 8) == 0x0c03; }
  // On a VFIO driver: vfio-pci or a variant driver (vfio_variant).
  bool on_vfio_driver() const { return driver && (*driver == "vfio-pci" || vfio_variant); }
  // Assigned as the IOMMU group rules count it: on a VFIO driver or on pci-stub.
  bool on_vfio() const { return on_vfio_driver() || (driver && *driver == "pci-stub"); }
};

// Host infrastructure: functions that route or decode for the rest of the machine and stay with
// the host. Never assignable; bus bridges (a pci_bus directory) do not count as IOMMU group
// members.
enum class Infrastructure {
  none,
  host_bridge,  // class 0x0600
  isa_bridge,   // class 0x0601 (ISA/LPC/eSPI)
  bus_bridge,   // a subordinate bus (pci_bus directory) or class 0x0604/0x0609: bridges, root ports
  other_bridge,  // any other class 0x06xx (EISA, CardBus, RACEway, "other bridge", ...)
};

Infrastructure infrastructure_kind(const Device& device);
inline bool is_infrastructure(const Device& device) {
  return infrastructure_kind(device) != Infrastructure::none;
}
// "host bridge", "ISA bridge", "PCI bridge or root port", "bridge"; empty for none.
std::string infrastructure_name(Infrastructure kind);
// "is a host bridge: host infrastructure, it stays with the host ..."; empty for none.
std::string infrastructure_cause(const Device& device);
// The same after the address: "0000:00:00.0 is a host bridge: ...".
std::string infrastructure_refusal(const Device& device);

// How much of a device to read.
//  full:    everything above.
//  listing: what `ptagent list` shows (groups reads full detail for its verdicts): class and IDs
//  from uevent (one file instead of
//           five), driver, group, reset methods, SR-IOV, mdev types. Not read: config (on real
//           hardware each read of it is config cycles on the bus), revision, driver_override,
//           modalias, numa_node, which keep their defaults. A PF's VF list (one link per VF) is
//           not read either: Inventory::scan derives it from the VFs' physfn links.
enum class DeviceDetail { full, listing };

// Reads one device; throws Error(not_found) if the host has no such device.
Device read_device(const Root& root, const PciAddress& address,
                   DeviceDetail detail = DeviceDetail::full);
// The same from the device's directory, already opened.
Device read_device(const Root& root, const PciAddress& address, const SysDir& dir,
                   DeviceDetail detail);
// The BARs of a `resource` file (its first six lines) that decode a range.
std::vector<Bar> parse_resource_bars(std::string_view text);
// Fills names (and modules when aliases are given).
void name_device(Device& device, const IdNames& names, const ModuleAliases* aliases);

// The PCI function a sysfs path belongs to: the last path component that is a PCI address.
std::optional<PciAddress> pci_ancestor(std::string_view sysfs_path);

// Short class keyword used by `list --class`: gpu, display, audio, net, storage, usb, bridge, ...
std::string class_keyword(std::uint32_t class_code);

}  // namespace ptagent
