#include "pci/config_space.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace ptagent;

namespace {

std::string header(std::uint16_t vendor, std::uint16_t device) {
  std::string c(256, '\0');
  c[0] = static_cast<char>(vendor & 0xff);
  c[1] = static_cast<char>(vendor >> 8);
  c[2] = static_cast<char>(device & 0xff);
  c[3] = static_cast<char>(device >> 8);
  return c;
}

void add_caps(std::string& c, bool flr, bool no_soft_reset) {
  c[0x06] = 0x10;  // capabilities list
  c[0x34] = 0x40;
  c[0x40] = 0x01;  // PM
  c[0x41] = 0x60;
  c[0x44] = no_soft_reset ? 0x08 : 0x00;
  c[0x60] = 0x10;  // PCIe
  c[0x61] = 0x00;
  c[0x62] = 0x02;           // version 2, type 0 endpoint
  if (flr) c[0x67] = 0x10;  // DevCap bit 28
}

}  // namespace

TEST(ConfigSpace, ShortOrAbsentIsInvalid) {
  EXPECT_FALSE(parse_config_space("").valid);
  EXPECT_FALSE(parse_config_space(std::string(32, '\0')).valid);
  EXPECT_FALSE(parse_config_space(header(0xffff, 0xffff)).valid);
}

TEST(ConfigSpace, FlrAndPm) {
  std::string c = header(0x10de, 0x1b81);
  add_caps(c, true, true);
  auto info = parse_config_space(c);
  ASSERT_TRUE(info.valid);
  EXPECT_EQ(info.vendor, 0x10de);
  EXPECT_EQ(info.device, 0x1b81);
  EXPECT_TRUE(info.pcie_flr);
  EXPECT_TRUE(info.has_pm);
  EXPECT_TRUE(info.pm_no_soft_reset);
  EXPECT_EQ(info.pcie_type, PcieType::endpoint);

  std::string d = header(0x10de, 0x1b81);
  add_caps(d, false, false);
  info = parse_config_space(d);
  EXPECT_FALSE(info.pcie_flr);
  EXPECT_FALSE(info.pm_no_soft_reset);
}

TEST(ConfigSpace, CapabilityLoopIsBounded) {
  std::string c = header(0x8086, 0x1234);
  c[0x06] = 0x10;
  c[0x34] = 0x40;
  c[0x40] = 0x05;
  c[0x41] = 0x40;  // points at itself
  auto info = parse_config_space(c);
  EXPECT_TRUE(info.valid);
  EXPECT_FALSE(info.has_pm);
}

TEST(ConfigSpace, PointerOutsideBufferIgnored) {
  std::string c = header(0x8086, 0x1234);
  c.resize(64);
  c[0x06] = 0x10;
  c[0x34] = static_cast<char>(0xfc);
  EXPECT_TRUE(parse_config_space(c).valid);
}

TEST(ConfigSpace, SriovExtendedCapability) {
  std::string c = header(0x8086, 0x10fb);
  add_caps(c, true, false);
  c.resize(4096, '\0');
  c[0x100] = 0x10;  // SR-IOV, next 0
  c[0x102] = 0x01;
  EXPECT_TRUE(parse_config_space(c).has_sriov);
}

// A VF's config space reads vendor/device 0xffff by design (PCIe SR-IOV); everything else it
// implements is there, FLR included (Linux 6.1, QEMU nvme VF: reset_method flr, DevCap FLReset+).
TEST(ConfigSpace, VirtualFunctionReadsFfffIdsAndStillParses) {
  std::string c = header(0xffff, 0xffff);
  add_caps(c, true, true);
  c[0x08] = 0x02;  // revision
  c[0x0b] = 0x01;  // class 01 (storage)
  c[0x0a] = 0x08;
  c[0x09] = 0x02;
  EXPECT_FALSE(parse_config_space(c).valid);  // read as an ordinary function: nobody answers
  auto info = parse_config_space(c, ConfigOrigin::virtual_function);
  ASSERT_TRUE(info.valid);
  EXPECT_TRUE(info.virtual_function);
  EXPECT_EQ(info.vendor, 0xffff);
  EXPECT_TRUE(info.pcie_flr);
  EXPECT_EQ(info.pcie_type, PcieType::endpoint);
  // A VF whose whole config space reads all ones is gone.
  EXPECT_FALSE(parse_config_space(std::string(256, '\xff'), ConfigOrigin::virtual_function).valid);
}

TEST(ConfigSpace, DeadIsJudgedByRegistersTheFunctionImplements) {
  std::string vf = header(0xffff, 0xffff);
  vf[0x08] = 0x02;
  vf[0x0b] = 0x01;
  EXPECT_EQ(config_space_dead(vf, ConfigOrigin::virtual_function), false);
  EXPECT_EQ(config_space_dead(vf, ConfigOrigin::function), true);  // as a PF it would be
  std::string wedged(64, '\xff');
  EXPECT_EQ(config_space_dead(wedged, ConfigOrigin::virtual_function), true);
  std::string status_ones = vf;
  for (int i = 4; i < 8; ++i) status_ones[i] = '\xff';
  EXPECT_EQ(config_space_dead(status_ones, ConfigOrigin::virtual_function), true);
  EXPECT_EQ(config_space_dead(header(0x8086, 0x1234), ConfigOrigin::function), false);
  EXPECT_EQ(config_space_dead(std::string(8, '\0'), ConfigOrigin::virtual_function), std::nullopt);
  EXPECT_EQ(config_space_dead("", ConfigOrigin::function), std::nullopt);
}

TEST(ConfigSpace, InterruptPin) {
  std::string cfg(256, '\0');
  cfg[0] = '\x86';
  cfg[1] = '\x80';
  cfg[0x3d] = '\x01';
  EXPECT_EQ(parse_config_space(cfg).interrupt_pin, 1);
  cfg[0x3d] = '\x0f';
  EXPECT_EQ(parse_config_space(cfg).interrupt_pin, 0x0f) << "reported as read; judged elsewhere";
}
