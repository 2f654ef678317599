// check/passthrough_plan: the ordered steps for devices on the simulated hosts, from the core's
// verdicts: readiness FAILs first, refusals (a companion's too) stop the plan, companions, the
// reset, binding (done when already on vfio-pci), hostdev and attach of the whole unit.
#include "check/passthrough_plan.hpp"

#include <gtest/gtest.h>

#include "host/critical.hpp"
#include "pci/inventory.hpp"
#include "setup/setup_state.hpp"
#include "support/pci_address.hpp"
#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::A;
using ptagent::testing::fixture_root;
using ptagent::testing::TempHost;

namespace {

PassthroughPlan plan_on(const std::string& host, std::vector<PciAddress> devices) {
  Root root = fixture_root(host);
  Inventory inv = Inventory::scan(root, Naming::ids_only);
  HostCritical critical = HostCritical::scan(root, inv);
  return plan_passthrough(check_readiness(root), inv, critical, devices);
}

std::vector<PlanStepKind> kinds(const PassthroughPlan& p) {
  std::vector<PlanStepKind> out;
  for (const auto& s : p.steps) out.push_back(s.kind);
  return out;
}

using K = PlanStepKind;

TEST(PassthroughPlan, GpuNeedsItsAudioAndABind) {
  const PassthroughPlan p = plan_on("workstation", {A("01:00.0")});
  EXPECT_TRUE(p.possible);
  EXPECT_EQ(p.unit, (std::vector<PciAddress>{A("01:00.0"), A("01:00.1")}));
  EXPECT_EQ(kinds(p), (std::vector<K>{K::companions, K::reset, K::bind_now, K::bind_at_boot,
                                      K::hostdev, K::attach}));
  EXPECT_EQ(p.steps[0].devices, (std::vector<PciAddress>{A("01:00.1")}));
  EXPECT_FALSE(p.steps[2].done);
  EXPECT_EQ(p.steps[2].devices, p.unit);
  EXPECT_EQ(p.steps[5].devices, p.unit);
}

TEST(PassthroughPlan, ACompanionWithoutResetRefusesTheUnit) {
  const PassthroughPlan p = plan_on("workstation", {A("00:1f.3")});
  EXPECT_FALSE(p.possible);
  ASSERT_EQ(kinds(p), (std::vector<K>{K::refused}));
  EXPECT_EQ(p.steps[0].devices, (std::vector<PciAddress>{A("00:1f.4")}));
  EXPECT_NE(p.steps[0].text.find("no FLR"), std::string::npos);
}

TEST(PassthroughPlan, HostCriticalIsRefused) {
  const PassthroughPlan p = plan_on("workstation", {A("02:00.0")});
  ASSERT_EQ(kinds(p), (std::vector<K>{K::refused}));
  EXPECT_NE(p.steps[0].text.find("root filesystem"), std::string::npos);
  EXPECT_STREQ(plan_step_key(K::bind_at_boot), "bind-at-boot");
}

TEST(PassthroughPlan, AVfOnVfioNeedsNoBind) {
  const PassthroughPlan p = plan_on("server", {A("01:10.2")});
  EXPECT_TRUE(p.possible);
  EXPECT_EQ(kinds(p),
            (std::vector<K>{K::reset, K::bind_now, K::bind_at_boot, K::hostdev, K::attach}));
  EXPECT_TRUE(p.steps[1].done);
}

// Without an IOMMU: check's FAIL lines first, with their fixes, then the refusal.
TEST(PassthroughPlan, NoIommuStartsWithTheFailingChecks) {
  Root root = fixture_root("noiommu");
  const auto checks = check_readiness(root);
  const PassthroughPlan p = plan_on("noiommu", {A("00:05.0")});
  EXPECT_FALSE(p.possible);
  std::vector<std::string> fails, steps;
  for (const auto& c : checks)
    if (c.status == CheckStatus::fail) fails.push_back(c.id + ": " + c.fix);
  for (const auto& s : p.steps)
    if (s.kind == K::host_check) steps.push_back(s.check_id + ": " + s.fix);
  EXPECT_EQ(steps, fails);
  ASSERT_FALSE(fails.empty());
  EXPECT_EQ(p.steps.back().kind, K::refused);
}

}  // namespace

// A unit already on vfio-pci at every boot (ptagent setup, or a saved override): the step is done;
// half of it: the step names the rest.
TEST(PassthroughPlan, BindAtBootIsDoneWhenTheHostAlreadyDoesIt) {
  Root root = fixture_root("workstation");
  Inventory inv = Inventory::scan(root, Naming::ids_only);
  HostCritical critical = HostCritical::scan(root, inv);
  auto step = [&](const std::vector<PciAddress>& at_boot) {
    const PassthroughPlan p =
        plan_passthrough(check_readiness(root), inv, critical, {A("01:00.0")}, at_boot);
    for (const auto& s : p.steps) {
      if (s.kind == K::bind_at_boot) return s;
    }
    ADD_FAILURE() << "no bind-at-boot step";
    return PlanStep{};
  };
  EXPECT_FALSE(step({}).done);
  const PlanStep half = step({A("01:00.0")});
  EXPECT_FALSE(half.done);
  EXPECT_NE(half.text.find("0000:01:00.1 not yet"), std::string::npos) << half.text;
  const PlanStep all = step({A("01:00.0"), A("01:00.1")});
  EXPECT_TRUE(all.done);
  EXPECT_NE(all.text.find("already"), std::string::npos) << all.text;
}

TEST(PassthroughPlan, BootVfioDevicesReadsSetupStateAndSavedOverrides) {
  TempHost h = TempHost::copy_of("workstation");
  EXPECT_TRUE(boot_vfio_devices(h.root()).empty());
  SetupState s;
  s.binds.push_back({A("01:00.1"), BindMethod::by_id, "10de:10f0", "", false});
  h.put("/etc/ptagent/setup.json", render_setup_state(s));
  h.put("/etc/driverctl.d/pci-0000:01:00.0", "vfio-pci\n");
  h.put("/etc/driverctl.d/pci-0000:00:1f.3", "snd_hda_intel\n");
  EXPECT_EQ(boot_vfio_devices(h.root()), (std::vector<PciAddress>{A("01:00.0"), A("01:00.1")}));
}
