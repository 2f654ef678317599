// udev rules ptagent writes so that a setting is made when the kernel adds a device: a
// driver_override before any driver probes it (vfio-pci by address, the way driverctl persists
// an override), and a PF's SR-IOV VF count when its driver binds. driverctl's own saved
// overrides (/etc/driverctl.d) are used instead when driverctl is installed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pci/address.hpp"
#include "sysfs/host_paths.hpp"

namespace ptagent {

class Root;

// One rule line: at add, driver_override is set (a driver that probes later honours it) and a
// driver that already took the device (built in, or loaded from the initramfs) lets it go.
std::string override_rule(const PciAddress& address, std::string_view driver);
// One rule line: when the PF's driver binds, sriov_numvfs is set (it needs a bound driver).
std::string sriov_rule(const PciAddress& pf, unsigned vfs);
// Lines that keep a device out of D3cold from the moment the kernel adds it: d3cold_allowed=0
// and power/control=on (a bridge: d3cold_allowed=0 only, its children keep it awake).
std::string power_rule(const PciAddress& address, bool bridge);
// Lines that set a device's reset_method when it is added. device_specific exists only once
// vendor-reset is loaded, which may be after the device was added: then a second line sets it
// again when the vendor_reset module appears.
std::vector<std::string> reset_method_rules(const PciAddress& address,
                                            const std::vector<std::string>& methods);
// A whole rules file from its lines (header comment first); "" lines -> nullopt (no file).
std::optional<std::string> rules_file(const std::vector<std::string>& lines);

// driverctl's saved override for a device: /etc/driverctl.d/pci-0000:01:00.0.
std::string driverctl_file(const PciAddress& address);

struct UdevOverride {
  std::string file;
  std::size_t line = 0;
  PciAddress address;
  std::string driver;
};
// The `KERNEL=="DDDD:BB:SS.F"… ATTR{driver_override}="DRIVER"` rules of a rules file.
std::vector<UdevOverride> parse_override_rules(std::string_view text, std::string_view file);

// Every saved override of the host: driverctl's files and override rules in /etc/udev/rules.d.
std::vector<UdevOverride> read_boot_overrides(const Root& root);

}  // namespace ptagent
