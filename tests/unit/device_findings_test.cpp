// device_findings: each host-dependent finding, its severity, evidence and fix, and the seed-002
// host read from its fixture.
#include "host/device_findings.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

#include "pci/inventory.hpp"
#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::TempHost;

namespace {

Device gpu(std::uint16_t vendor, std::uint16_t device) {
  Device d;
  d.address = parse_pci_address("0000:03:00.0");
  d.vendor_id = vendor;
  d.device_id = device;
  d.class_code = 0x030000;
  d.power_state = "D0";
  d.config_dead = false;
  d.config.valid = true;
  d.config.interrupt_pin = 1;
  d.rom = true;
  return d;
}

// A copy: the findings searched are often a temporary.
std::optional<HealthFinding> find(const std::vector<HealthFinding>& f, const std::string& code) {
  auto it =
      std::find_if(f.begin(), f.end(), [&](const HealthFinding& x) { return x.code == code; });
  if (it == f.end()) return std::nullopt;
  return *it;
}

std::vector<std::string> codes(const std::vector<HealthFinding>& f) {
  std::vector<std::string> out;
  for (const auto& x : f) out.push_back(x.code);
  return out;
}

}  // namespace

TEST(DeviceFindings, AHealthyGpuOnAQuietHostHasNone) {
  EXPECT_TRUE(device_findings(gpu(0x10de, 0x1b81), nullptr, VfioHost{}).empty());
}

TEST(DeviceFindings, AmdResetBugWithoutVendorReset) {
  const auto f = device_findings(gpu(0x1002, 0x67df), nullptr, VfioHost{});
  std::optional<HealthFinding> x = find(f, "vendor-reset-missing");
  ASSERT_TRUE(x) << ::testing::PrintToString(codes(f));
  EXPECT_EQ(x->severity, Severity::warning);
  EXPECT_NE(x->evidence.find("Polaris 10"), std::string::npos) << x->evidence;
  EXPECT_NE(x->fix.find("modprobe vendor-reset"), std::string::npos) << x->fix;
  EXPECT_NE(x->fix.find("'ptagent reset-method 0000:03:00.0 device_specific"), std::string::npos)
      << x->fix;
  EXPECT_NE(x->fix.find("'ptagent setup reset-method 0000:03:00.0 device_specific"),
            std::string::npos)
      << x->fix;
}

TEST(DeviceFindings, VendorResetLoadedButNotFirstInResetMethod) {
  VfioHost host;
  host.vendor_reset_loaded = true;
  Device d = gpu(0x1002, 0x731f);
  d.reset_methods = std::vector<std::string>{"bus"};
  std::optional<HealthFinding> x = find(device_findings(d, nullptr, host), "vendor-reset-unused");
  ASSERT_TRUE(x);
  EXPECT_NE(x->evidence.find("lists 'bus' first"), std::string::npos) << x->evidence;
  d.reset_methods = std::vector<std::string>{"device_specific", "bus"};
  EXPECT_TRUE(device_findings(d, nullptr, host).empty()) << "vendor-reset is in charge";
}

TEST(DeviceFindings, FramebufferInsideABar) {
  VfioHost host;
  host.kernel_release = "6.1.0-13-amd64";
  host.framebuffers.push_back({0xe0000000, 0xe07e8fff, "BOOTFB"});
  Device d = gpu(0x10de, 0x1b81);
  d.bars = {{0, 0xf6000000, 0xf6ffffff, 0x200}, {1, 0xe0000000, 0xefffffff, 0x14220c}};
  const auto f = device_findings(d, nullptr, host);
  std::optional<HealthFinding> x = find(f, "framebuffer-in-bar");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->severity, Severity::warning);
  EXPECT_NE(x->evidence.find("BAR 1 of 0000:03:00.0"), std::string::npos) << x->evidence;
  EXPECT_NE(x->evidence.find("BOOTFB"), std::string::npos);
  EXPECT_NE(x->fix.find("initcall_blacklist=sysfb_init"), std::string::npos) << x->fix;
  host.kernel_release = "5.10.0-26-amd64";
  const auto old = device_findings(d, nullptr, host);
  x = find(old, "framebuffer-in-bar");
  ASSERT_TRUE(x);
  EXPECT_NE(x->fix.find("video=efifb:off"), std::string::npos) << "older kernels: efifb itself";
  d.bars = {{0, 0xf6000000, 0xf6ffffff, 0x200}};
  EXPECT_FALSE(find(device_findings(d, nullptr, host), "framebuffer-in-bar"));
  d.bars = {{4, 0xe0000000, 0xe000007f, 0x101}};  // an I/O BAR at the same numbers
  EXPECT_FALSE(find(device_findings(d, nullptr, host), "framebuffer-in-bar"));
}

TEST(DeviceFindings, DenylistBlocksUnlessDisabled) {
  Device qat = gpu(0x8086, 0x37c8);
  qat.class_code = 0x0b4000;
  VfioHost host;
  host.kernel_release = "6.1.0-13-amd64";
  std::optional<HealthFinding> x = find(device_findings(qat, nullptr, host), "vfio-denylist");
  ASSERT_TRUE(x);
  EXPECT_TRUE(x->blocks());
  EXPECT_NE(x->fix.find("disable_denylist=1"), std::string::npos);
  host.disable_denylist = true;
  const auto f = device_findings(qat, nullptr, host);
  EXPECT_FALSE(find(f, "vfio-denylist"));
  ASSERT_TRUE(find(f, "vfio-denylist-disabled"));
  EXPECT_EQ(find(f, "vfio-denylist-disabled")->severity, Severity::info);
}

TEST(DeviceFindings, InterruptPinOutOfRangeBlocks) {
  Device d = gpu(0x10de, 0x1b81);
  d.config.interrupt_pin = 0x0f;
  std::optional<HealthFinding> x =
      find(device_findings(d, nullptr, VfioHost{}), "intx-pin-invalid");
  ASSERT_TRUE(x);
  EXPECT_TRUE(x->blocks());
  EXPECT_NE(x->evidence.find("0x0f"), std::string::npos) << x->evidence;
  EXPECT_NE(x->evidence.find("pci_irq_handler"), std::string::npos);
  d.config.valid = false;  // a dead config space is config-inaccessible's, not this one's
  EXPECT_FALSE(find(device_findings(d, nullptr, VfioHost{}), "intx-pin-invalid"));
}

TEST(DeviceFindings, D3coldWhileIdleNeedsPlatformSupport) {
  Device d = gpu(0x10de, 0x1b81);
  d.d3cold_allowed = true;
  Device bridge;
  bridge.address = parse_pci_address("0000:00:01.0");
  bridge.power_state = "D0";
  EXPECT_FALSE(find(device_findings(d, &bridge, VfioHost{}), "d3cold-while-idle"))
      << "no _PR3 anywhere: the platform cannot cut power";
  bridge.platform_d3cold = true;
  std::optional<HealthFinding> x =
      find(device_findings(d, &bridge, VfioHost{}), "d3cold-while-idle");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->severity, Severity::warning);
  EXPECT_NE(x->evidence.find("its bridge 0000:00:01.0"), std::string::npos) << x->evidence;
  EXPECT_NE(x->fix.find("d3cold_allowed"), std::string::npos);
  VfioHost idle_off;
  idle_off.disable_idle_d3 = true;
  EXPECT_FALSE(find(device_findings(d, &bridge, idle_off), "d3cold-while-idle"));
  d.d3cold_allowed = false;
  EXPECT_FALSE(find(device_findings(d, &bridge, VfioHost{}), "d3cold-while-idle"));
}

TEST(DeviceFindings, RomAndVfioOptionsAreInformation) {
  Device d = gpu(0x10de, 0x1b81);
  d.rom = false;
  VfioHost host;
  host.disable_vga = true;
  host.nointxmask = true;
  const auto f = device_findings(d, nullptr, host);
  EXPECT_EQ(codes(f),
            (std::vector<std::string>{"rom-absent", "vfio-disable-vga", "vfio-nointxmask"}));
  for (const auto& x : f) EXPECT_EQ(x.severity, Severity::info) << x.code;
  EXPECT_NE(f[0].fix.find("--rom-file"), std::string::npos);
}

TEST(DeviceFindings, Seed002HostFromItsFixture) {
  TempHost h = TempHost::copy_of("apu");
  const Inventory inv = Inventory::scan(h.root());
  const VfioHost host = read_vfio_host(h.root());
  auto of = [&](const char* a) {
    const Device& d = inv.get(parse_pci_address(a));
    return device_findings(d, d.upstream ? inv.find(*d.upstream) : nullptr, host);
  };
  EXPECT_EQ(codes(of("0000:04:00.0")),
            (std::vector<std::string>{"d3cold", "config-inaccessible", "framebuffer-in-bar",
                                      "rom-absent"}));
  EXPECT_EQ(codes(of("0000:04:00.3")), (std::vector<std::string>{"d3cold", "config-inaccessible"}));
  EXPECT_EQ(codes(of("0000:04:00.6")), (std::vector<std::string>{"config-inaccessible"}))
      << "D3hot, but its config space reads ff";
  // The PSP still answers, but the root port above can cut its power while vfio-pci idles it.
  EXPECT_EQ(codes(of("0000:04:00.2")), (std::vector<std::string>{"d3cold-while-idle"}));
  EXPECT_TRUE(of("0000:02:00.0").empty());
}
