#include "setup/udev_rule.hpp"

#include <algorithm>

#include "sysfs/host_paths.hpp"
#include "sysfs/root.hpp"

namespace ptagent {

std::string override_rule(const PciAddress& address, std::string_view driver) {
  const std::string a = address.to_string();
  const std::string d(driver);
  // driver_override is set while udev processes the add event, before the RUN list loads the
  // host driver's module (80-drivers.rules), so the host driver never probes the device. The
  // RUN then hands the device to the driver: away from a driver that had it already (a built-in
  // one), and probed once the driver is loaded (it may have been loaded before the override was
  // set, and a loaded driver does not look at unbound devices again). $$ is a literal $ for udev.
  return "ACTION==\"add\", SUBSYSTEM==\"pci\", KERNEL==\"" + a + "\", ATTR{driver_override}=\"" +
         d +
         "\", RUN+=\"/bin/sh -c 'p=/sys/bus/pci/devices/%k; if [ -e $$p/driver ]; then [ "
         "$$(basename $$(readlink $$p/driver)) = " +
         d + " ] && exit 0; echo %k > $$p/driver/unbind; fi; modprobe -q " + d +
         "; echo %k > /sys/bus/pci/drivers_probe'\"";
}

std::string sriov_rule(const PciAddress& pf, unsigned vfs) {
  return "ACTION==\"bind\", SUBSYSTEM==\"pci\", KERNEL==\"" + pf.to_string() +
         "\", ATTR{sriov_numvfs}=\"" + std::to_string(vfs) + "\"";
}

std::string power_rule(const PciAddress& address, bool bridge) {
  std::string out = "ACTION==\"add\", SUBSYSTEM==\"pci\", KERNEL==\"" + address.to_string() +
                    "\", ATTR{d3cold_allowed}=\"0\"";
  if (!bridge) out += ", ATTR{power/control}=\"on\"";
  return out;
}

std::vector<std::string> reset_method_rules(const PciAddress& address,
                                            const std::vector<std::string>& methods) {
  std::string list;
  for (const auto& m : methods) list += (list.empty() ? "" : " ") + m;
  const std::string a = address.to_string();
  std::vector<std::string> out = {"ACTION==\"add\", SUBSYSTEM==\"pci\", KERNEL==\"" + a +
                                  "\", ATTR{reset_method}=\"" + list + "\""};
  if (std::find(methods.begin(), methods.end(), "device_specific") != methods.end()) {
    out.push_back(
        "ACTION==\"add\", SUBSYSTEM==\"module\", KERNEL==\"vendor_reset\", "
        "RUN+=\"/bin/sh -c 'echo " +
        list + " > /sys/bus/pci/devices/" + a + "/reset_method'\"");
  }
  return out;
}

std::optional<std::string> rules_file(const std::vector<std::string>& lines) {
  if (lines.empty()) return std::nullopt;
  std::string out = "# Written by ptagent setup; 'ptagent setup revert' removes this file.\n";
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::string driverctl_file(const PciAddress& address) {
  return std::string(kDriverctlDir) + "/pci-" + address.to_string();
}

namespace {

std::optional<std::string> quoted_after(std::string_view line, std::string_view key) {
  auto pos = line.find(key);
  if (pos == std::string_view::npos) return std::nullopt;
  pos += key.size();
  auto close = line.find('"', pos);
  if (close == std::string_view::npos) return std::nullopt;
  return std::string(line.substr(pos, close - pos));
}

}  // namespace

std::vector<UdevOverride> parse_override_rules(std::string_view text, std::string_view file) {
  std::vector<UdevOverride> out;
  std::size_t start = 0, number = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(start, nl - start);
    start = nl + 1;
    ++number;
    auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    auto kernel = quoted_after(line, "KERNEL==\"");
    auto driver = quoted_after(line, "ATTR{driver_override}=\"");
    if (!kernel || !driver) continue;
    try {
      out.push_back({std::string(file), number, parse_pci_address(*kernel), *driver});
    } catch (const std::exception&) {
      // A pattern (KERNEL=="0000:01:*") is not one device: not ours to read.
    }
  }
  return out;
}

std::vector<UdevOverride> read_boot_overrides(const Root& root) {
  std::vector<UdevOverride> out;
  for (const auto& name : root.list(kDriverctlDir)) {
    if (name.rfind("pci-", 0) != 0) continue;
    const std::string path = std::string(kDriverctlDir) + "/" + name;
    auto driver = root.read_value(path);
    if (!driver || driver->empty()) continue;
    try {
      out.push_back({path, 1, parse_pci_address(name.substr(4)), *driver});
    } catch (const std::exception&) {
    }
  }
  for (const auto& name : root.list(kUdevRulesDir)) {
    if (name.size() < 6 || name.compare(name.size() - 6, 6, ".rules") != 0) continue;
    const std::string path = std::string(kUdevRulesDir) + "/" + name;
    if (auto text = root.read(path)) {
      auto part = parse_override_rules(*text, path);
      out.insert(out.end(), part.begin(), part.end());
    }
  }
  return out;
}

}  // namespace ptagent
