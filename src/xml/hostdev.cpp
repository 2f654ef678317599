#include "xml/hostdev.hpp"

#include <cctype>
#include <cstdio>
#include <pugixml.hpp>
#include <vector>

#include "error.hpp"
#include "printable.hpp"
#include "xml/pretty.hpp"

namespace ptagent {

namespace {

constexpr unsigned kMaxBootOrder = 65535;
constexpr std::size_t kMaxAliasLength = 64;
constexpr std::size_t kMaxPathLength = 4096;

std::string hex(unsigned value, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%0*x", digits, value);
  return buf;
}

// QEMU's option syntax: a comma inside a value is written twice.
std::string qemu_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    out += c;
    if (c == ',') out += ',';
  }
  return out;
}

unsigned parse_hex_field(std::string_view whole, std::string_view digits, const char* field,
                         unsigned max) {
  const std::string object = "--guest-address '" + printable(whole) + "'";
  const std::string hint = "expected BUS:SLOT in hex, e.g. 00:05";
  if (digits.empty()) throw_usage(object, std::string(field) + " is empty", hint);
  if (digits.size() > 4)
    throw_usage(object, std::string(field) + " '" + printable(digits) + "' is out of range", hint);
  unsigned v = 0;
  for (char c : digits) {
    unsigned d;
    if (c >= '0' && c <= '9')
      d = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f')
      d = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      d = static_cast<unsigned>(c - 'A' + 10);
    else
      throw_usage(object, std::string(field) + " '" + printable(digits) + "' is not a hex number",
                  hint);
    v = v * 16 + d;
  }
  if (v > max)
    throw_usage(object, std::string(field) + " " + hex(v, 2) + " is out of range",
                "expected 0x00-" + hex(max, 2));
  return v;
}

}  // namespace

std::string yes_no_text(YesNo v) {
  return v == YesNo::yes ? "yes" : "no";
}
std::string on_off_text(OnOff v) {
  return v == OnOff::on ? "on" : "off";
}

std::string guest_address_text(const GuestPciAddress& a) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0000:%02x:%02x.%x", a.bus, a.slot, a.function);
  return buf;
}

YesNo parse_yes_no(std::string_view text, std::string_view option) {
  if (text == "yes") return YesNo::yes;
  if (text == "no") return YesNo::no;
  throw_usage(std::string(option) + " '" + printable(text) + "'", "must be yes or no");
}

OnOff parse_on_off(std::string_view text, std::string_view option) {
  if (text == "on") return OnOff::on;
  if (text == "off") return OnOff::off;
  throw_usage(std::string(option) + " '" + printable(text) + "'", "must be on or off");
}

std::string parse_alias(std::string_view text) {
  const std::string object = "--alias '" + printable(text) + "'";
  const std::string hint =
      "libvirt keeps only user aliases: 'ua-' and then letters, digits, '_' or '-', e.g. ua-gpu";
  if (text.substr(0, 3) != "ua-")
    throw_usage(object, "does not start with 'ua-' (libvirt drops other aliases)", hint);
  if (text.size() == 3) throw_usage(object, "has nothing after 'ua-'", hint);
  if (text.size() > kMaxAliasLength) {
    throw_usage(object, "is longer than " + std::to_string(kMaxAliasLength) + " characters", hint);
  }
  for (char c : text.substr(3)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) throw_usage(object, "contains '" + printable(std::string_view(&c, 1)) + "'", hint);
  }
  return std::string(text);
}

GuestPciAddress parse_guest_address(std::string_view text) {
  const std::string object = "--guest-address '" + printable(text) + "'";
  const std::string hint = "expected BUS:SLOT in hex, e.g. 00:05 (the functions follow the host's)";
  if (text.empty()) throw_usage("--guest-address", "is empty", hint);
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    auto pos = text.find(':', start);
    parts.push_back(
        text.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  if (parts.size() < 2 || parts.size() > 3) throw_usage(object, "is not BUS:SLOT", hint);
  if (parts.back().find('.') != std::string_view::npos)
    throw_usage(object, "names a function; give BUS:SLOT only", hint);
  if (parts.size() == 3 && parse_hex_field(text, parts[0], "domain", 0xffff) != 0) {
    throw_usage(object, "has a non-zero PCI domain; QEMU guests have PCI domain 0000 only", hint);
  }
  GuestPciAddress a;
  a.bus = static_cast<std::uint8_t>(parse_hex_field(text, parts[parts.size() - 2], "bus", 0xff));
  a.slot = static_cast<std::uint8_t>(parse_hex_field(text, parts.back(), "slot", 0x1f));
  if (a.bus == 0 && a.slot == 0) {
    throw_usage(object, "is slot 0 of bus 0, where the guest's host bridge sits",
                "pick another slot, e.g. 00:05");
  }
  return a;
}

unsigned parse_boot_order(std::string_view text) {
  const std::string object = "--boot-order '" + printable(text) + "'";
  if (text.empty() || text.size() > 5) throw_usage(object, "is not a number from 1 to 65535");
  unsigned v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') throw_usage(object, "is not a number from 1 to 65535");
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v == 0 || v > kMaxBootOrder)
    throw_usage(object, "is not a number from 1 to 65535", "boot order starts at 1");
  return v;
}

std::string parse_rom_file(std::string_view text) {
  const std::string object = "--rom-file '" + printable(text) + "'";
  if (text.empty())
    throw_usage("--rom-file", "is empty", "give the absolute path of the ROM image");
  if (text.front() != '/' || text.size() < 2) {
    throw_usage(object, "is not an absolute path",
                "libvirt and QEMU need the full path, e.g. /var/lib/libvirt/vbios/gpu.rom");
  }
  if (text.size() > kMaxPathLength) throw_usage(object, "is longer than 4096 characters");
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) throw_usage(object, "contains a control character");
  }
  return std::string(text);
}

std::string parse_driver_model(std::string_view text) {
  const std::string object = "--driver-model '" + printable(text, 64) + "'";
  if (text.empty())
    throw_usage("--driver-model", "is empty", "give a VFIO driver, e.g. mlx5_vfio_pci");
  if (text.size() > 64) throw_usage(object, "is longer than 64 characters");
  for (char c : text) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) {
      throw_usage(object, "is not a driver name",
                  "give a VFIO driver as 'ptagent show DEVICE' lists it, e.g. mlx5_vfio_pci");
    }
  }
  return std::string(text);
}

void check_hostdev(const HostdevSpec& spec) {
  if (spec.alias) parse_alias(*spec.alias);
  if (const auto* p = spec.pci(); p && p->driver_model) parse_driver_model(*p->driver_model);
  if (spec.rom_file) parse_rom_file(*spec.rom_file);
  if (spec.boot_order && (*spec.boot_order == 0 || *spec.boot_order > kMaxBootOrder)) {
    throw_usage("boot order " + std::to_string(*spec.boot_order),
                "is not a number from 1 to 65535");
  }
  if (spec.guest_address) {
    const auto& g = *spec.guest_address;
    if (g.slot > 0x1f || g.function > 7)
      throw_usage("guest address " + guest_address_text(g), "is out of range");
    if (g.bus == 0 && g.slot == 0)
      throw_usage("guest address " + guest_address_text(g), "is the guest's host bridge");
  }
  if (const auto* m = spec.mdev()) {
    if (m->ramfb == OnOff::on && m->display != OnOff::on) {
      throw_usage("mdev " + m->uuid.to_string(), "has ramfb on without display on",
                  "QEMU refuses ramfb=on unless display=on: add --display on");
    }
  }
}

pugi::xml_node append_hostdev(pugi::xml_node parent, const HostdevSpec& spec) {
  check_hostdev(spec);
  pugi::xml_node h = parent.append_child("hostdev");
  h.append_attribute("mode") = "subsystem";
  if (const auto* p = spec.pci()) {
    h.append_attribute("type") = "pci";
    h.append_attribute("managed") = yes_no_text(p->managed).c_str();
    if (p->driver_vfio || p->driver_model) {
      pugi::xml_node drv = h.append_child("driver");
      drv.append_attribute("name") = "vfio";
      if (p->driver_model) drv.append_attribute("model") = p->driver_model->c_str();
    }
    pugi::xml_node a = h.append_child("source").append_child("address");
    a.append_attribute("domain") = hex(p->address.domain, 4).c_str();
    a.append_attribute("bus") = hex(p->address.bus, 2).c_str();
    a.append_attribute("slot") = hex(p->address.slot, 2).c_str();
    a.append_attribute("function") = hex(p->address.function, 1).c_str();
  } else {
    const auto& m = *spec.mdev();
    h.append_attribute("type") = "mdev";
    h.append_attribute("model") = "vfio-pci";
    if (m.display) h.append_attribute("display") = on_off_text(*m.display).c_str();
    if (m.ramfb) h.append_attribute("ramfb") = on_off_text(*m.ramfb).c_str();
    h.append_child("source").append_child("address").append_attribute("uuid") =
        m.uuid.to_string().c_str();
  }
  if (spec.boot_order) h.append_child("boot").append_attribute("order") = *spec.boot_order;
  if (spec.alias) h.append_child("alias").append_attribute("name") = spec.alias->c_str();
  if (spec.rom_bar || spec.rom_file) {
    pugi::xml_node rom = h.append_child("rom");
    if (spec.rom_bar) rom.append_attribute("bar") = on_off_text(*spec.rom_bar).c_str();
    if (spec.rom_file) rom.append_attribute("file") = spec.rom_file->c_str();
  }
  if (spec.guest_address) {
    const auto& g = *spec.guest_address;
    pugi::xml_node a = h.append_child("address");
    a.append_attribute("type") = "pci";
    a.append_attribute("domain") = "0x0000";
    a.append_attribute("bus") = hex(g.bus, 2).c_str();
    a.append_attribute("slot") = hex(g.slot, 2).c_str();
    a.append_attribute("function") = hex(g.function, 1).c_str();
    if (g.multifunction) a.append_attribute("multifunction") = "on";
  }
  return h;
}

std::string hostdev_xml(const HostdevSpec& spec) {
  pugi::xml_document doc;
  return format_xml(append_hostdev(doc, spec));
}

std::string devices_xml(std::span<const HostdevSpec> specs) {
  // An empty <devices/> would read as a mistake; keep the open/close pair.
  if (specs.empty()) return "<devices>\n</devices>\n";
  pugi::xml_document doc;
  pugi::xml_node devices = doc.append_child("devices");
  for (const auto& s : specs) append_hostdev(devices, s);
  return format_xml(devices);
}

std::string hostdev_qemu_arg(const HostdevSpec& spec) {
  check_hostdev(spec);
  std::string out = "-device ";
  if (const auto* p = spec.pci()) {
    out += "vfio-pci,host=" + p->address.to_string();
  } else {
    const auto& m = *spec.mdev();
    out += m.ramfb == OnOff::on ? "vfio-pci-nohotplug" : "vfio-pci";
    out += ",sysfsdev=/sys/bus/mdev/devices/" + m.uuid.to_string();
  }
  if (spec.alias) out += ",id=" + *spec.alias;
  if (spec.guest_address) {
    const auto& g = *spec.guest_address;
    // libvirt names the bus of PCI controller index N "pci.N"; bus 0 is the machine's root bus.
    if (g.bus != 0) out += ",bus=pci." + std::to_string(g.bus);
    char addr[32];
    std::snprintf(addr, sizeof addr, ",addr=0x%x.0x%x", g.slot, g.function);
    out += addr;
    if (g.multifunction) out += ",multifunction=on";
  }
  if (const auto* m = spec.mdev()) {
    if (m->display) out += ",display=" + on_off_text(*m->display);
    if (m->ramfb) out += ",ramfb=" + on_off_text(*m->ramfb);
  }
  if (spec.boot_order) out += ",bootindex=" + std::to_string(*spec.boot_order);
  if (spec.rom_bar) out += std::string(",rombar=") + (*spec.rom_bar == OnOff::on ? "1" : "0");
  if (spec.rom_file) out += ",romfile=" + qemu_value(*spec.rom_file);
  return out;
}

}  // namespace ptagent
