#include "ops/reset_probe.hpp"

#include <gtest/gtest.h>

#include "host/critical.hpp"
#include "pci/inventory.hpp"
#include "support/cli_runner.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;

namespace {

PciAddress A(const char* s) { return parse_pci_address(s); }

struct Host {
  explicit Host(const std::string& name)
      : root(test::fixture_host(name)), inv(Inventory::scan(root, Naming::ids_only)), hc(HostCritical::scan(root, inv)) {}
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

}  // namespace
