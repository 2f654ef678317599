#include "ops/reset_probe.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "host/critical.hpp"
#include "pci/inventory.hpp"
#include "support/cli_runner.hpp"
#include "support/kernel_double.hpp"
#include "support/pci_address.hpp"
#include "support/temp_host.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
using ptagent::testing::A;

namespace {

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
  // reset_method "bus", but 03:01.0 shares the bus: Linux 6.1 refuses the reset (ENOTTY).
  Host h("server");
  auto r = h.probe("03:00.0");
  EXPECT_FALSE(r.flr);
  EXPECT_FALSE(r.pm_reset);
  EXPECT_FALSE(r.on_root_bus);
  EXPECT_EQ(r.kernel_methods, std::vector<std::string>{"bus"});
  EXPECT_EQ(r.means, ResetMeans::none);
  EXPECT_FALSE(r.bus_reset_alone);
  EXPECT_TRUE(r.bus_reset_shared);
  EXPECT_EQ(r.bus_reset.rfind("not possible alone: 0000:03:01.0 shares the bus", 0), 0u)
      << r.bus_reset;
  EXPECT_EQ(r.verdict, Assignability::together);
  EXPECT_EQ(r.together_with, (std::vector<PciAddress>{A("03:01.0")}));
  EXPECT_NE(r.reason.find("secondary bus reset"), std::string::npos);
  EXPECT_NE(r.reason.find("0000:03:01.0"), std::string::npos);
}

TEST(ResetProbe, WithoutResetMethodLibvirtsOrderApplies) {
  // 03:01.0: the kernel listed no method (its bus was shared when it was scanned), so no file.
  Host h("server");
  auto r = h.probe("03:01.0");
  EXPECT_FALSE(r.kernel_methods_known);
  EXPECT_EQ(r.means, ResetMeans::bus);
  EXPECT_TRUE(r.bus_reset_shared);
  EXPECT_EQ(r.verdict, Assignability::together);
  EXPECT_EQ(r.together_with, (std::vector<PciAddress>{A("03:00.0")}));
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

// A copy whose reset_method files a test may rewrite.
struct Copy {
  explicit Copy(const std::string& name) : h(ptagent::testing::TempHost::copy_of(name)) {}
  void methods(const char* addr, const std::string& content) {
    std::ofstream(h.real(std::string("/sys/bus/pci/devices/0000:") + addr + "/reset_method"))
        << content;
  }
  ResetAnalysis probe(const char* a) {
    Inventory inv = Inventory::scan(h.root(), Naming::ids_only);
    HostCritical hc = HostCritical::scan(h.root(), inv);
    return analyze_reset(inv, hc, A(a));
  }
  ptagent::testing::TempHost h;
};

TEST(ResetProbe, ResetMethodIsTheTruthNotTheCapabilities) {
  // 04:00.0 has PM reset in config space, but the kernel lists only bus: it resets by bus.
  Copy c("server");
  c.methods("04:00.0", "bus\n");
  auto r = c.probe("04:00.0");
  EXPECT_TRUE(r.pm_reset);
  EXPECT_EQ(r.means, ResetMeans::bus);
  EXPECT_TRUE(r.bus_reset_alone);
  EXPECT_EQ(r.bus_reset, "possible, nobody else on the bus");
}

TEST(ResetProbe, ListedOrderIsHonoured) {
  Copy c("server");
  c.methods("05:00.0", "bus flr\n");
  EXPECT_EQ(c.probe("05:00.0").means, ResetMeans::bus);
  c.methods("05:00.0", "device_specific flr\n");
  EXPECT_EQ(c.probe("05:00.0").means, ResetMeans::device_specific);
  c.methods("05:00.0", "acpi\n");
  EXPECT_EQ(c.probe("05:00.0").means, ResetMeans::acpi);
}

TEST(ResetProbe, ARefusedBusMethodPassesToTheNext) {
  // 01:00.0 shares bus 01 with 01:00.1 and the VFs: "bus" would fail (ENOTTY), "flr" would not.
  Copy c("server");
  c.methods("01:00.0", "bus flr\n");
  auto r = c.probe("01:00.0");
  EXPECT_EQ(r.means, ResetMeans::flr);
  EXPECT_FALSE(r.bus_reset_shared);
  EXPECT_NE(r.means_note.find("bus: refused (ENOTTY), 0000:01:00.1, 0000:01:10.0"),
            std::string::npos)
      << r.means_note;
  // Its PM capability has No_Soft_Reset: "pm" would be refused too.
  c.methods("01:00.0", "bus pm\n");
  r = c.probe("01:00.0");
  EXPECT_EQ(r.means, ResetMeans::none);
  EXPECT_TRUE(r.bus_reset_shared);
  EXPECT_NE(r.means_note.find("pm: refused"), std::string::npos) << r.means_note;
  EXPECT_EQ(r.together_with.front(), A("01:00.1"));  // (it is the default-route NIC itself)
}

TEST(ResetProbe, OnlyARefusedBusMethodMeansTogether) {
  Copy c("workstation");
  auto r = c.probe("01:00.0");  // GPU: reset_method "bus", its audio function on the bus
  EXPECT_EQ(r.means, ResetMeans::none);
  EXPECT_TRUE(r.bus_reset_shared);
  EXPECT_EQ(r.verdict, Assignability::together);
  EXPECT_EQ(r.together_with, (std::vector<PciAddress>{A("01:00.1")}));
}

TEST(ResetProbe, AnEmptyResetMethodIsNotAssignable) {
  Copy c("server");
  c.methods("03:00.0", "\n");
  auto r = c.probe("03:00.0");
  EXPECT_EQ(r.means, ResetMeans::none);
  EXPECT_EQ(r.verdict, Assignability::not_assignable);
  EXPECT_NE(r.reason.find("reset_method is empty"), std::string::npos) << r.reason;
}

TEST(ResetProbe, VfWithFfffVendorHasFlr) {
  Copy c("server");
  ptagent::testing::KernelDouble k(c.h.root());
  ASSERT_EQ(k.write("/sys/bus/pci/devices/0000:01:00.1/sriov_numvfs", "1"), 0);
  auto r = c.probe("01:10.1");
  EXPECT_TRUE(r.flr);
  EXPECT_EQ(r.means, ResetMeans::flr);
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

// The CLI renders the core's verdicts: a VF (config vendor 0xffff) shows FLR, and a bus reset the
// kernel would refuse is "not possible alone", naming who shares the bus.
TEST(ResetProbeCli, VfShowsFlrAndSharedBusIsNotPossibleAlone) {
  using ptagent::test::run_cli;
  const auto show = run_cli({"--root", ptagent::test::fixture_host("server"), "show", "01:10.0"});
  EXPECT_NE(show.out.find("FLR:              yes"), std::string::npos) << show.out;
  const auto vf =
      run_cli({"--root", ptagent::test::fixture_host("server"), "probe", "01:10.0", "--no-live"});
  EXPECT_NE(vf.out.find("FLR:             yes"), std::string::npos) << vf.out;
  EXPECT_NE(vf.out.find("Reset by:        function level reset"), std::string::npos) << vf.out;
  const auto p =
      run_cli({"--root", ptagent::test::fixture_host("server"), "probe", "03:00.0", "--no-live"});
  EXPECT_NE(p.out.find("Bus reset:       not possible alone: 0000:03:01.0 shares the bus"),
            std::string::npos)
      << p.out;
  EXPECT_EQ(p.out.find("Bus reset:       possible"), std::string::npos);
  EXPECT_NE(p.out.find("Verdict:         assignable together with: 0000:03:01.0"),
            std::string::npos)
      << p.out;
}

// Seed 002 on the workstation: the audio function in D3cold, config space all ones, rev ff.
// Neither it nor its group companion is assignable, and the reason names D3cold and the fix.
TEST(ResetVerdict, ADeviceInD3coldAndItsCompanionAreNotAssignable) {
  ptagent::testing::TempHost t = ptagent::testing::TempHost::copy_of("workstation");
  const std::string dev = t.real("/sys/bus/pci/devices/0000:01:00.1");
  std::ofstream(dev + "/power_state") << "D3cold\n";
  std::ofstream(dev + "/revision") << "0xff\n";
  std::ofstream(dev + "/config", std::ios::binary) << std::string(256, '\xff');
  Inventory inv = Inventory::scan(t.root(), Naming::ids_only);
  HostCritical hc = HostCritical::scan(t.root(), inv);
  auto r = analyze_reset(inv, hc, A("01:00.1"));
  EXPECT_EQ(r.verdict, Assignability::not_assignable);
  EXPECT_NE(r.reason.find("is in D3cold"), std::string::npos) << r.reason;
  EXPECT_NE(r.advice.find("d3cold_allowed"), std::string::npos) << r.advice;
  ASSERT_EQ(r.health.size(), 2u);
  EXPECT_EQ(r.health[1].code, "config-inaccessible");
  EXPECT_FALSE(r.pm_reset) << "a config space of ff bytes has no PM capability to trust";
  auto gpu = analyze_reset(inv, hc, A("01:00.0"));
  EXPECT_EQ(gpu.verdict, Assignability::not_assignable);
  EXPECT_NE(gpu.reason.find("together with 0000:01:00.1, and 0000:01:00.1 is in D3cold"),
            std::string::npos)
      << gpu.reason;
  EXPECT_TRUE(gpu.health.empty());
}
