// gen-xml's rules without the CLI: alias suffixes, the first device's ROM file and boot order, one
// guest slot with multifunction on function 0, and which devices the metadata lists.
#include "xml/hostdev_plan.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "error.hpp"
#include "support/pci_address.hpp"

namespace ptagent {
namespace {

using ptagent::testing::A;

HostdevRequest pci_request(std::vector<PciAddress> pci) {
  HostdevRequest r;
  r.pci = std::move(pci);
  return r;
}

TEST(HostdevPlan, SingleFunctionGetsEveryOption) {
  HostdevRequest r = pci_request({A("0000:01:00.0")});
  r.rom_bar = OnOff::off;
  r.rom_file = "/rom.bin";
  r.boot_order = 1;
  r.alias = "ua-gpu";
  r.guest = GuestPciAddress{0, 5, 3, true};
  const HostdevPlan plan = plan_hostdevs(r);
  ASSERT_EQ(plan.hostdevs.size(), 1u);
  const HostdevSpec& s = plan.hostdevs[0];
  ASSERT_NE(s.pci(), nullptr);
  EXPECT_EQ(s.pci()->address, A("0000:01:00.0"));
  EXPECT_EQ(s.pci()->managed, YesNo::yes);
  EXPECT_EQ(s.rom_bar, OnOff::off);
  EXPECT_EQ(s.rom_file, "/rom.bin");
  EXPECT_EQ(s.boot_order, 1u);
  EXPECT_EQ(s.alias, "ua-gpu");
  ASSERT_TRUE(s.guest_address);
  EXPECT_EQ(s.guest_address->slot, 5);
  EXPECT_EQ(s.guest_address->function, 0);  // a single device is function 0
  EXPECT_FALSE(s.guest_address->multifunction);
  EXPECT_FALSE(plan.metadata);
  EXPECT_FALSE(plan.metadata_has_nothing);
}

TEST(HostdevPlan, SeveralFunctionsShareTheGuestSlot) {
  HostdevRequest r = pci_request({A("0000:01:00.1"), A("0000:01:00.0")});
  r.alias = "ua-gpu";
  r.boot_order = 2;
  r.rom_file = "/rom.bin";
  r.rom_bar = OnOff::on;
  r.guest = GuestPciAddress{0, 5, 0, false};
  r.driver_vfio = true;
  const HostdevPlan plan = plan_hostdevs(r);
  ASSERT_EQ(plan.hostdevs.size(), 2u);
  const HostdevSpec& first = plan.hostdevs[0];
  const HostdevSpec& second = plan.hostdevs[1];
  EXPECT_EQ(first.alias, "ua-gpu");
  EXPECT_EQ(second.alias, "ua-gpu-1");
  EXPECT_EQ(first.boot_order, 2u);
  EXPECT_FALSE(second.boot_order);
  EXPECT_EQ(first.rom_file, "/rom.bin");
  EXPECT_FALSE(second.rom_file);
  EXPECT_EQ(second.rom_bar, OnOff::on);
  EXPECT_TRUE(second.pci()->driver_vfio);
  EXPECT_EQ(first.guest_address->function, 1);
  EXPECT_FALSE(first.guest_address->multifunction);
  EXPECT_EQ(second.guest_address->function, 0);
  EXPECT_TRUE(second.guest_address->multifunction);
}

TEST(HostdevPlan, AliasThatOverflowsWithItsSuffixIsRefused) {
  HostdevRequest r = pci_request({A("0000:01:00.0"), A("0000:01:00.1")});
  r.alias = "ua-" + std::string(61, 'a');  // 64 characters: the limit
  EXPECT_THROW(plan_hostdevs(r), Error);
  r.pci.pop_back();
  EXPECT_NO_THROW(plan_hostdevs(r));
}

TEST(HostdevPlan, ProblemsOfARequest) {
  using Kind = HostdevRequestProblem::Kind;
  HostdevRequest r = pci_request({A("0000:01:00.0"), A("0000:01:00.0")});
  auto p = check_hostdev_request(r);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, Kind::repeated_device);
  EXPECT_EQ(repeated_device(r.pci), A("0000:01:00.0"));
  EXPECT_THROW(plan_hostdevs(r), std::invalid_argument);

  r = pci_request({A("0000:01:00.0"), A("0000:02:00.0")});
  EXPECT_FALSE(check_hostdev_request(r));  // different slots are fine without a guest slot
  r.guest = GuestPciAddress{0, 5, 0, false};
  p = check_hostdev_request(r);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, Kind::guest_slot_spans_slots);
  EXPECT_EQ(p->device, A("0000:02:00.0"));
  EXPECT_EQ(p->first, A("0000:01:00.0"));

  r.pci = {A("0000:01:00.1"), A("0000:01:00.2")};
  p = check_hostdev_request(r);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, Kind::guest_slot_lacks_function0);
  EXPECT_EQ(p->first, A("0000:01:00.1"));

  r.pci = {A("0000:01:00.1")};  // one device becomes function 0 itself
  EXPECT_FALSE(check_hostdev_request(r));
}

TEST(HostdevPlan, MetadataListsUnmanagedFunctionsOnly) {
  HostdevRequest r = pci_request({A("0000:01:00.0"), A("0000:01:00.1")});
  r.metadata = true;
  HostdevPlan plan = plan_hostdevs(r);
  EXPECT_FALSE(plan.metadata);
  EXPECT_TRUE(plan.metadata_has_nothing);

  r.managed = YesNo::no;
  r.group = GroupPolicy::whole;
  plan = plan_hostdevs(r);
  ASSERT_TRUE(plan.metadata);
  EXPECT_FALSE(plan.metadata_has_nothing);
  ASSERT_EQ(plan.metadata->pci.size(), 2u);
  EXPECT_EQ(plan.metadata->pci[1].address, A("0000:01:00.1"));
  EXPECT_EQ(plan.metadata->pci[1].group, GroupPolicy::whole);
  EXPECT_EQ(plan.hostdevs[0].pci()->managed, YesNo::no);

  r.metadata = false;
  EXPECT_FALSE(plan_hostdevs(r).metadata);
}

TEST(HostdevPlan, MediatedDevice) {
  HostdevRequest r;
  MetadataMdev m;
  m.uuid = parse_uuid("4b20d080-1b54-4048-85b3-a6a62d165c01", "uuid");
  m.parent = "0000:00:02.0";
  m.type = "i915-GVTg_V5_4";
  r.mdev = m;
  r.mdev_display = OnOff::on;
  r.alias = "ua-vgpu";
  r.boot_order = 1;
  r.guest = GuestPciAddress{0, 7, 2, true};
  HostdevPlan plan = plan_hostdevs(r);
  ASSERT_EQ(plan.hostdevs.size(), 1u);
  const HostdevSpec& s = plan.hostdevs[0];
  ASSERT_NE(s.mdev(), nullptr);
  EXPECT_EQ(s.mdev()->uuid, m.uuid);
  EXPECT_EQ(s.mdev()->display, OnOff::on);
  EXPECT_FALSE(s.mdev()->ramfb);
  EXPECT_EQ(s.alias, "ua-vgpu");
  EXPECT_EQ(s.boot_order, 1u);
  EXPECT_EQ(s.guest_address->slot, 7);
  EXPECT_EQ(s.guest_address->function, 0);
  EXPECT_FALSE(s.guest_address->multifunction);
  EXPECT_FALSE(plan.metadata);

  r.metadata = true;
  plan = plan_hostdevs(r);
  ASSERT_TRUE(plan.metadata);
  ASSERT_EQ(plan.metadata->mdevs.size(), 1u);
  EXPECT_EQ(plan.metadata->mdevs[0], m);
  EXPECT_TRUE(plan.metadata->pci.empty());
}

}  // namespace
}  // namespace ptagent
