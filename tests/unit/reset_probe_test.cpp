#include "ops/reset_probe.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "host/critical.hpp"
#include "pci/inventory.hpp"
#include "support/cli_runner.hpp"
#include "support/temp_host.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;

namespace {

PciAddress A(const char* s) {
  return parse_pci_address(s);
}

struct Host {
  explicit Host(const std::string& name)
      : root(test::fixture_host(name)),
        inv(Inventory::scan(root, Naming::ids_only)),
        hc(HostCritical::scan(root, inv)) {}
  ResetAnalysis probe(const char* a) { return analyze_reset(inv, hc, A(a)); }
  Root root;
  Inventory inv;
  HostCritical hc;
};

TEST(ResetProbe, FlrDeviceAloneInGroupIsAssignableAlone) {
  Host h("server");
  auto r = h.probe("01:10.0");
  EXPECT_TRUE(r.flr);
  EXPECT_EQ(r.means, ResetMeans::flr);
  EXPECT_EQ(r.verdict, Assignability::alone);
  EXPECT_TRUE(r.together_with.empty());
}

TEST(ResetProbe, ConventionalPciBehindBridgeNeedsItsBusSharer) {
  Host h("server");
  auto r = h.probe("03:00.0");
  EXPECT_FALSE(r.flr);
  EXPECT_FALSE(r.pm_reset);
  EXPECT_FALSE(r.on_root_bus);
  EXPECT_EQ(r.means, ResetMeans::bus);
  EXPECT_EQ(r.verdict, Assignability::together);
  EXPECT_EQ(r.together_with, (std::vector<PciAddress>{A("03:01.0")}));
  EXPECT_NE(r.reason.find("secondary bus reset"), std::string::npos);
}

TEST(ResetProbe, GpuTogetherWithAudio) {
  Host h("workstation");
  auto r = h.probe("01:00.0");
  EXPECT_EQ(r.verdict, Assignability::together);
  EXPECT_EQ(r.together_with, (std::vector<PciAddress>{A("01:00.1")}));
}

TEST(ResetProbe, HostCriticalIsNotAssignable) {
  Host h("workstation");
  auto r = h.probe("02:00.0");
  EXPECT_EQ(r.verdict, Assignability::not_assignable);
  EXPECT_NE(r.reason.find("root filesystem"), std::string::npos);
}

TEST(ResetProbe, PmResetOnly) {
  Host h("server");
  auto r = h.probe("04:00.0");  // ASPEED: PM reset, but boot VGA
  EXPECT_TRUE(r.pm_reset);
  EXPECT_EQ(r.means, ResetMeans::pm);
  EXPECT_EQ(r.verdict, Assignability::not_assignable);  // boot VGA
}

TEST(ResetProbe, NoIommuIsNotAssignable) {
  Host h("noiommu");
  auto r = h.probe("00:05.0");
  EXPECT_EQ(r.verdict, Assignability::not_assignable);
  EXPECT_TRUE(r.on_root_bus);
  EXPECT_EQ(r.means, ResetMeans::none);
  EXPECT_NE(r.reason.find("IOMMU"), std::string::npos);
}

TEST(ResetProbe, VfioBoundNeedsNoReset) {
  Host h("server");
  auto r = h.probe("01:10.2");
  EXPECT_EQ(r.means, ResetMeans::vfio_driver);
  EXPECT_EQ(r.verdict, Assignability::alone);
}

// The group is the unit of assignment: its other endpoints are in the exact set whatever their
// driver (here the audio function is already on vfio-pci), never "alone".
TEST(ResetVerdict, TheGroupIsTheUnitWhateverTheDrivers) {
  ptagent::testing::TempHost t = ptagent::testing::TempHost::copy_of("workstation");
  // 01:00.1 on vfio-pci, as a bind of it alone would leave it.
  const std::string dev = t.real("/sys/bus/pci/devices/0000:01:00.1");
  std::filesystem::remove(dev + "/driver");
  std::filesystem::create_directory_symlink("../../../../bus/pci/drivers/vfio-pci",
                                            dev + "/driver");
  Inventory inv = Inventory::scan(t.root(), Naming::ids_only);
  ASSERT_EQ(inv.get(A("01:00.1")).driver, "vfio-pci");
  HostCritical hc = HostCritical::scan(t.root(), inv);
  auto r = analyze_reset(inv, hc, A("01:00.0"));
  EXPECT_EQ(r.verdict, Assignability::together);
  EXPECT_EQ(r.together_with, (std::vector<PciAddress>{A("01:00.1")}));
  EXPECT_EQ(r.unit, (std::vector<PciAddress>{A("01:00.0"), A("01:00.1")}));
  EXPECT_NE(r.reason.find("assign together: 0000:01:00.0, 0000:01:00.1 (one guest)"),
            std::string::npos)
      << r.reason;
  EXPECT_NE(r.reason.find("not viable yet: 0000:01:00.0 (nouveau) is on host drivers"),
            std::string::npos)
      << r.reason;
  EXPECT_NE(r.advice.find("ptagent bind --group 0000:01:00.0"), std::string::npos) << r.advice;
  auto audio = analyze_reset(inv, hc, A("01:00.1"));
  EXPECT_EQ(audio.verdict, Assignability::together);
  EXPECT_EQ(audio.together_with, (std::vector<PciAddress>{A("01:00.0")}));
}

TEST(ResetVerdict, InfrastructureIsNeverAssignable) {
  Host h("workstation");
  const struct {
    const char* device;
    Infrastructure kind;
    const char* says;
  } cases[] = {
      {"00:00.0", Infrastructure::host_bridge, "0000:00:00.0 is a host bridge"},
      {"00:1f.0", Infrastructure::isa_bridge, "0000:00:1f.0 is an ISA bridge"},
      {"00:01.0", Infrastructure::bus_bridge, "0000:00:01.0 is a PCI bridge or root port"}};
  for (const auto& c : cases) {
    auto r = h.probe(c.device);
    EXPECT_EQ(r.infrastructure, c.kind) << c.device;
    EXPECT_EQ(r.verdict, Assignability::not_assignable) << c.device;
    EXPECT_EQ(r.reason.rfind(c.says, 0), 0u) << r.reason;
    EXPECT_TRUE(r.advice.empty()) << r.advice;
  }
  // The ISA bridge shares group 7 but is not part of the unit: the audio goes with the SMBus.
  auto r = h.probe("00:1f.3");
  EXPECT_EQ(r.unit, (std::vector<PciAddress>{A("00:1f.3"), A("00:1f.4")}));
  EXPECT_EQ(r.together_with, (std::vector<PciAddress>{A("00:1f.4")}));
  EXPECT_EQ(r.verdict, Assignability::together);
}

// One verdict for a device whose group companion the host needs: not assignable, and no advice
// to bind the group (show used to advise 'bind --group' where probe refused).
TEST(ResetVerdict, ACompanionTheHostNeedsMakesTheGroupUnassignable) {
  ptagent::testing::TempHost t = ptagent::testing::TempHost::copy_of("server");
  std::ofstream(t.real("/proc/net/route"))
      << "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
         "enp3s0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n";
  Inventory inv = Inventory::scan(t.root(), Naming::ids_only);
  HostCritical hc = HostCritical::scan(t.root(), inv);
  auto r = analyze_reset(inv, hc, A("03:01.0"));
  EXPECT_EQ(r.verdict, Assignability::not_assignable);
  EXPECT_NE(r.reason.find("0000:03:00.0, which is the network interface of the default route"),
            std::string::npos)
      << r.reason;
  EXPECT_TRUE(r.advice.empty()) << r.advice;
}

// An ISA bridge on a host driver in the group (the real ICH9 LPC on lpc_ich) keeps the whole
// group on the host.
TEST(ResetVerdict, InfrastructureOnAHostDriverKeepsTheGroup) {
  ptagent::testing::TempHost t = ptagent::testing::TempHost::copy_of("workstation");
  const std::string dev = t.real("/sys/bus/pci/devices/0000:00:1f.0");
  std::filesystem::create_directory_symlink("../../../bus/pci/drivers/i801_smbus", dev + "/driver");
  Inventory inv = Inventory::scan(t.root(), Naming::ids_only);
  ASSERT_TRUE(inv.get(A("00:1f.0")).driver);
  HostCritical hc = HostCritical::scan(t.root(), inv);
  auto r = analyze_reset(inv, hc, A("00:1f.3"));
  EXPECT_EQ(r.verdict, Assignability::not_assignable);
  EXPECT_NE(r.reason.find("also holds 0000:00:1f.0 (ISA bridge"), std::string::npos) << r.reason;
  EXPECT_FALSE(r.group.viable);
  EXPECT_EQ(r.group.stuck_infrastructure(), std::vector<PciAddress>{A("00:1f.0")});
}

}  // namespace
