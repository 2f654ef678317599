#include "pci/iommu_group.hpp"

#include <gtest/gtest.h>

#include "pci/inventory.hpp"
#include "support/cli_runner.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;

namespace {

PciAddress A(const char* s) { return parse_pci_address(s); }

TEST(IommuGroup, GpuNeedsItsAudioFunction) {
  Root root(test::fixture_host("workstation"));
  Inventory inv = Inventory::scan(root, Naming::ids_only);
  const PciAddress gpu[] = {A("01:00.0")};
  GroupVerdict v = assess_group(inv, A("01:00.0"), gpu);
  EXPECT_EQ(v.group, 1u);
  EXPECT_FALSE(v.viable);
  EXPECT_EQ(v.blockers(), (std::vector<PciAddress>{A("01:00.1")}));
  EXPECT_EQ(v.companions(), (std::vector<PciAddress>{A("01:00.1")}));  // the root port is a bridge
  EXPECT_NE(v.explain().find("0000:01:00.1 (snd_hda_intel)"), std::string::npos);

  const PciAddress both[] = {A("01:00.0"), A("01:00.1")};
  GroupVerdict w = assess_group(inv, A("01:00.0"), both);
  EXPECT_TRUE(w.viable);
  EXPECT_TRUE(w.blockers().empty());
}

TEST(IommuGroup, BridgesDoNotCountAndVfioMembersAreFine) {
  Root root(test::fixture_host("server"));
  Inventory inv = Inventory::scan(root, Naming::ids_only);
  const PciAddress nic[] = {A("03:00.0")};
  GroupVerdict v = assess_group(inv, A("03:00.0"), nic);
  EXPECT_FALSE(v.viable);
  EXPECT_EQ(v.blockers(), (std::vector<PciAddress>{A("03:01.0")}));
  for (const auto& m : v.members) {
    if (m.address == A("02:00.0")) {
      EXPECT_EQ(m.state, MemberState::bridge);
    }
  }
  // A VF alone in its group is viable.
  const PciAddress vf[] = {A("01:10.2")};
  EXPECT_TRUE(assess_group(inv, A("01:10.2"), vf).viable);
}

TEST(IommuGroup, NoGroupWithoutIommu) {
  Root root(test::fixture_host("noiommu"));
  Inventory inv = Inventory::scan(root, Naming::ids_only);
  const PciAddress rng[] = {A("00:05.0")};
  GroupVerdict v = assess_group(inv, A("00:05.0"), rng);
  EXPECT_FALSE(v.group);
  EXPECT_FALSE(v.viable);
  EXPECT_NE(v.explain().find("no IOMMU group"), std::string::npos);
}

}  // namespace
