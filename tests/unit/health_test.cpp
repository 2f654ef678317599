// device_health: what makes a function unable to answer, from its snapshot and its bridge's.
#include "pci/health.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "pci/device.hpp"
#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::TempHost;

namespace {

Device device(const char* addr, std::optional<std::string> power, std::optional<bool> dead) {
  Device d;
  d.address = parse_pci_address(addr);
  d.vendor_id = 0x1002;
  d.device_id = 0x1637;
  d.power_state = std::move(power);
  d.config_dead = dead;
  return d;
}

std::vector<std::string> codes(const std::vector<HealthFinding>& f) {
  std::vector<std::string> out;
  for (const auto& x : f) out.push_back(x.code);
  return out;
}

}  // namespace

TEST(Health, AnAnsweringDeviceHasNoFindings) {
  EXPECT_TRUE(device_health(device("0000:04:00.0", "D0", false), nullptr).empty());
  // vfio-pci idles an unused device in D3hot: it still answers config cycles.
  EXPECT_TRUE(device_health(device("0000:04:00.0", "D3hot", false), nullptr).empty());
  // Nothing read (listing detail, an old kernel without power_state): no judgement.
  EXPECT_TRUE(device_health(device("0000:04:00.0", std::nullopt, std::nullopt), nullptr).empty());
}

TEST(Health, Seed002TheApuFunctionInD3coldReadingFf) {
  const Device bridge = device("0000:00:08.1", "D0", false);
  const auto f = device_health(device("0000:04:00.3", "D3cold", true), &bridge);
  EXPECT_EQ(codes(f), (std::vector<std::string>{"d3cold", "config-inaccessible"}));
  for (const auto& x : f) EXPECT_TRUE(x.blocks());
  EXPECT_NE(f[0].evidence.find("0000:04:00.3 is in D3cold"), std::string::npos) << f[0].evidence;
  EXPECT_NE(f[0].fix.find("'ptagent power 0000:04:00.3 --keep-on'"), std::string::npos) << f[0].fix;
  EXPECT_NE(f[0].fix.find("'ptagent setup power 0000:04:00.3'"), std::string::npos) << f[0].fix;
  EXPECT_NE(f[0].fix.find("d3cold_allowed=0"), std::string::npos) << f[0].fix;
  EXPECT_NE(f[0].fix.find("bridge: 0000:00:08.1"), std::string::npos) << f[0].fix;
  EXPECT_NE(f[0].fix.find("vfio-pci.disable_idle_d3=1"), std::string::npos);
  EXPECT_NE(f[1].evidence.find("rev ff"), std::string::npos);
  EXPECT_NE(f[1].evidence.find("1002:1637"), std::string::npos) << "sysfs still names it";
  EXPECT_NE(f[1].fix.find("/sys/bus/pci/rescan"), std::string::npos);
}

TEST(Health, ABridgeInD3coldTakesEverythingBelowIt) {
  const Device bridge = device("0000:00:1c.0", "D3cold", std::nullopt);
  const auto f = device_health(device("0000:03:00.0", "D0", false), &bridge);
  ASSERT_EQ(codes(f), (std::vector<std::string>{"bridge-d3cold"}));
  EXPECT_NE(f[0].evidence.find("upstream bridge 0000:00:1c.0"), std::string::npos);
  EXPECT_NE(f[0].fix.find("ptagent power 0000:00:1c.0 --keep-on"), std::string::npos) << f[0].fix;
}

TEST(Health, ReadDeviceFillsPowerStateAndConfigDead) {
  TempHost h = TempHost::copy_of("workstation");
  const Device before = read_device(h.root(), parse_pci_address("0000:01:00.1"));
  EXPECT_EQ(before.config_dead, false);
  const std::string dir = h.root().host_path(before.sysfs_path);
  std::ofstream(dir + "/power_state") << "D3cold\n";
  std::ofstream(dir + "/config", std::ios::binary) << std::string(256, '\xff');
  const Device after = read_device(h.root(), parse_pci_address("0000:01:00.1"));
  EXPECT_EQ(after.power_state, "D3cold");
  EXPECT_EQ(after.config_dead, true);
  EXPECT_EQ(after.vendor_id, 0x10de) << "the kernel's vendor file, not config space";
  // Listing detail reads neither (one file per function is the budget there).
  const Device listed =
      read_device(h.root(), parse_pci_address("0000:01:00.1"), DeviceDetail::listing);
  EXPECT_FALSE(listed.power_state.has_value());
  EXPECT_FALSE(listed.config_dead.has_value());
}

TEST(Health, WorstSeverityRanksBlockingOverWarningOverInfo) {
  EXPECT_EQ(worst_severity({}), std::nullopt);
  std::vector<HealthFinding> f = {{"a", Severity::info, "e", ""}};
  EXPECT_EQ(worst_severity(f), Severity::info);
  f.push_back({"b", Severity::blocking, "e", ""});
  f.push_back({"c", Severity::warning, "e", ""});
  EXPECT_EQ(worst_severity(f), Severity::blocking);
  f.erase(f.begin() + 1);
  EXPECT_EQ(worst_severity(f), Severity::warning);
}
