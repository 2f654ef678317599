#include "pci/address.hpp"

#include <charconv>
#include <cstdio>
#include <vector>

#include "error.hpp"
#include "printable.hpp"

namespace ptagent {

namespace {

struct Field {
  const char* name;
  unsigned long max;
  int width;  // digits in libvirt's output
};

constexpr Field kDomain{"domain", 0xffff, 4};
constexpr Field kBus{"bus", 0xff, 2};
constexpr Field kSlot{"slot", 0x1f, 2};
constexpr Field kFunction{"function", 7, 1};

std::string range_text(const Field& f) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "0x%0*x-0x%0*lx", f.width, 0u, f.width, f.max);
  return buf;
}

unsigned long parse_hex_field(std::string_view whole, std::string_view digits, const Field& f) {
  const std::string object = "PCI address '" + printable(whole) + "'";
  if (digits.empty())
    throw_usage(object, std::string(f.name) + " is empty", "expected " + range_text(f));
  if (digits.size() > 8) {
    throw_usage(object, std::string(f.name) + " '" + printable(digits) + "' is out of range",
                "expected " + range_text(f));
  }
  unsigned long v = 0;
  for (char c : digits) {
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else {
      throw_usage(object, std::string(f.name) + " '" + printable(digits) + "' is not a hex number",
                  "expected " + range_text(f));
    }
    v = v * 16 + static_cast<unsigned long>(d);
  }
  if (v > f.max) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%lx", v);
    throw_usage(object, std::string(f.name) + " " + buf + " is out of range",
                "expected " + range_text(f));
  }
  return v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    auto pos = s.find(sep, start);
    out.push_back(
        s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

DeviceSpec parse_nodedev_name(std::string_view whole, std::string_view rest) {
  auto parts = split(rest, '_');
  if (parts.size() != 4) {
    throw_usage("PCI address '" + printable(whole) + "'",
                "a node-device name has the form pci_DDDD_BB_SS_F", "e.g. pci_0000_01_00_0");
  }
  DeviceSpec spec;
  spec.address.domain = static_cast<std::uint16_t>(parse_hex_field(whole, parts[0], kDomain));
  spec.address.bus = static_cast<std::uint8_t>(parse_hex_field(whole, parts[1], kBus));
  spec.address.slot = static_cast<std::uint8_t>(parse_hex_field(whole, parts[2], kSlot));
  spec.address.function = static_cast<std::uint8_t>(parse_hex_field(whole, parts[3], kFunction));
  return spec;
}

}  // namespace

std::string PciAddress::to_string() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04x:%02x:%02x.%x", domain, bus, slot, function);
  return buf;
}

std::string PciAddress::nodedev_name() const {
  char buf[24];
  std::snprintf(buf, sizeof buf, "pci_%04x_%02x_%02x_%x", domain, bus, slot, function);
  return buf;
}

std::string PciAddress::slot_string() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04x:%02x:%02x", domain, bus, slot);
  return buf;
}

DeviceSpec parse_device_spec(std::string_view text) {
  const std::string_view whole = text;
  const std::string object = "PCI address '" + printable(whole) + "'";
  if (text.empty()) throw_usage("PCI address ''", "is empty", "e.g. 0000:01:00.0 or 01:00.0");
  // A sysfs path names the device by its last component.
  if (text.front() == '/') {
    while (text.size() > 1 && text.back() == '/') text.remove_suffix(1);
    auto slash = text.rfind('/');
    text = text.substr(slash + 1);
  }
  if (text.substr(0, 4) == "pci_") return parse_nodedev_name(whole, text.substr(4));

  auto colon = split(text, ':');
  if (colon.size() < 2 || colon.size() > 3) {
    throw_usage(object, "expected DDDD:BB:SS.F, BB:SS.F or BB:SS", "e.g. 0000:01:00.0");
  }
  DeviceSpec spec;
  std::size_t i = 0;
  if (colon.size() == 3) {
    spec.address.domain = static_cast<std::uint16_t>(parse_hex_field(whole, colon[i++], kDomain));
  }
  spec.address.bus = static_cast<std::uint8_t>(parse_hex_field(whole, colon[i++], kBus));
  std::string_view slotfn = colon[i];
  auto dot = slotfn.find('.');
  if (dot == std::string_view::npos) {
    spec.address.slot = static_cast<std::uint8_t>(parse_hex_field(whole, slotfn, kSlot));
    spec.whole_slot = true;
    return spec;
  }
  spec.address.slot =
      static_cast<std::uint8_t>(parse_hex_field(whole, slotfn.substr(0, dot), kSlot));
  spec.address.function =
      static_cast<std::uint8_t>(parse_hex_field(whole, slotfn.substr(dot + 1), kFunction));
  return spec;
}

PciAddress parse_pci_address(std::string_view text) {
  DeviceSpec spec = parse_device_spec(text);
  if (spec.whole_slot) {
    throw_usage("PCI address '" + printable(text) + "'", "names a whole slot, not one function",
                "add the function, e.g. " + spec.address.slot_string() + ".0");
  }
  return spec.address;
}

PciAddress address_from_fields(long long domain, long long bus, long long slot,
                               long long function) {
  auto check = [](long long v, const Field& f) {
    if (v < 0 || static_cast<unsigned long long>(v) > f.max) {
      throw_usage(std::string(f.name) + " " + std::to_string(v), "is out of range",
                  "expected " + std::to_string(0) + "-" + std::to_string(f.max) +
                      " (decimal, as virsh nodedev-dumpxml prints it)");
    }
    return v;
  };
  PciAddress a;
  a.domain = static_cast<std::uint16_t>(check(domain, kDomain));
  a.bus = static_cast<std::uint8_t>(check(bus, kBus));
  a.slot = static_cast<std::uint8_t>(check(slot, kSlot));
  a.function = static_cast<std::uint8_t>(check(function, kFunction));
  return a;
}

std::optional<long long> parse_libvirt_field(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\n' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\t'))
    text.remove_suffix(1);
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  // Digits only: from_chars would take a sign ("-0", "0x-1f").
  if (text.empty() || text.size() > 8 || text.front() == '-') return std::nullopt;
  long long v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<PciAddress> try_parse_pci_address(std::string_view text) {
  // Fast shape check first: this is called on every path component when looking for ancestors.
  if (text.size() != 12 || text[4] != ':' || text[7] != ':' || text[10] != '.') return std::nullopt;
  try {
    return parse_pci_address(text);
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace ptagent
