#include "pci/known_ids.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace ptagent {

namespace {

constexpr std::uint16_t kIntel = 0x8086;
constexpr std::uint16_t kAti = 0x1002;

// "6.1.0-13-amd64" -> {6, 1}; {0, 0} when it does not parse.
std::pair<int, int> major_minor(const std::string& release) {
  int major = 0, minor = 0;
  const char* b = release.data();
  const char* e = b + release.size();
  auto [p, ec] = std::from_chars(b, e, major);
  if (ec != std::errc() || p == e || *p != '.') return {0, 0};
  std::from_chars(p + 1, e, minor);
  return {major, minor};
}

struct Family {
  const char* name;
  std::array<std::uint16_t, 16> ids;  // 0 ends the list
};

// One entry per vendor-reset family (its device-db.h).
constexpr Family kVendorReset[] = {
    {"Polaris 10",
     {0x67c0, 0x67c1, 0x67c2, 0x67c4, 0x67c7, 0x67d0, 0x67df, 0x67c8, 0x67c9, 0x67ca, 0x67cc,
      0x67cf, 0x6fdf}},
    {"Polaris 11", {0x67e0, 0x67e3, 0x67e8, 0x67eb, 0x67ef, 0x67ff, 0x67e1, 0x67e7, 0x67e9}},
    {"Polaris 12", {0x6980, 0x6981, 0x6985, 0x6986, 0x6987, 0x6995, 0x6997, 0x699f}},
    {"Vega 10",
     {0x6860, 0x6861, 0x6862, 0x6863, 0x6864, 0x6867, 0x6868, 0x6869, 0x686a, 0x686b, 0x686c,
      0x686d, 0x686e, 0x686f, 0x687f}},
    {"Vega 20", {0x66a0, 0x66a1, 0x66a2, 0x66a3, 0x66a4, 0x66a7, 0x66af, 0x738c}},
    {"Navi 10", {0x7310, 0x7312, 0x7318, 0x7319, 0x731a, 0x731b, 0x731e, 0x731f, 0x1681}},
    {"Navi 14", {0x7340, 0x7341, 0x7347, 0x734f}},
    {"Navi 12", {0x7360, 0x7362}},
};

}  // namespace

bool vfio_denylisted(std::uint16_t vendor, std::uint16_t device,
                     const std::string& kernel_release) {
  if (vendor != kIntel) return false;
  switch (device) {
    case 0x19e2:  // QAT C3xxx
    case 0x19e3:  // QAT C3xxx VF
    case 0x37c8:  // QAT C62x
    case 0x37c9:  // QAT C62x VF
    case 0x0435:  // QAT DH895xCC
    case 0x0443:  // QAT DH895xCC VF
      return true;
    case 0x0b25:    // DSA (Sapphire Rapids)
    case 0x0cfe: {  // IAX (Sapphire Rapids)
      const auto v = major_minor(kernel_release);
      return kernel_release.empty() || v >= std::pair<int, int>{6, 9};
    }
    default:
      return false;
  }
}

std::optional<std::string> vendor_reset_family(std::uint16_t vendor, std::uint16_t device) {
  if (vendor != kAti || device == 0) return std::nullopt;
  for (const auto& f : kVendorReset) {
    if (std::find(f.ids.begin(), f.ids.end(), device) != f.ids.end()) return std::string(f.name);
  }
  return std::nullopt;
}

}  // namespace ptagent
