#include "pci/device.hpp"

#include <algorithm>

#include "error.hpp"
#include "sysfs/parse.hpp"
#include "sysfs/root.hpp"

namespace ptagent {

namespace {

std::optional<std::uint32_t> hex_attr(const Root& root, const std::string& base, const char* name,
                                      Device& d) {
  auto text = root.read(base + "/" + name, 4096);
  if (!text) {
    d.problems.push_back(std::string(name) + ": missing or unreadable");
    return std::nullopt;
  }
  auto v = parse_hex_attr(*text);
  if (!v) d.problems.push_back(std::string(name) + ": malformed value");
  return v;
}

unsigned virtfn_index(const std::string& name) {
  return static_cast<unsigned>(parse_int_attr(std::string_view(name).substr(6)).value_or(0));
}

}  // namespace

std::optional<PciAddress> pci_ancestor(std::string_view path) {
  std::optional<PciAddress> found;
  std::size_t start = 0;
  while (start < path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (auto a = try_parse_pci_address(path.substr(start, slash - start))) found = a;
    start = slash + 1;
  }
  return found;
}

Device read_device(const Root& root, const PciAddress& address) {
  Device d;
  d.address = address;
  const std::string link = d.sysfs_link();
  auto real = root.resolve(link);
  if (!real || !root.is_dir(link)) {
    throw_not_found(address.to_string(), "no such PCI device on this host",
                    "run 'ptagent list' to see the devices" +
                        (root.is_system_root() ? std::string() : " of " + root.base()));
  }
  d.sysfs_path = *real;

  if (auto v = hex_attr(root, link, "class", d)) d.class_code = *v & 0xffffff;
  if (auto v = hex_attr(root, link, "vendor", d)) d.vendor_id = static_cast<std::uint16_t>(*v);
  if (auto v = hex_attr(root, link, "device", d)) d.device_id = static_cast<std::uint16_t>(*v);
  if (auto v = root.read(link + "/subsystem_vendor", 64); v && parse_hex_attr(*v)) {
    d.subsys_vendor_id = static_cast<std::uint16_t>(*parse_hex_attr(*v));
  }
  if (auto v = root.read(link + "/subsystem_device", 64); v && parse_hex_attr(*v)) {
    d.subsys_device_id = static_cast<std::uint16_t>(*parse_hex_attr(*v));
  }
  if (auto cfg = root.read(link + "/config", 4096)) d.config = parse_config_space(*cfg);
  if (auto v = root.read(link + "/revision", 64); v && parse_hex_attr(*v)) {
    d.revision = static_cast<std::uint8_t>(*parse_hex_attr(*v));
  } else if (d.config.valid) {
    if (auto cfg = root.read(link + "/config", 16); cfg && cfg->size() > 8) {
      d.revision = static_cast<std::uint8_t>((*cfg)[8]);
    }
  }
  d.driver = root.link_name(link + "/driver");
  if (auto v = root.read(link + "/driver_override", 4096)) d.driver_override = parse_driver_override(*v);
  if (auto v = root.read_value(link + "/modalias")) d.modalias = *v;
  if (auto g = root.link_name(link + "/iommu_group")) {
    if (auto n = parse_int_attr(*g); n && *n >= 0) d.iommu_group = static_cast<unsigned>(*n);
  }
  if (auto v = root.read(link + "/numa_node", 64)) d.numa_node = static_cast<int>(parse_int_attr(*v).value_or(-1));
  if (auto v = root.read(link + "/boot_vga", 64)) d.boot_vga = parse_int_attr(*v).value_or(0) == 1;
  if (auto v = root.read(link + "/reset_method", 4096)) d.reset_methods = split_words(*v);
  d.is_bridge = root.is_dir(link + "/pci_bus");
  {
    // The bridge above: the PCI component before our own in the canonical path.
    std::string_view p(d.sysfs_path);
    auto slash = p.rfind('/');
    if (slash != std::string_view::npos) d.upstream = pci_ancestor(p.substr(0, slash));
  }

  if (auto total = root.read(link + "/sriov_totalvfs", 64)) {
    SriovPf pf;
    pf.total_vfs = static_cast<unsigned>(parse_int_attr(*total).value_or(0));
    if (auto n = root.read(link + "/sriov_numvfs", 64)) {
      pf.num_vfs = static_cast<unsigned>(parse_int_attr(*n).value_or(0));
    }
    std::vector<std::string> links;
    for (auto& name : root.list(link)) {
      if (name.rfind("virtfn", 0) == 0) links.push_back(name);
    }
    std::sort(links.begin(), links.end(),
              [](const std::string& a, const std::string& b) { return virtfn_index(a) < virtfn_index(b); });
    for (auto& name : links) {
      if (auto t = root.link_name(link + "/" + name)) {
        if (auto a = try_parse_pci_address(*t)) pf.vfs.push_back(*a);
      }
    }
    d.sriov = std::move(pf);
  }
  if (auto pf = root.link_name(link + "/physfn")) d.physfn = try_parse_pci_address(*pf);
  if (root.is_dir(link + "/mdev_supported_types")) {
    d.mdev = MdevParentInfo{root.list(link + "/mdev_supported_types")};
  }
  return d;
}

std::string class_keyword(std::uint32_t class_code) {
  const unsigned base = (class_code >> 16) & 0xff;
  const unsigned sub = (class_code >> 8) & 0xff;
  switch (base) {
    case 0x00: return "legacy";
    case 0x01: return "storage";
    case 0x02: return "net";
    case 0x03: return sub == 0x00 || sub == 0x02 ? "gpu" : "display";
    case 0x04: return sub == 0x03 || sub == 0x01 ? "audio" : "multimedia";
    case 0x05: return "memory";
    case 0x06: return "bridge";
    case 0x07: return "communication";
    case 0x08: return "system";
    case 0x09: return "input";
    case 0x0c: return sub == 0x03 ? "usb" : "serial-bus";
    case 0x0d: return "wireless";
    case 0x10: return "crypto";
    case 0x11: return "signal";
    case 0x12: return "accelerator";
    default: return "other";
  }
}

}  // namespace ptagent
