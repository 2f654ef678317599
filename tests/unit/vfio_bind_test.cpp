#include "ops/vfio_bind.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "error.hpp"
#include "ops/journal.hpp"
#include "support/error_of.hpp"
#include "support/kernel_double.hpp"
#include "support/pci_address.hpp"
#include "support/plan_and_bind.hpp"
#include "support/temp_host.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
using ptagent::testing::A;
using ptagent::testing::error_of;
using ptagent::testing::host_state;
using ptagent::testing::KernelDouble;
using ptagent::testing::plan_and_bind;
using ptagent::testing::TempHost;
namespace fs = std::filesystem;

namespace {

const std::string kDev = "/sys/bus/pci/devices/";

std::string driver_of(const TempHost& h, const char* addr) {
  return h.root().link_name(kDev + addr + "/driver").value_or("-");
}

// The binding mechanics tests bind single functions of shared groups on purpose: the group rule
// is off for them (as for the hook, which checks groups itself) and tested on its own below.
BindRequest request(std::vector<PciAddress> devices, GroupMode group = GroupMode::named_only,
                    PartialGroup partial = PartialGroup::checked_by_caller) {
  BindRequest r;
  r.devices = std::move(devices);
  r.group = group;
  r.partial = partial;
  return r;
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(VfioBind, GroupBindAndRestore) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  Journal j(h.root());
  const std::string start = host_state(h.root());

  BindPlan plan = plan_and_bind(h.root(), k, j, request({A("01:00.0")}, GroupMode::whole_group));
  ASSERT_EQ(plan.devices.size(), 2u);  // the GPU and its audio function, not the root port
  EXPECT_EQ(plan.devices[0].address, A("01:00.0"));
  EXPECT_EQ(plan.devices[0].driver_before, "nouveau");
  EXPECT_TRUE(plan.devices[0].named);
  EXPECT_EQ(plan.devices[1].address, A("01:00.1"));
  EXPECT_EQ(plan.devices[1].driver_before, "snd_hda_intel");
  EXPECT_FALSE(plan.devices[1].named);
  EXPECT_EQ(driver_of(h, "0000:01:00.0"), "vfio-pci");
  EXPECT_EQ(driver_of(h, "0000:01:00.1"), "vfio-pci");
  EXPECT_EQ(driver_of(h, "0000:00:01.0"), "pcieport");
  EXPECT_EQ(h.root().read_value(kDev + "0000:01:00.0/driver_override"), "vfio-pci");
  EXPECT_TRUE(k.new_id_writes().empty());

  auto entries = j.load();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].id, "bind:0000:01:00.0");
  EXPECT_EQ(entries[0].state, ChangeState::done);
  EXPECT_EQ(entries[0].owner, "cli");
  EXPECT_EQ(entries[0].original_driver, "nouveau");
  EXPECT_FALSE(entries[0].original_override);
  EXPECT_EQ(entries[1].original_driver, "snd_hda_intel");

  // Exactly the sequence DESIGN.md gives, all overrides first so vfio-pci sees a viable group.
  std::vector<std::string> writes;
  for (const auto& c : k.calls()) writes.push_back(c.path + "=" + c.value);
  EXPECT_EQ(writes, (std::vector<std::string>{
                        kDev + "0000:01:00.0/driver_override=vfio-pci",
                        kDev + "0000:01:00.1/driver_override=vfio-pci",
                        "/sys/bus/pci/drivers/nouveau/unbind=0000:01:00.0",
                        "/sys/bus/pci/drivers/snd_hda_intel/unbind=0000:01:00.1",
                        "/sys/bus/pci/drivers_probe=0000:01:00.0",
                        "/sys/bus/pci/drivers_probe=0000:01:00.1",
                    }));

  const PciAddress both[] = {A("01:00.0"), A("01:00.1")};
  auto restored = restore_devices(h.root(), k, j, both);
  ASSERT_EQ(restored.size(), 2u);
  EXPECT_EQ(restored[0].driver_before, "vfio-pci");
  EXPECT_EQ(restored[0].driver_after, "nouveau");
  EXPECT_EQ(host_state(h.root()), start);
  EXPECT_TRUE(j.load().empty());
}

TEST(VfioBind, AloneInANonViableGroupFailsAndRollsBack) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  Journal j(h.root());
  const std::string start = host_state(h.root());
  Error e = error_of([&] { plan_and_bind(h.root(), k, j, request({A("01:00.0")})); });
  EXPECT_TRUE(
      contains(e.what(), "0000:01:00.0: bind to vfio-pci failed: Invalid argument (EINVAL)"))
      << e.what();
  EXPECT_TRUE(contains(e.what(), "the device was put back as it was")) << e.what();
  EXPECT_TRUE(contains(e.hint(), mention(Input::whole_group))) << e.hint();
  EXPECT_EQ(host_state(h.root()), start);
  EXPECT_TRUE(j.load().empty());

  // Without the group rule (the real vfio-pci binds it and refuses only at open) it works.
  k.set_vfio_requires_viable_group(false);
  plan_and_bind(h.root(), k, j, request({A("01:00.0")}));
  EXPECT_EQ(driver_of(h, "0000:01:00.0"), "vfio-pci");
  EXPECT_EQ(driver_of(h, "0000:01:00.1"), "snd_hda_intel");
}

TEST(VfioBind, TheMessageNamesTheStepAndTheDevice) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  Journal j(h.root());
  const std::string start = host_state(h.root());
  k.fail_writes_to("/drivers/nouveau/unbind", EBUSY);
  Error e = error_of(
      [&] { plan_and_bind(h.root(), k, j, request({A("01:00.0")}, GroupMode::whole_group)); });
  EXPECT_EQ(std::string(e.what()).rfind(
                "0000:01:00.0: unbind from nouveau failed: Device or resource busy (EBUSY)", 0),
            0u)
      << e.what();
  EXPECT_TRUE(contains(e.what(), "every device was put back as it was")) << e.what();
  EXPECT_EQ(e.kind(), ErrorKind::failed);
  EXPECT_EQ(e.sys_errno(), EBUSY);
  EXPECT_EQ(host_state(h.root()), start);
  EXPECT_TRUE(j.load().empty());
}

TEST(VfioBind, UnwritableSysfs) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  Journal j(h.root());
  const std::string start = host_state(h.root());
  k.fail_writes_to("driver_override", EACCES);
  Error e = error_of([&] { plan_and_bind(h.root(), k, j, request({A("01:00.1")})); });
  EXPECT_TRUE(contains(
      e.what(),
      "0000:01:00.1: setting driver_override to vfio-pci failed: Permission denied (EACCES)"))
      << e.what();
  EXPECT_EQ(host_state(h.root()), start);
  EXPECT_TRUE(j.load().empty());
}

// A failure injected at each write of a bind, a group bind and a restore in turn: afterwards the
// host is exactly as before the operation and the journal agrees with it.
struct SweepCase {
  const char* name;
  std::vector<PciAddress> devices;
  GroupMode group;
  bool strict_groups = true;  // KernelDouble's vfio-pci group rule
};

void PrintTo(const SweepCase& c, std::ostream* os) {
  *os << c.name;
}

KernelDouble double_for(const TempHost& h, const SweepCase& sc) {
  return KernelDouble(h.root(), KernelDouble::Options{sc.strict_groups, EUSERS});
}

class VfioBindSweep : public ::testing::TestWithParam<SweepCase> {};

TEST_P(VfioBindSweep, BindFailureAtEveryWrite) {
  const SweepCase& sc = GetParam();
  std::size_t writes = 0;
  {
    TempHost h = TempHost::copy_of("workstation");
    KernelDouble k = double_for(h, sc);
    Journal j(h.root());
    plan_and_bind(h.root(), k, j, request(sc.devices, sc.group));
    writes = k.write_count();
  }
  ASSERT_GE(writes, 3u);
  for (std::size_t n = 1; n <= writes; ++n) {
    {
      const int err = n % 2 ? EBUSY : EIO;
      TempHost h = TempHost::copy_of("workstation");
      KernelDouble k = double_for(h, sc);
      Journal j(h.root());
      const std::string start = host_state(h.root());
      k.fail_nth_write(n, err);
      Error e = error_of([&] { plan_and_bind(h.root(), k, j, request(sc.devices, sc.group)); });
      const auto calls = k.calls();
      ASSERT_GE(calls.size(), n);
      // The message names a device and the failed step with its errno.
      EXPECT_TRUE(contains(e.what(), "0000:01:00.")) << n << ": " << e.what();
      EXPECT_TRUE(contains(e.what(), err == EBUSY ? "(EBUSY)" : "(EIO)")) << n << ": " << e.what();
      EXPECT_TRUE(contains(e.what(), "put back as it was")) << n << ": " << e.what();
      EXPECT_EQ(host_state(h.root()), start)
          << "failure at write " << n << " (" << calls[n - 1].path << ")";
      EXPECT_TRUE(j.load().empty()) << n;
      EXPECT_TRUE(k.new_id_writes().empty());
    }
  }
}

TEST_P(VfioBindSweep, RestoreFailureAtEveryWrite) {
  const SweepCase& sc = GetParam();
  std::size_t bind_writes = 0, restore_writes = 0;
  std::vector<PciAddress> bound;
  {
    TempHost h = TempHost::copy_of("workstation");
    KernelDouble k = double_for(h, sc);
    Journal j(h.root());
    for (const auto& b : plan_and_bind(h.root(), k, j, request(sc.devices, sc.group)).devices)
      bound.push_back(b.address);
    bind_writes = k.write_count();
    restore_devices(h.root(), k, j, bound);
    restore_writes = k.write_count() - bind_writes;
  }
  ASSERT_GE(restore_writes, 3u);
  for (std::size_t n = 1; n <= restore_writes; ++n) {
    TempHost h = TempHost::copy_of("workstation");
    KernelDouble k = double_for(h, sc);
    Journal j(h.root());
    plan_and_bind(h.root(), k, j, request(sc.devices, sc.group));
    const std::string bound_state = host_state(h.root());
    const auto entries = j.load();
    k.fail_nth_write(bind_writes + n, EBUSY);
    Error e = error_of([&] { restore_devices(h.root(), k, j, bound); });
    EXPECT_TRUE(contains(e.what(), "(EBUSY)")) << n << ": " << e.what();
    EXPECT_TRUE(contains(e.what(), "bound as before")) << n << ": " << e.what();
    EXPECT_EQ(host_state(h.root()), bound_state) << "failure at restore write " << n;
    const auto after = j.load();
    ASSERT_EQ(after.size(), entries.size()) << n;
    for (std::size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i].id, entries[i].id);
    // And a second attempt without the failure completes.
    const std::string start_of_host = [&] {
      TempHost fresh = TempHost::copy_of("workstation");
      return host_state(fresh.root());
    }();
    restore_devices(h.root(), k, j, bound);
    EXPECT_EQ(host_state(h.root()), start_of_host) << n;
    EXPECT_TRUE(j.load().empty());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, VfioBindSweep,
    ::testing::Values(SweepCase{"group_of_gpu", {A("01:00.0")}, GroupMode::whole_group},
                      SweepCase{"two_named", {A("01:00.0"), A("01:00.1")}, GroupMode::named_only},
                      SweepCase{"one_device", {A("01:00.1")}, GroupMode::named_only, false}),
    [](const ::testing::TestParamInfo<SweepCase>& p) { return std::string(p.param.name); });

TEST(VfioBind, SingleDeviceSweepIncludingUnbound) {
  // A device with no driver at all: no unbind step, restore leaves it without a driver.
  TempHost h0 = TempHost::copy_of("workstation");
  KernelDouble k0(h0.root());
  k0.set_vfio_requires_viable_group(false);  // the GPU stays on nouveau
  ASSERT_EQ(k0.write("/sys/bus/pci/drivers/snd_hda_intel/unbind", "0000:01:00.1"), 0);
  // Copy this state for each run by replaying the same unbind.
  std::size_t writes = 0;
  {
    Journal j(h0.root());
    plan_and_bind(h0.root(), k0, j, request({A("01:00.1")}));
    writes = k0.write_count() - 1;
    EXPECT_EQ(j.load()[0].original_driver, std::nullopt);
    restore_devices(h0.root(), k0, j, std::vector<PciAddress>{A("01:00.1")});
    EXPECT_EQ(driver_of(h0, "0000:01:00.1"), "-");
  }
  for (std::size_t n = 1; n <= writes; ++n) {
    TempHost h = TempHost::copy_of("workstation");
    KernelDouble k(h.root());
    k.set_vfio_requires_viable_group(false);
    ASSERT_EQ(k.write("/sys/bus/pci/drivers/snd_hda_intel/unbind", "0000:01:00.1"), 0);
    const std::string start = host_state(h.root());
    Journal j(h.root());
    k.fail_nth_write(1 + n, ENODEV);
    EXPECT_THROW(plan_and_bind(h.root(), k, j, request({A("01:00.1")})), Error);
    EXPECT_EQ(host_state(h.root()), start) << n;
    EXPECT_TRUE(j.load().empty());
  }
}

TEST(VfioBind, HostCriticalNeedsForce) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  Journal j(h.root());
  Error e = error_of([&] { plan_and_bind(h.root(), k, j, request({A("02:00.0")})); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_TRUE(contains(e.what(), "0000:02:00.0: holds the root filesystem")) << e.what();
  EXPECT_TRUE(contains(e.hint(), mention(Input::force)));
  EXPECT_EQ(k.write_count(), 0u);
  EXPECT_FALSE(fs::exists(h.real("/run/ptagent")));
  // The boot VGA, and a critical device that --group would add (the keyboard's xHCI is alone).
  e = error_of([&] { plan_and_bind(h.root(), k, j, request({A("00:02.0")})); });
  EXPECT_TRUE(contains(e.what(), "boot VGA")) << e.what();

  BindRequest forced = request({A("02:00.0")});
  forced.guard = CriticalGuard::force;
  plan_and_bind(h.root(), k, j, forced);
  EXPECT_EQ(driver_of(h, "0000:02:00.0"), "vfio-pci");
}

TEST(VfioBind, RefusalsBeforeAnyChange) {
  TempHost h = TempHost::copy_of("server");
  KernelDouble k(h.root());
  Journal j(h.root());
  Error e = error_of([&] { plan_and_bind(h.root(), k, j, request({A("01:10.2")})); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_EQ(std::string(e.what()), "0000:01:10.2: already bound to vfio-pci");
  e = error_of([&] { plan_and_bind(h.root(), k, j, request({A("09:00.0")})); });
  EXPECT_EQ(e.kind(), ErrorKind::not_found);
  EXPECT_TRUE(contains(e.what(), "0000:09:00.0"));
  e = error_of([&] { plan_and_bind(h.root(), k, j, request({A("02:00.0")})); });
  EXPECT_TRUE(contains(e.what(), "is a PCI bridge")) << e.what();
  e = error_of([&] { plan_and_bind(h.root(), k, j, request({})); });
  EXPECT_EQ(e.kind(), ErrorKind::usage);
  BindRequest bad = request({A("03:00.0")});
  bad.driver = "../../../etc";
  e = error_of([&] { plan_and_bind(h.root(), k, j, bad); });
  EXPECT_EQ(e.kind(), ErrorKind::usage);
  // A name that is none of the device's VFIO drivers (a typo, a host driver) is refused, naming
  // the candidates; a VFIO driver that is not loaded: VfioBindVariants.BestDriverNotLoaded.
  bad.driver = "no_such_driver";
  e = error_of([&] { plan_and_bind(h.root(), k, j, bad); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_EQ(std::string(e.what()),
            "0000:03:00.0: no_such_driver is not a VFIO driver that can take it: its VFIO drivers "
            "are vfio-pci");
  EXPECT_EQ(k.write_count(), 0u);
  EXPECT_FALSE(fs::exists(h.real("/run/ptagent")));
}

TEST(VfioBind, GroupBehindANonAcsBridgeSkipsTheBridge) {
  TempHost h = TempHost::copy_of("server");
  KernelDouble k(h.root());
  Journal j(h.root());
  BindPlan plan = plan_and_bind(h.root(), k, j, request({A("03:01.0")}, GroupMode::whole_group));
  ASSERT_EQ(plan.devices.size(), 2u);
  EXPECT_EQ(plan.devices[0].address, A("03:01.0"));
  EXPECT_EQ(plan.devices[1].address, A("03:00.0"));
  EXPECT_EQ(driver_of(h, "0000:03:00.0"), "vfio-pci");
  EXPECT_EQ(driver_of(h, "0000:03:01.0"), "vfio-pci");
  EXPECT_EQ(driver_of(h, "0000:02:00.0"), "-");
}

TEST(VfioBind, GroupCompanionAlreadyOnTheDriverIsLeftAlone) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  Journal j(h.root());
  k.set_vfio_requires_viable_group(false);
  plan_and_bind(h.root(), k, j, request({A("01:00.1")}));
  k.set_vfio_requires_viable_group(true);
  BindPlan plan = plan_and_bind(h.root(), k, j, request({A("01:00.0")}, GroupMode::whole_group));
  ASSERT_EQ(plan.devices.size(), 1u);
  EXPECT_EQ(plan.devices[0].address, A("01:00.0"));
  EXPECT_EQ(plan.already_bound, std::vector<PciAddress>{A("01:00.1")});
  EXPECT_EQ(driver_of(h, "0000:01:00.0"), "vfio-pci");
  EXPECT_EQ(j.load().size(), 2u);
  // Named explicitly, a device already on the driver is an error.
  Error e = error_of([&] { plan_and_bind(h.root(), k, j, request({A("01:00.1")})); });
  EXPECT_TRUE(contains(e.what(), "0000:01:00.1: already bound to vfio-pci")) << e.what();
}

TEST(VfioBind, AJournalEntryBlocksASecondBind) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  Journal j(h.root());
  j.update([](std::vector<Change>& c) {
    Change x;
    x.id = "bind:0000:01:00.1";
    x.kind = ChangeKind::bind;
    x.owner = "domain:0f4b5c2e-8f1a-4d2b-9c3e-5a6b7c8d9e0f";
    x.address = parse_pci_address("01:00.1");
    x.original_driver = "snd_hda_intel";
    x.new_driver = "vfio-pci";
    c.push_back(x);
  });
  Error e = error_of(
      [&] { plan_and_bind(h.root(), k, j, request({A("01:00.0")}, GroupMode::whole_group)); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_TRUE(contains(e.what(), "0000:01:00.1: the journal already holds a binding of it"))
      << e.what();
  EXPECT_TRUE(contains(e.what(), "domain:0f4b5c2e")) << e.what();
  EXPECT_TRUE(contains(e.hint(), "ptagent restore 0000:01:00.1"));
  EXPECT_EQ(k.write_count(), 0u);
}

TEST(VfioBind, ACorruptJournalStopsTheBindBeforeAnyChange) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  Journal j(h.root());
  j.update([](std::vector<Change>&) {});
  std::ofstream(h.real("/run/ptagent/journal.json")) << "{ truncated";
  const std::string start = host_state(h.root());
  Error e = error_of(
      [&] { plan_and_bind(h.root(), k, j, request({A("01:00.0")}, GroupMode::whole_group)); });
  EXPECT_TRUE(contains(e.what(), "moved aside to")) << e.what();
  EXPECT_EQ(k.write_count(), 0u);
  EXPECT_EQ(host_state(h.root()), start);
  plan_and_bind(h.root(), k, j,
                request({A("01:00.0")}, GroupMode::whole_group));  // now a fresh journal
  EXPECT_EQ(j.load().size(), 2u);
}

TEST(VfioBind, DryRunPlanOnAHostWithoutVfio) {
  TempHost h = TempHost::copy_of("noiommu");
  KernelDouble k(h.root());
  Journal j(h.root());
  const std::string start = host_state(h.root());
  BindPlan plan = plan_bind(h.root(), j, request({A("00:05.0")}), PlanMode::dry_run);
  EXPECT_EQ(plan.steps,
            (std::vector<std::string>{
                "record 0000:00:05.0 (driver virtio-pci, driver_override none) in "
                "/run/ptagent/journal.json",
                "write \"vfio-pci\" to /sys/bus/pci/devices/0000:00:05.0/driver_override",
                "write \"0000:00:05.0\" to /sys/bus/pci/drivers/virtio-pci/unbind",
                "write \"0000:00:05.0\" to /sys/bus/pci/drivers_probe",
                "check that 0000:00:05.0 is on vfio-pci",
                "mark the journal entries done",
            }));
  ASSERT_EQ(plan.warnings.size(), 2u);
  EXPECT_TRUE(contains(plan.warnings[0], "vfio-pci: the driver is not loaded")) << plan.warnings[0];
  EXPECT_TRUE(contains(plan.warnings[0], "modprobe vfio-pci"));
  EXPECT_TRUE(contains(plan.warnings[1], "0000:00:05.0: has no IOMMU group")) << plan.warnings[1];

  // The real run stops at the first of them, before anything changes.
  Error e = error_of([&] { plan_and_bind(h.root(), k, j, request({A("00:05.0")})); });
  EXPECT_TRUE(contains(e.what(), "vfio-pci: the driver is not loaded")) << e.what();
  EXPECT_TRUE(contains(e.hint(), "modprobe vfio-pci"));
  EXPECT_EQ(k.write_count(), 0u);
  EXPECT_EQ(host_state(h.root()), start);
  EXPECT_FALSE(fs::exists(h.real("/run/ptagent")));
}

TEST(VfioBind, PciStubAndARecordedOverride) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  Journal j(h.root());
  // The admin had set an override of their own: restore puts it back.
  ASSERT_EQ(k.write(kDev + "0000:01:00.1/driver_override", "snd_hda_intel"), 0);
  const std::string start = host_state(h.root());
  BindRequest r = request({A("01:00.1")});
  r.driver = "pci-stub";
  r.owner = "domain:0f4b5c2e-8f1a-4d2b-9c3e-5a6b7c8d9e0f";
  plan_and_bind(h.root(), k, j, r);
  EXPECT_EQ(driver_of(h, "0000:01:00.1"), "pci-stub");
  EXPECT_EQ(j.load()[0].original_override, "snd_hda_intel");
  EXPECT_EQ(j.load()[0].owner, "domain:0f4b5c2e-8f1a-4d2b-9c3e-5a6b7c8d9e0f");
  RestorePlan rp = plan_restore(h.root(), j.load(), std::vector<PciAddress>{A("01:00.1")});
  EXPECT_EQ(rp.steps,
            (std::vector<std::string>{
                "write \"snd_hda_intel\" to /sys/bus/pci/devices/0000:01:00.1/driver_override",
                "write \"0000:01:00.1\" to /sys/bus/pci/drivers/pci-stub/unbind",
                "write \"0000:01:00.1\" to /sys/bus/pci/drivers_probe",
                "check that 0000:01:00.1 is on snd_hda_intel",
                "remove the journal entry bind:0000:01:00.1",
            }));
  restore_devices(h.root(), k, j, std::vector<PciAddress>{A("01:00.1")});
  EXPECT_EQ(host_state(h.root()), start);
}

TEST(VfioBind, RestoreRefusesADeviceAGuestHolds) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  Journal j(h.root());
  plan_and_bind(h.root(), k, j, request({A("01:00.0")}, GroupMode::whole_group));
  const std::string bound = host_state(h.root());
  fs::create_directories(h.real("/proc/4242/fd"));
  std::ofstream(h.real("/proc/4242/comm")) << "qemu-system-x86\n";
  fs::create_symlink("/dev/vfio/1", h.real("/proc/4242/fd/17"));
  const std::size_t writes = k.write_count();
  Error e =
      error_of([&] { restore_devices(h.root(), k, j, std::vector<PciAddress>{A("01:00.1")}); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_EQ(std::string(e.what()),
            "0000:01:00.1: is in use: /dev/vfio/1 is held open by pid 4242 (qemu-system-x86)");
  e = error_of([&] { undo_bind_change(h.root(), k, j.load()[0]); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_EQ(k.write_count(), writes);
  EXPECT_EQ(host_state(h.root()), bound);
  EXPECT_EQ(j.load().size(), 2u);
  fs::remove(h.real("/proc/4242/fd/17"));
  restore_devices(h.root(), k, j, std::vector<PciAddress>{A("01:00.0"), A("01:00.1")});
  EXPECT_TRUE(j.load().empty());
}

TEST(VfioBind, RestoreOfAnUnknownDevice) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  Journal j(h.root());
  Error e =
      error_of([&] { restore_devices(h.root(), k, j, std::vector<PciAddress>{A("01:00.0")}); });
  EXPECT_EQ(e.kind(), ErrorKind::not_found);
  EXPECT_TRUE(contains(e.what(), "0000:01:00.0: the journal has no binding of it")) << e.what();
  EXPECT_EQ(k.write_count(), 0u);
}

TEST(VfioBind, RestoreReachesADriverTheProbeWouldNotPick) {
  // The device was on pci-stub without an override (bound by hand): a reprobe picks
  // snd_hda_intel, and pci-stub's bind file does not match it, so ptagent binds it through a
  // temporary override and clears that again.
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  Journal j(h.root());
  ASSERT_EQ(k.write("/sys/bus/pci/drivers/snd_hda_intel/unbind", "0000:01:00.1"), 0);
  ASSERT_EQ(k.write(kDev + "0000:01:00.1/driver_override", "pci-stub"), 0);
  ASSERT_EQ(k.write("/sys/bus/pci/drivers_probe", "0000:01:00.1"), 0);
  ASSERT_EQ(k.write(kDev + "0000:01:00.1/driver_override", "\n"), 0);
  ASSERT_EQ(driver_of(h, "0000:01:00.1"), "pci-stub");
  const std::string start = host_state(h.root());
  k.set_vfio_requires_viable_group(false);
  plan_and_bind(h.root(), k, j, request({A("01:00.1")}));
  const std::size_t before = k.write_count();
  restore_devices(h.root(), k, j, std::vector<PciAddress>{A("01:00.1")});
  EXPECT_EQ(host_state(h.root()), start);
  std::vector<std::string> writes;
  const auto calls = k.calls();
  for (std::size_t i = before; i < calls.size(); ++i)
    writes.push_back(calls[i].path + "=" + calls[i].value);
  EXPECT_EQ(writes, (std::vector<std::string>{
                        kDev + "0000:01:00.1/driver_override=\n",
                        "/sys/bus/pci/drivers/vfio-pci/unbind=0000:01:00.1",
                        "/sys/bus/pci/drivers_probe=0000:01:00.1",
                        "/sys/bus/pci/drivers/snd_hda_intel/unbind=0000:01:00.1",
                        "/sys/bus/pci/drivers/pci-stub/bind=0000:01:00.1",
                        kDev + "0000:01:00.1/driver_override=pci-stub",
                        "/sys/bus/pci/drivers_probe=0000:01:00.1",
                        kDev + "0000:01:00.1/driver_override=\n",
                    }));
}

TEST(VfioBind, UndoFromHalfDoneStates) {
  // After a crash the device may be anywhere between the steps; undo brings it back from each.
  for (int stop = 0; stop <= 3; ++stop) {
    TempHost h = TempHost::copy_of("workstation");
    KernelDouble k(h.root());
    const std::string start = host_state(h.root());
    if (stop >= 1) {
      ASSERT_EQ(k.write(kDev + "0000:01:00.1/driver_override", "vfio-pci"), 0);
    }
    if (stop >= 2) {
      ASSERT_EQ(k.write("/sys/bus/pci/drivers/snd_hda_intel/unbind", "0000:01:00.1"), 0);
    }
    if (stop >= 3) {
      ASSERT_EQ(k.write("/sys/bus/pci/drivers_probe", "0000:01:00.1"), 0);
    }
    Change c;
    c.id = bind_change_id(A("01:00.1"));
    c.kind = ChangeKind::bind;
    c.owner = "cli";
    c.address = A("01:00.1");
    c.original_driver = "snd_hda_intel";
    c.new_driver = "vfio-pci";
    undo_bind_change(h.root(), k, c);
    EXPECT_EQ(host_state(h.root()), start) << "stopped after step " << stop;
  }
}

TEST(VfioBind, UndoThatFailsPutsTheDeviceBack) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  Journal j(h.root());
  k.set_vfio_requires_viable_group(false);
  plan_and_bind(h.root(), k, j, request({A("01:00.1")}));
  const std::string bound = host_state(h.root());
  // Undo writes: clear override, unbind from vfio-pci, probe <- fails.
  k.fail_nth_write(k.write_count() + 3, EIO);
  Error e = error_of([&] { undo_bind_change(h.root(), k, j.load()[0]); });
  EXPECT_EQ(std::string(e.what()),
            "0000:01:00.1: probe (drivers_probe) failed: Input/output error (EIO); it is bound as "
            "before (on vfio-pci)");
  EXPECT_EQ(host_state(h.root()), bound);
}

TEST(VfioBind, UndoThatCannotGoBackSaysSo) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  Journal j(h.root());
  k.set_vfio_requires_viable_group(false);
  plan_and_bind(h.root(), k, j, request({A("01:00.1")}));
  k.fail_writes_to("drivers_probe", EIO);
  Error e = error_of([&] { undo_bind_change(h.root(), k, j.load()[0]); });
  EXPECT_TRUE(contains(e.what(), "putting it back failed too")) << e.what();
  EXPECT_TRUE(contains(e.what(), "the journal keeps the entry")) << e.what();
  EXPECT_TRUE(contains(e.hint(), "ptagent restore --all")) << e.hint();
}

// The group is the unit of assignment: a bind that would leave part of a group on host drivers
// is refused, naming the members left behind, and changes nothing.
TEST(VfioBindGroups, APartialGroupIsRefused) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  k.set_vfio_requires_viable_group(false);  // the real 6.1 vfio-pci binds it silently
  Journal j(h.root());
  const std::string start = host_state(h.root());
  Error e = error_of([&] {
    plan_and_bind(h.root(), k, j,
                  request({A("01:00.1")}, GroupMode::named_only, PartialGroup::refuse));
  });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_TRUE(contains(e.what(),
                       "0000:01:00.1: binding it alone would leave IOMMU group 1 split: "
                       "0000:01:00.0 (nouveau) would stay on the host"))
      << e.what();
  EXPECT_TRUE(contains(e.hint(), "ptagent bind --group 0000:01:00.1")) << e.hint();
  EXPECT_EQ(k.write_count(), 0u);
  EXPECT_EQ(host_state(h.root()), start);
  // Naming every endpoint (the root port does not count) is a whole group.
  BindPlan plan = plan_and_bind(
      h.root(), k, j,
      request({A("01:00.0"), A("01:00.1")}, GroupMode::named_only, PartialGroup::refuse));
  EXPECT_EQ(plan.devices.size(), 2u);
}

// --group on a partly bound group binds the rest and leaves what is bound alone; restore of what
// this bind did leaves the earlier binding in place.
TEST(VfioBindGroups, GroupCompletesAPartlyBoundGroup) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  k.set_vfio_requires_viable_group(false);
  Journal j(h.root());
  plan_and_bind(h.root(), k, j, request({A("01:00.1")}));  // an earlier partial binding
  const std::string partial = host_state(h.root());
  BindPlan plan = plan_and_bind(
      h.root(), k, j, request({A("01:00.1")}, GroupMode::whole_group, PartialGroup::refuse));
  ASSERT_EQ(plan.devices.size(), 1u);
  EXPECT_EQ(plan.devices[0].address, A("01:00.0"));
  EXPECT_EQ(plan.already_bound, std::vector<PciAddress>{A("01:00.1")});
  EXPECT_EQ(driver_of(h, "0000:01:00.0"), "vfio-pci");
  ASSERT_EQ(j.load().size(), 2u);
  restore_devices(h.root(), k, j, std::vector<PciAddress>{A("01:00.0")});
  EXPECT_EQ(host_state(h.root()), partial);
  ASSERT_EQ(j.load().size(), 1u);
  EXPECT_EQ(j.load()[0].id, "bind:0000:01:00.1");
}

TEST(VfioBindGroups, InfrastructureIsNeverBound) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  Journal j(h.root());
  const struct {
    const char* device;
    const char* says;
  } cases[] = {{"00:00.0", "0000:00:00.0: is a host bridge: host infrastructure"},
               {"00:1f.0", "0000:00:1f.0: is an ISA bridge"},
               {"00:01.0", "0000:00:01.0: is a PCI bridge or root port"}};
  for (const auto& c : cases) {
    for (auto mode : {GroupMode::named_only, GroupMode::whole_group}) {
      Error e = error_of([&] {
        plan_bind(h.root(), j, request({A(c.device)}, mode, PartialGroup::refuse),
                  PlanMode::dry_run);
      });
      EXPECT_EQ(e.kind(), ErrorKind::refused) << c.device;
      EXPECT_TRUE(contains(e.what(), c.says)) << e.what();
    }
  }
  // --group never takes the ISA bridge of the group along.
  BindPlan plan =
      plan_bind(h.root(), j, request({A("00:1f.3")}, GroupMode::whole_group, PartialGroup::refuse),
                PlanMode::dry_run);
  ASSERT_EQ(plan.devices.size(), 2u);
  EXPECT_EQ(plan.devices[0].address, A("00:1f.3"));
  EXPECT_EQ(plan.devices[1].address, A("00:1f.4"));
}

// A group whose other endpoint the host needs can never be assigned: neither part of it nor
// (without --force) all of it is bound.
TEST(VfioBindGroups, ACompanionTheHostNeedsBlocksTheGroup) {
  TempHost h = TempHost::copy_of("server");
  {
    std::ofstream route(h.real("/proc/net/route"));
    route << "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
             "enp3s0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n";
  }
  KernelDouble k(h.root());
  Journal j(h.root());
  Error e = error_of([&] {
    plan_and_bind(h.root(), k, j,
                  request({A("03:01.0")}, GroupMode::named_only, PartialGroup::refuse));
  });
  EXPECT_TRUE(contains(e.what(),
                       "0000:03:01.0: binding it would leave IOMMU group 5 split, and the rest "
                       "cannot follow: 0000:03:00.0 is the network interface of the default route"))
      << e.what();
  e = error_of([&] {
    plan_and_bind(h.root(), k, j,
                  request({A("03:01.0")}, GroupMode::whole_group, PartialGroup::refuse));
  });
  EXPECT_TRUE(contains(e.what(), "0000:03:00.0: is the network interface of the default route"))
      << e.what();
  EXPECT_EQ(k.write_count(), 0u);
}

}  // namespace

// Without a named driver each device goes to its best VFIO driver: the ConnectX VF to
// mlx5_vfio_pci (its vfio_pci: alias), the journal records it and restore gives the VF back.
TEST(VfioBindVariants, BestVfioDriverPerDevice) {
  TempHost h = TempHost::copy_of("cloud");
  KernelDouble k(h.root());
  Journal j(h.root());
  const std::string start = host_state(h.root());
  BindRequest r = request({A("01:00.1")});
  r.driver = kBestVfioDriver;
  BindPlan plan = plan_bind(h.root(), j, r, PlanMode::dry_run);
  ASSERT_EQ(plan.devices.size(), 1u);
  EXPECT_EQ(plan.devices[0].driver_after, "mlx5_vfio_pci");
  EXPECT_TRUE(contains(plan.steps[1],
                       "write \"mlx5_vfio_pci\" to "
                       "/sys/bus/pci/devices/0000:01:00.1/driver_override"))
      << plan.steps[1];
  plan_and_bind(h.root(), k, j, r);
  EXPECT_EQ(driver_of(h, "0000:01:00.1"), "mlx5_vfio_pci");
  ASSERT_EQ(j.load().size(), 1u);
  EXPECT_EQ(j.load()[0].new_driver, "mlx5_vfio_pci");
  EXPECT_EQ(j.load()[0].original_driver, "mlx5_core");
  restore_devices(h.root(), k, j, std::vector<PciAddress>{A("01:00.1")});
  EXPECT_EQ(host_state(h.root()), start);
}

TEST(VfioBindVariants, NamedDriverMustMatchTheDevice) {
  TempHost h = TempHost::copy_of("cloud");
  Journal j(h.root());
  BindRequest r = request({A("01:00.1")});
  r.driver = "vfio-pci";  // forcing the generic driver is allowed
  EXPECT_EQ(plan_bind(h.root(), j, r, PlanMode::dry_run).devices[0].driver_after, "vfio-pci");
  r.driver = "vfio_pci";  // the module name means the same driver
  EXPECT_EQ(plan_bind(h.root(), j, r, PlanMode::dry_run).devices[0].driver_after, "vfio-pci");
  r.driver = "virtio_vfio_pci";
  const Error e = error_of([&] { plan_bind(h.root(), j, r, PlanMode::dry_run); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_EQ(e.object(), "0000:01:00.1");
  EXPECT_TRUE(contains(e.cause(), "virtio_vfio_pci is not a VFIO driver that can take it"))
      << e.cause();
  EXPECT_TRUE(contains(e.cause(), "mlx5_vfio_pci (best), vfio-pci")) << e.cause();
  r.driver = "e1000e";  // a host driver is no VFIO driver
  EXPECT_EQ(error_of([&] { plan_bind(h.root(), j, r, PlanMode::dry_run); }).kind(),
            ErrorKind::refused);
  r.driver = "pci-stub";  // takes anything
  EXPECT_EQ(plan_bind(h.root(), j, r, PlanMode::dry_run).devices[0].driver_after, "pci-stub");
}

// The best driver of the virtio-net function is not loaded: the run stops before any change and
// says what to load; the dry run shows it as a warning.
TEST(VfioBindVariants, BestDriverNotLoaded) {
  TempHost h = TempHost::copy_of("cloud");
  KernelDouble k(h.root());
  Journal j(h.root());
  const std::string start = host_state(h.root());
  BindRequest r = request({A("03:00.0")});
  r.driver = kBestVfioDriver;
  BindPlan dry = plan_bind(h.root(), j, r, PlanMode::dry_run);
  ASSERT_EQ(dry.devices.size(), 1u);
  EXPECT_EQ(dry.devices[0].driver_after, "virtio_vfio_pci");
  ASSERT_EQ(dry.warnings.size(), 1u);
  EXPECT_TRUE(contains(dry.warnings[0], "modprobe virtio_vfio_pci")) << dry.warnings[0];
  const Error e = error_of([&] { plan_and_bind(h.root(), k, j, r); });
  EXPECT_EQ(e.object(), "virtio_vfio_pci");
  EXPECT_EQ(host_state(h.root()), start);
}
