#include "pci/iommu_group.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "pci/inventory.hpp"
#include "support/cli_runner.hpp"
#include "support/pci_address.hpp"
#include "support/temp_host.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
using ptagent::testing::A;

namespace {

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

// The ISA bridge of group 7 is infrastructure, not an endpoint; the unit is the audio function
// and the SMBus, and the group is viable only when every endpoint is on vfio-pci or driverless.
TEST(IommuGroup, InfrastructureIsNotAnEndpoint) {
  Root root(test::fixture_host("workstation"));
  Inventory inv = Inventory::scan(root, Naming::ids_only);
  const PciAddress audio[] = {A("00:1f.3")};
  GroupVerdict v = assess_group(inv, A("00:1f.3"), audio);
  ASSERT_EQ(v.members.size(), 3u);
  EXPECT_EQ(v.members[0].state, MemberState::infrastructure);
  EXPECT_EQ(v.endpoints(), (std::vector<PciAddress>{A("00:1f.3"), A("00:1f.4")}));
  EXPECT_EQ(v.companions(), std::vector<PciAddress>{A("00:1f.4")});
  EXPECT_TRUE(v.stuck_infrastructure().empty());  // no driver on the ISA bridge here
  EXPECT_FALSE(v.all_on_vfio());
  EXPECT_EQ(together_phrase(v.endpoints()),
            "assign together: 0000:00:1f.3, 0000:00:1f.4 (one guest)");
  EXPECT_EQ(together_phrase({A("00:1f.3")}), "");
  EXPECT_EQ(member_state_name(MemberState::infrastructure), "infrastructure");
  // A VF on vfio-pci alone in its group: all on vfio.
  Root server(test::fixture_host("server"));
  Inventory sinv = Inventory::scan(server, Naming::ids_only);
  const PciAddress vf[] = {A("01:10.2")};
  EXPECT_TRUE(assess_group(sinv, A("01:10.2"), vf).all_on_vfio());
}

}  // namespace

namespace {

// cloud with VF 0 (01:00.1, mlx5_core) moved into VF 1's group 11 (01:00.2, mlx5_vfio_pci).
ptagent::testing::TempHost cloud_with_shared_vf_group() {
  auto h = ptagent::testing::TempHost::copy_of("cloud");
  const std::string dev = "/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.1";
  std::filesystem::remove(h.real(dev + "/iommu_group"));
  std::filesystem::create_symlink("../../../../kernel/iommu_groups/11",
                                  h.real(dev + "/iommu_group"));
  std::filesystem::remove(h.real("/sys/kernel/iommu_groups/10/devices/0000:01:00.1"));
  std::filesystem::create_symlink("../../../../devices/pci0000:00/0000:00:01.0/0000:01:00.1",
                                  h.real("/sys/kernel/iommu_groups/11/devices/0000:01:00.1"));
  return h;
}

}  // namespace

// A companion on a VFIO variant driver counts as assigned, like one on vfio-pci.
TEST(IommuGroup, VariantDriverMembersCountAsAssigned) {
  auto h = cloud_with_shared_vf_group();
  {
    Inventory inv = Inventory::scan(h.root(), Naming::ids_only);
    const PciAddress vf0[] = {A("01:00.1")};
    GroupVerdict v = assess_group(inv, A("01:00.1"), vf0);
    EXPECT_EQ(v.group, 11u);
    EXPECT_TRUE(v.viable) << v.explain();
    ASSERT_EQ(v.members.size(), 2u);
    EXPECT_EQ(v.members[1].address, A("01:00.2"));
    EXPECT_EQ(v.members[1].state, MemberState::vfio_bound);
    EXPECT_TRUE(v.members[1].on_vfio);
    // the other way round: the variant-bound VF is blocked by the one on mlx5_core
    const PciAddress vf1[] = {A("01:00.2")};
    GroupVerdict w = assess_group(inv, A("01:00.2"), vf1);
    EXPECT_FALSE(w.viable);
    EXPECT_EQ(w.blockers(), (std::vector<PciAddress>{A("01:00.1")}));
    EXPECT_FALSE(w.all_on_vfio());
  }
  // A module that does not use vfio-pci-core is a host driver, whatever its name.
  std::filesystem::remove(h.real("/sys/module/vfio_pci_core/holders/mlx5_vfio_pci"));
  Inventory inv = Inventory::scan(h.root(), Naming::ids_only);
  const PciAddress vf0[] = {A("01:00.1")};
  GroupVerdict v = assess_group(inv, A("01:00.1"), vf0);
  EXPECT_FALSE(v.viable);
  EXPECT_EQ(v.blockers(), (std::vector<PciAddress>{A("01:00.2")}));
}
