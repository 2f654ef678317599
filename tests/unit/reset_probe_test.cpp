#include "ops/reset_probe.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "host/critical.hpp"
#include "pci/inventory.hpp"
#include "support/cli_runner.hpp"
#include "support/kernel_double.hpp"
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
