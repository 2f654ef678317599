#include "pci/config_space.hpp"

namespace ptagent {

namespace {

struct Reader {
  std::string_view b;
  bool has(std::size_t off, std::size_t n) const { return off + n <= b.size(); }
  std::uint8_t u8(std::size_t off) const { return static_cast<std::uint8_t>(b[off]); }
  std::uint16_t u16(std::size_t off) const {
    return static_cast<std::uint16_t>(u8(off) | (u8(off + 1) << 8));
  }
  std::uint32_t u32(std::size_t off) const {
    return static_cast<std::uint32_t>(u16(off)) | (static_cast<std::uint32_t>(u16(off + 2)) << 16);
  }
};

}  // namespace

std::optional<bool> config_space_dead(std::string_view bytes, ConfigOrigin origin) {
  Reader r{bytes};
  if (origin == ConfigOrigin::virtual_function) {
    if (!r.has(0, 12)) return std::nullopt;
    return r.u32(0x08) == 0xffffffff || r.u32(0x04) == 0xffffffff;
  }
  if (!r.has(0, 2)) return std::nullopt;
  return r.u16(0) == 0xffff;
}

ConfigInfo parse_config_space(std::string_view bytes, ConfigOrigin origin) {
  ConfigInfo info;
  Reader r{bytes};
  if (!r.has(0, 64)) return info;
  info.vendor = r.u16(0);
  info.device = r.u16(2);
  info.virtual_function = origin == ConfigOrigin::virtual_function;
  if (config_space_dead(bytes, origin).value_or(true)) return info;
  info.valid = true;
  info.header_type = r.u8(0x0e) & 0x7f;
  info.multifunction = (r.u8(0x0e) & 0x80) != 0;
  info.interrupt_pin = r.u8(0x3d);
  const bool has_caps = (r.u16(0x06) & 0x10) != 0;
  if (has_caps) {
    std::size_t pos = r.u8(info.header_type == 2 ? 0x14 : 0x34) & 0xfc;
    for (int guard = 0; pos >= 0x40 && guard < 48 && r.has(pos, 2); ++guard) {
      const std::uint8_t id = r.u8(pos);
      if (id == 0x01 && r.has(pos, 8)) {  // Power Management
        info.has_pm = true;
        info.pm_no_soft_reset = (r.u16(pos + 4) & 0x0008) != 0;
      } else if (id == 0x10 && r.has(pos, 8)) {  // PCI Express
        info.pcie_type = static_cast<PcieType>((r.u16(pos + 2) >> 4) & 0xf);
        info.pcie_flr = (r.u32(pos + 4) & (1u << 28)) != 0;
      } else if (id == 0x13 && r.has(pos, 4)) {  // Advanced Features
        const std::uint8_t cap = r.u8(pos + 3);
        info.af_flr = (cap & 0x03) == 0x03;  // TP and FLR both present, as the kernel requires
      }
      pos = r.u8(pos + 1) & 0xfc;
    }
  }
  if (info.pcie_type != PcieType::none && r.has(0x100, 4)) {
    std::size_t pos = 0x100;
    for (int guard = 0; pos >= 0x100 && guard < 96 && r.has(pos, 4); ++guard) {
      const std::uint32_t hdr = r.u32(pos);
      if (hdr == 0 || hdr == 0xffffffff) break;
      if ((hdr & 0xffff) == 0x0010) info.has_sriov = true;
      pos = (hdr >> 20) & 0xffc;
    }
  }
  return info;
}

}  // namespace ptagent
