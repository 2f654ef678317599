#include "pci/device.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "error.hpp"
#include "pci/vfio_variant.hpp"
#include "sysfs/dir.hpp"
#include "sysfs/parse.hpp"
#include "sysfs/root.hpp"

namespace ptagent {

namespace {

std::optional<std::uint32_t> hex_attr(const SysDir& dir, const char* name, Device& d) {
  auto text = dir.read(name, 4096);
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

// "VVVV:DDDD" from uevent's PCI_ID / PCI_SUBSYS_ID.
bool id_pair_value(std::string_view v, std::uint16_t& first, std::uint16_t& second) {
  auto colon = v.find(':');
  if (colon == std::string_view::npos) return false;
  auto a = parse_hex_attr(v.substr(0, colon));
  auto b = parse_hex_attr(v.substr(colon + 1));
  if (!a || !b || *a > 0xffff || *b > 0xffff) return false;
  first = static_cast<std::uint16_t>(*a);
  second = static_cast<std::uint16_t>(*b);
  return true;
}

// Class, IDs, subsystem IDs and the driver from uevent, which the kernel writes from the same
// fields as the separate attributes and the driver link: one file instead of six. False (nothing
// set but `driver`) unless all three IDs are there.
bool ids_from_uevent(const SysDir& dir, Device& d, std::optional<std::string>& driver) {
  auto text = dir.read("uevent", 4096);
  if (!text) return false;
  std::optional<std::uint32_t> klass;
  std::uint16_t vendor = 0, device = 0, sv = 0, sd = 0;
  bool ids = false, subsys = false;
  std::string_view rest(*text);
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "PCI_CLASS") {
      if (auto v = parse_hex_attr(value); v && *v <= 0xffffff)
        klass = static_cast<std::uint32_t>(*v);
    } else if (key == "PCI_ID") {
      ids = id_pair_value(value, vendor, device);
    } else if (key == "PCI_SUBSYS_ID") {
      subsys = id_pair_value(value, sv, sd);
    } else if (key == "DRIVER" && !value.empty()) {
      driver = std::string(value);
    }
  }
  if (!klass || !ids || !subsys) return false;
  d.class_code = *klass;
  d.vendor_id = vendor;
  d.device_id = device;
  d.subsys_vendor_id = sv;
  d.subsys_device_id = sd;
  return true;
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

std::string Device::ids() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04x:%04x", vendor_id, device_id);
  return buf;
}

Device read_device(const Root& root, const PciAddress& address, DeviceDetail detail) {
  Device probe;
  probe.address = address;
  auto dir = SysDir::open(root, probe.sysfs_link());
  if (!dir) {
    throw_not_found(address.to_string(), "no such PCI device on this host",
                    "run 'ptagent list' to see the devices" +
                        (root.is_system_root() ? std::string() : " of " + root.base()));
  }
  return read_device(root, address, *dir, detail);
}

namespace {

void read_power_detail(const Root& root, const SysDir& dir, Device& d) {
  if (auto v = dir.read("d3cold_allowed", 64)) {
    if (auto n = parse_int_attr(*v)) d.d3cold_allowed = *n != 0;
  }
  if (auto power = dir.open_dir("power")) {
    if (auto v = power->read("control", 64)) d.power_control = std::string(trim(*v));
    if (auto v = power->read("runtime_status", 64)) d.runtime_status = std::string(trim(*v));
  }
  // firmware_node is a link into the ACPI namespace: followed through the root, inside it.
  if (dir.kind("firmware_node") == SysDir::Kind::link) {
    d.platform_d3cold =
        root.exists(pci_device_dir(d.address.to_string()) + "/firmware_node/power_resources_D3hot");
  }
}

}  // namespace

std::vector<Bar> parse_resource_bars(std::string_view text) {
  std::vector<Bar> out;
  unsigned index = 0;
  for (std::string_view line : lines_of(text)) {
    if (index > 5) break;
    const auto words = split_words(line);
    std::uint64_t v[3] = {0, 0, 0};
    bool ok = words.size() == 3;
    for (std::size_t i = 0; ok && i < 3; ++i) {
      std::string_view w = words[i];
      if (w.size() > 2 && w[0] == '0' && (w[1] == 'x' || w[1] == 'X')) w.remove_prefix(2);
      const auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), v[i], 16);
      ok = ec == std::errc() && p == w.data() + w.size() && !w.empty();
    }
    if (ok && (v[0] != 0 || v[1] != 0) && v[1] >= v[0]) out.push_back({index, v[0], v[1], v[2]});
    ++index;
  }
  return out;
}

Device read_device(const Root& root, const PciAddress& address, const SysDir& dir,
                   DeviceDetail detail) {
  Device d;
  d.address = address;
  d.sysfs_path = dir.real_path();

  std::optional<std::string> uevent_driver;
  const bool from_uevent =
      detail == DeviceDetail::listing && ids_from_uevent(dir, d, uevent_driver);
  if (!from_uevent) {
    if (auto v = hex_attr(dir, "class", d)) d.class_code = *v & 0xffffff;
    if (auto v = hex_attr(dir, "vendor", d)) d.vendor_id = static_cast<std::uint16_t>(*v);
    if (auto v = hex_attr(dir, "device", d)) d.device_id = static_cast<std::uint16_t>(*v);
    if (auto v = dir.read("subsystem_vendor", 64); v && parse_hex_attr(*v)) {
      d.subsys_vendor_id = static_cast<std::uint16_t>(*parse_hex_attr(*v));
    }
    if (auto v = dir.read("subsystem_device", 64); v && parse_hex_attr(*v)) {
      d.subsys_device_id = static_cast<std::uint16_t>(*parse_hex_attr(*v));
    }
  }
  // A VF is never a PF itself: no SR-IOV attributes to look for below a physfn link. Read first:
  // a VF's config space reads vendor/device 0xffff by design and is parsed as such.
  if (auto pf = dir.link_name("physfn")) d.physfn = try_parse_pci_address(*pf);
  if (detail == DeviceDetail::full) {
    std::optional<std::string> cfg = dir.read("config", 4096);
    if (cfg) {
      const auto origin = d.physfn ? ConfigOrigin::virtual_function : ConfigOrigin::function;
      d.config = parse_config_space(*cfg, origin);
      d.config_dead = config_space_dead(*cfg, origin);
    }
    if (auto v = dir.read("power_state", 64)) d.power_state = std::string(trim(*v));
    read_power_detail(root, dir, d);
    d.rom = dir.kind("rom") == SysDir::Kind::file;
    if (auto v = dir.read("resource", 4096)) d.bars = parse_resource_bars(*v);
    if (auto v = dir.read("revision", 64); v && parse_hex_attr(*v)) {
      d.revision = static_cast<std::uint8_t>(*parse_hex_attr(*v));
    } else if (d.config.valid && cfg->size() > 8) {
      d.revision = static_cast<std::uint8_t>((*cfg)[8]);
    }
    if (auto v = dir.read("driver_override", 4096)) d.driver_override = parse_driver_override(*v);
    if (auto v = dir.read("modalias", 4096)) d.modalias = std::string(trim(*v));
    if (auto v = dir.read("numa_node", 64))
      d.numa_node = static_cast<int>(parse_int_attr(*v).value_or(-1));
  }
  d.driver = from_uevent ? uevent_driver : dir.link_name("driver");
  if (d.driver) d.vfio_variant = is_vfio_variant_driver(root, *d.driver);
  if (auto g = dir.link_name("iommu_group")) {
    if (auto n = parse_int_attr(*g); n && *n >= 0) d.iommu_group = static_cast<unsigned>(*n);
  }
  // The kernel shows boot_vga only on VGA-class functions, and a pci_bus directory only below
  // bridges (class 06xx): no lookups for files that cannot be there.
  if (d.is_vga() || d.problems.size() > 0) {
    if (auto v = dir.read("boot_vga", 64)) d.boot_vga = parse_int_attr(*v).value_or(0) == 1;
  }
  if (auto v = dir.read("reset_method", 4096)) d.reset_methods = split_words(*v);
  d.is_bridge = (d.base_class() == 0x06 || !d.problems.empty()) && dir.has_dir("pci_bus");
  {
    // The bridge above: the PCI component before our own in the canonical path.
    std::string_view p(d.sysfs_path);
    auto slash = p.rfind('/');
    if (slash != std::string_view::npos) d.upstream = pci_ancestor(p.substr(0, slash));
  }

  if (!d.physfn) {
    if (auto total = dir.read("sriov_totalvfs", 64)) {
      SriovPf pf;
      pf.total_vfs = static_cast<unsigned>(parse_int_attr(*total).value_or(0));
      if (auto n = dir.read("sriov_numvfs", 64)) {
        pf.num_vfs = static_cast<unsigned>(parse_int_attr(*n).value_or(0));
      }
      if (detail == DeviceDetail::full) {
        std::vector<std::string> links;
        for (auto& name : dir.names()) {
          if (name.rfind("virtfn", 0) == 0) links.push_back(name);
        }
        std::sort(links.begin(), links.end(), [](const std::string& a, const std::string& b) {
          return virtfn_index(a) < virtfn_index(b);
        });
        for (auto& name : links) {
          if (auto t = dir.link_name(name)) {
            if (auto a = try_parse_pci_address(*t)) pf.vfs.push_back(*a);
          }
        }
      }
      d.sriov = std::move(pf);
    }
  }
  if (dir.has_dir("mdev_supported_types")) {
    d.mdev = MdevParentInfo{root.list(d.sysfs_path + "/mdev_supported_types")};
  }
  return d;
}

Infrastructure infrastructure_kind(const Device& d) {
  if (d.is_bridge) return Infrastructure::bus_bridge;
  if (d.base_class() != 0x06) return Infrastructure::none;
  switch (d.sub_class()) {
    case 0x00:
      return Infrastructure::host_bridge;
    case 0x01:
      return Infrastructure::isa_bridge;
    case 0x04:
    case 0x09:
      return Infrastructure::bus_bridge;
    default:
      return Infrastructure::other_bridge;
  }
}

std::string infrastructure_name(Infrastructure kind) {
  switch (kind) {
    case Infrastructure::none:
      return "";
    case Infrastructure::host_bridge:
      return "host bridge";
    case Infrastructure::isa_bridge:
      return "ISA bridge";
    case Infrastructure::bus_bridge:
      return "PCI bridge or root port";
    case Infrastructure::other_bridge:
      return "bridge";
  }
  return "";
}

std::string infrastructure_cause(const Device& d) {
  const std::string name = infrastructure_name(infrastructure_kind(d));
  if (name.empty()) return "";
  const bool vowel = name.front() == 'I';
  return std::string("is ") + (vowel ? "an " : "a ") + name +
         ": host infrastructure, it stays with the host and is never assigned to a guest";
}

std::string infrastructure_refusal(const Device& d) {
  const std::string cause = infrastructure_cause(d);
  return cause.empty() ? cause : d.address.to_string() + " " + cause;
}

std::string class_keyword(std::uint32_t class_code) {
  const unsigned base = (class_code >> 16) & 0xff;
  const unsigned sub = (class_code >> 8) & 0xff;
  switch (base) {
    case 0x00:
      return "legacy";
    case 0x01:
      return "storage";
    case 0x02:
      return "net";
    case 0x03:
      return sub == 0x00 || sub == 0x02 ? "gpu" : "display";
    case 0x04:
      return sub == 0x03 || sub == 0x01 ? "audio" : "multimedia";
    case 0x05:
      return "memory";
    case 0x06:
      return "bridge";
    case 0x07:
      return "communication";
    case 0x08:
      return "system";
    case 0x09:
      return "input";
    case 0x0c:
      return sub == 0x03 ? "usb" : "serial-bus";
    case 0x0d:
      return "wireless";
    case 0x10:
      return "crypto";
    case 0x11:
      return "signal";
    case 0x12:
      return "accelerator";
    default:
      return "other";
  }
}

}  // namespace ptagent
