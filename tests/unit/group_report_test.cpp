// ops/group_report: each IOMMU group judged as a whole from its members' analyze_reset verdicts
// (the root cause of a refusal, viable or waiting for a bind, bridges and infrastructure), and
// the whole host at once.
#include "ops/group_report.hpp"

#include <gtest/gtest.h>

#include "error.hpp"
#include "host/critical.hpp"
#include "pci/inventory.hpp"
#include "support/pci_address.hpp"
#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::A;
using ptagent::testing::fixture_root;

namespace {

struct Host {
  explicit Host(const std::string& name)
      : root(fixture_root(name)),
        inv(Inventory::scan(root, Naming::ids_only)),
        critical(HostCritical::scan(root, inv)),
        assessment(assess_host(inv, critical)) {}
  const GroupReport& group(unsigned id) const {
    const GroupReport* g = assessment.group(id);
    if (!g) throw std::runtime_error("no group " + std::to_string(id));
    return *g;
  }
  Root root;
  Inventory inv;
  HostCritical critical;
  HostAssessment assessment;
};

TEST(GroupReport, WorkstationOutcomes) {
  const Host h("workstation");
  EXPECT_EQ(h.assessment.groups.size(), 9u);
  EXPECT_EQ(h.group(0).outcome, GroupOutcome::infrastructure_only);
  EXPECT_TRUE(h.group(0).endpoints.empty());
  EXPECT_EQ(h.group(5).outcome, GroupOutcome::bridges_only);

  const GroupReport& gpu = h.group(1);
  EXPECT_EQ(gpu.outcome, GroupOutcome::needs_binding);
  EXPECT_FALSE(gpu.viable);
  EXPECT_EQ(gpu.endpoints, (std::vector<PciAddress>{A("01:00.0"), A("01:00.1")}));
  EXPECT_EQ(gpu.on_host_driver, gpu.endpoints);
  EXPECT_EQ(gpu.first_endpoint()->address, A("01:00.0"));
  EXPECT_EQ(gpu.analysis(A("00:01.0")).infrastructure, Infrastructure::bus_bridge);
  EXPECT_THROW(gpu.analysis(A("00:02.0")), Error);

  // The boot VGA is refused for itself.
  const GroupReport& igpu = h.group(2);
  EXPECT_EQ(igpu.outcome, GroupOutcome::refused);
  EXPECT_EQ(igpu.analyses[*igpu.refused].address, A("00:02.0"));
  EXPECT_TRUE(igpu.analyses[*igpu.refused].host_critical);

  // Group 7: the SMBus has no reset and is the root cause, not the audio function refused only
  // because it would have to go with it.
  const GroupReport& pch = h.group(7);
  EXPECT_EQ(pch.outcome, GroupOutcome::refused);
  EXPECT_EQ(pch.analyses[*pch.refused].address, A("00:1f.4"));
  EXPECT_EQ(pch.endpoints, (std::vector<PciAddress>{A("00:1f.3"), A("00:1f.4")}));

  EXPECT_EQ(h.group(4).outcome, GroupOutcome::needs_binding);  // the SATA controller on ahci
  EXPECT_TRUE(h.assessment.ungrouped.empty());
  EXPECT_EQ(h.assessment.analysis(A("01:00.1")).verdict, Assignability::together);
  EXPECT_EQ(h.assessment.group(99), nullptr);
}

// A VF already on vfio-pci is a group ready for a guest; the group behind the non-ACS PCI
// bridge needs both its functions bound.
TEST(GroupReport, ServerReadyAndNeedsBinding) {
  const Host h("server");
  const GroupReport& vf = h.group(11);
  EXPECT_EQ(vf.members, (std::vector<PciAddress>{A("01:10.2")}));
  EXPECT_EQ(vf.outcome, GroupOutcome::ready);
  EXPECT_TRUE(vf.viable);
  EXPECT_TRUE(vf.on_host_driver.empty());
  const GroupReport& shared = h.group(5);
  EXPECT_EQ(shared.outcome, GroupOutcome::needs_binding);
  EXPECT_EQ(shared.endpoints, (std::vector<PciAddress>{A("03:00.0"), A("03:01.0")}));
  EXPECT_EQ(h.group(2).outcome, GroupOutcome::refused);  // the default-route NIC
  EXPECT_STREQ(group_outcome_name(GroupOutcome::needs_binding), "needs binding");
}

TEST(GroupReport, WithoutIommuEveryFunctionIsUngrouped) {
  const Host h("noiommu");
  EXPECT_TRUE(h.assessment.groups.empty());
  EXPECT_EQ(h.assessment.ungrouped.size(), h.inv.devices().size());
  EXPECT_EQ(h.assessment.analysis(A("00:05.0")).verdict, Assignability::not_assignable);
  EXPECT_THROW(h.assessment.analysis(A("00:09.0")), Error);
}

}  // namespace

namespace {

TEST(GroupReport, TallyOfTheWorkstation) {
  const Host h("workstation");
  const PassthroughTally t = tally_passthrough(h.assessment);
  EXPECT_EQ(t.endpoints, 9u);
  EXPECT_EQ(t.assignable, (std::vector<PciAddress>{A("00:17.0"), A("01:00.0"), A("01:00.1")}));
  ASSERT_EQ(t.blocks.size(), 5u);  // boot VGA, keyboard's USB, root disk, SMBus, default route
  EXPECT_EQ(t.blocks[0].cause->address, A("00:02.0"));
  // The SMBus without reset holds back the audio function of its group too.
  EXPECT_EQ(t.blocks[3].cause->address, A("00:1f.4"));
  EXPECT_EQ(t.blocks[3].held, (std::vector<PciAddress>{A("00:1f.3"), A("00:1f.4")}));
}

TEST(GroupReport, TallyWithoutIommuBlocksEveryFunctionOnItsOwn) {
  const Host h("noiommu");
  const PassthroughTally t = tally_passthrough(h.assessment);
  EXPECT_EQ(t.endpoints, 5u);  // the host bridge is infrastructure
  EXPECT_TRUE(t.assignable.empty());
  ASSERT_EQ(t.blocks.size(), 5u);
  EXPECT_EQ(t.blocks[0].held, (std::vector<PciAddress>{A("00:01.0")}));
}

}  // namespace
