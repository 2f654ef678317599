#include "ops/mdev.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <set>

#include "error.hpp"
#include "ops/journal.hpp"
#include "support/error_of.hpp"
#include "support/kernel_double.hpp"
#include "support/temp_host.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
using ptagent::testing::error_of;
using ptagent::testing::fixture_root;
using ptagent::testing::KernelDouble;
using ptagent::testing::TempHost;

namespace {

const char* kGpu = "0000:00:02.0";
const char* kU1 = "4b20d080-1b54-4048-85b3-a6a62d165c01";
const char* kU2 = "83c32df7-d52e-4ec1-9668-1f3c7e4df107";
const WaitLimits kFast{std::chrono::milliseconds(300), std::chrono::milliseconds(10)};

std::optional<unsigned> available(const Root& root, const std::string& type) {
  return read_mdev_parent(root, kGpu).find_type(type)->available_instances;
}

void hold_open(const TempHost& host, int pid, unsigned group) {
  const std::string fd = "/proc/" + std::to_string(pid) + "/fd";
  std::filesystem::create_directories(host.real(fd));
  std::filesystem::create_symlink("/dev/vfio/" + std::to_string(group), host.real(fd + "/9"));
  std::ofstream(host.real("/proc/" + std::to_string(pid) + "/comm")) << "qemu-system-x86\n";
}

void define_in_mdevctl(const TempHost& host, const std::string& parent, const std::string& uuid) {
  std::filesystem::create_directories(host.real("/etc/mdevctl.d/" + parent));
  std::ofstream(host.real("/etc/mdevctl.d/" + parent + "/" + uuid))
      << R"({"mdev_type": "i915-GVTg_V5_8", "start": "auto", "attrs": []})"
      << "\n";
}

}  // namespace

TEST(Mdev, ListsTheGvtParentAndItsTypes) {
  const Root root = fixture_root("workstation");
  const auto parents = list_mdev_parents(root);
  ASSERT_EQ(parents.size(), 1u);
  EXPECT_EQ(parents[0].name, kGpu);
  EXPECT_EQ(parents[0].sysfs_path, "/sys/devices/pci0000:00/0000:00:02.0");
  ASSERT_EQ(parents[0].types.size(), 2u);
  const MdevType& t = parents[0].types[0];
  EXPECT_EQ(t.id, "i915-GVTg_V5_4");
  EXPECT_EQ(t.name, "GVTg_V5_4");
  EXPECT_EQ(t.device_api, "vfio-pci");
  EXPECT_EQ(t.available_instances, 1u);
  EXPECT_EQ(t.description.rfind("low_gm_size: 128MB\nhigh_gm_size: 512MB", 0), 0u);
  EXPECT_EQ(parents[0].types[1].available_instances, 2u);
  EXPECT_TRUE(list_mdevs(root).empty());
  EXPECT_TRUE(list_mdev_parents(fixture_root("server")).empty());
}

TEST(Mdev, FindsParentsInAnyAddressFormAndSuggestsNearMisses) {
  const Root root = fixture_root("workstation");
  EXPECT_EQ(read_mdev_parent(root, "00:02.0").name, kGpu);
  EXPECT_EQ(read_mdev_parent(root, "pci_0000_00_02_0").name, kGpu);
  Error e = error_of([&] { read_mdev_parent(root, "0000:00:02.1"); });
  EXPECT_EQ(e.kind(), ErrorKind::not_found);
  EXPECT_NE(e.hint().find("did you mean 0000:00:02.0?"), std::string::npos);
  e = error_of([&] { read_mdev_parent(root, "matrix"); });
  EXPECT_EQ(e.kind(), ErrorKind::not_found);
  EXPECT_EQ(e.hint().find("did you mean"), std::string::npos);
  EXPECT_NE(e.hint().find("parents on this host: 0000:00:02.0"), std::string::npos);
  e = error_of([&] { read_mdev_parent(fixture_root("server"), kGpu); });
  EXPECT_NE(e.cause().find("no mdev parents"), std::string::npos);
  for (const char* bad : {"../../etc", "a/b", ".hidden", "x y", ""}) {
    EXPECT_EQ(error_of([&] { read_mdev_parent(root, bad); }).kind(), ErrorKind::usage) << bad;
  }
}

TEST(Mdev, TypeNamesNeverLeaveTheParentsDirectory) {
  for (const char* good :
       {"i915-GVTg_V5_4", "nvidia-155", "vfio_ap-passthrough", "vfio_ccw-io", "a.b"}) {
    EXPECT_NO_THROW(check_mdev_type_name(good)) << good;
  }
  for (const char* bad : {"../i915-GVTg_V5_4", "..", "a/b", "/etc/passwd", ".hidden", "x..y", "",
                          "a b", "a:b", "a\nb"}) {
    const Error e = error_of([&] { check_mdev_type_name(bad); });
    EXPECT_EQ(e.kind(), ErrorKind::usage) << bad;
  }
  EXPECT_NE(error_of([] { check_mdev_type_name("a/b"); }).cause().find("'/'"), std::string::npos);
  EXPECT_NE(error_of([] { check_mdev_type_name("x..y"); }).cause().find(".."), std::string::npos);
  EXPECT_NO_THROW(check_mdev_parent_name("0.0.26ab"));
  EXPECT_NO_THROW(check_mdev_parent_name("matrix"));
}

TEST(Mdev, CreateAndRemoveChangeTheDeviceTreeAndAvailableInstances) {
  TempHost host = TempHost::copy_of("workstation");
  KernelDouble kernel(host.root());
  Journal journal(host.root());
  const MdevCreatePlan plan =
      plan_mdev_create(host.root(), "00:02.0", "i915-GVTg_V5_8", std::string_view(kU1));
  EXPECT_FALSE(plan.reuse);
  EXPECT_EQ(plan.parent, kGpu);
  EXPECT_EQ(plan.available_before, 2u);
  const Mdev m = create_mdev(host.root(), kernel, journal, plan, "cli", kFast);
  EXPECT_EQ(m.uuid, kU1);
  EXPECT_EQ(m.parent, kGpu);
  EXPECT_EQ(m.type, "i915-GVTg_V5_8");
  EXPECT_TRUE(m.iommu_group.has_value());
  EXPECT_EQ(m.sysfs_path, std::string("/sys/devices/pci0000:00/0000:00:02.0/") + kU1);
  EXPECT_TRUE(host.root().is_dir(std::string("/sys/bus/mdev/devices/") + kU1));
  EXPECT_EQ(available(host.root(), "i915-GVTg_V5_8"), 1u);
  ASSERT_EQ(kernel.calls().size(), 1u);
  EXPECT_EQ(kernel.calls()[0].value, kU1);

  auto entries = journal.load();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].id, mdev_change_id(kU1));
  EXPECT_EQ(entries[0].kind, ChangeKind::mdev);
  EXPECT_EQ(entries[0].state, ChangeState::done);
  EXPECT_EQ(entries[0].mdev_parent, kGpu);
  EXPECT_EQ(entries[0].mdev_type, "i915-GVTg_V5_8");

  const auto all = list_mdevs(host.root());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(mdev_owner(host.root(), all[0], entries), MdevOwner::ptagent);
  EXPECT_EQ(mdev_owner(host.root(), all[0], {}), MdevOwner::unknown);

  const MdevRemovePlan rm = plan_mdev_remove(host.root(), kU1, entries, {}, MdevGuard::refuse);
  remove_mdev(host.root(), kernel, journal, rm, kFast);
  EXPECT_FALSE(host.root().exists(std::string("/sys/bus/mdev/devices/") + kU1));
  EXPECT_FALSE(host.root().exists(std::string("/sys/devices/pci0000:00/0000:00:02.0/") + kU1));
  EXPECT_EQ(available(host.root(), "i915-GVTg_V5_8"), 2u);
  EXPECT_TRUE(journal.load().empty());
  EXPECT_TRUE(list_mdevs(host.root()).empty());
}

TEST(Mdev, CreateWithoutUuidMakesARandomOne) {
  TempHost host = TempHost::copy_of("workstation");
  KernelDouble kernel(host.root());
  Journal journal(host.root());
  const MdevCreatePlan plan = plan_mdev_create(host.root(), kGpu, "i915-GVTg_V5_4", std::nullopt);
  EXPECT_FALSE(plan.uuid_given);
  const Mdev m = create_mdev(host.root(), kernel, journal, plan, "cli", kFast);
  EXPECT_EQ(m.uuid, plan.uuid);
  EXPECT_EQ(m.uuid[14], '4');
}

TEST(Mdev, RefusesWhenNoInstanceIsLeft) {
  TempHost host = TempHost::copy_of("workstation");
  KernelDouble kernel(host.root());
  Journal journal(host.root());
  create_mdev(host.root(), kernel, journal,
              plan_mdev_create(host.root(), kGpu, "i915-GVTg_V5_4", std::string_view(kU1)), "cli",
              kFast);
  const Error e = error_of(
      [&] { plan_mdev_create(host.root(), kGpu, "i915-GVTg_V5_4", std::string_view(kU2)); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_NE(e.cause().find("available_instances is 0"), std::string::npos);
}

TEST(Mdev, RefusesUnknownTypesWithASuggestion) {
  const Root root = fixture_root("workstation");
  Error e = error_of([&] { plan_mdev_create(root, kGpu, "i915-GVTg_V5_5", std::nullopt); });
  EXPECT_EQ(e.kind(), ErrorKind::not_found);
  EXPECT_NE(e.hint().find("did you mean i915-GVTg_V5_4?"), std::string::npos);
  e = error_of(
      [&] { plan_mdev_create(root, kGpu, "GVTg_V5_8", std::nullopt); });  // the name, not the id
  EXPECT_NE(e.hint().find("did you mean i915-GVTg_V5_8?"), std::string::npos);
  e = error_of([&] { plan_mdev_create(root, kGpu, "nvidia-155", std::nullopt); });
  EXPECT_EQ(e.hint().find("did you mean"), std::string::npos);
  EXPECT_NE(e.hint().find("i915-GVTg_V5_4, i915-GVTg_V5_8"), std::string::npos);
  e = error_of([&] { plan_mdev_create(root, "0000:00:02.1", "i915-GVTg_V5_4", std::nullopt); });
  EXPECT_EQ(e.kind(), ErrorKind::not_found);
  EXPECT_NE(e.hint().find("did you mean 0000:00:02.0?"), std::string::npos);
}

TEST(Mdev, BadInputChangesNothing) {
  TempHost host = TempHost::copy_of("workstation");
  KernelDouble kernel(host.root());
  const std::string before = ptagent::testing::host_state(host.root());
  for (const char* type : {"../i915-GVTg_V5_4", "i915-GVTg_V5_4/../../../../remove", "..", "a/b"}) {
    EXPECT_EQ(error_of([&] { plan_mdev_create(host.root(), kGpu, type, std::nullopt); }).kind(),
              ErrorKind::usage)
        << type;
  }
  EXPECT_EQ(error_of([&] {
              plan_mdev_create(host.root(), kGpu, "i915-GVTg_V5_4", std::string_view("nope"));
            }).kind(),
            ErrorKind::usage);
  EXPECT_EQ(
      error_of([&] { plan_mdev_create(host.root(), "", "i915-GVTg_V5_4", std::nullopt); }).kind(),
      ErrorKind::usage);
  EXPECT_EQ(
      error_of([&] { plan_mdev_remove(host.root(), "nope", {}, {}, MdevGuard::force); }).kind(),
      ErrorKind::usage);
  EXPECT_EQ(error_of([&] { plan_mdev_remove(host.root(), kU1, {}, {}, MdevGuard::force); }).kind(),
            ErrorKind::not_found);
  EXPECT_EQ(kernel.write_count(), 0u);
  EXPECT_EQ(ptagent::testing::host_state(host.root()), before);
}

TEST(Mdev, ReusesAMatchingDeviceAndRefusesAMismatch) {
  TempHost host = TempHost::copy_of("workstation");
  KernelDouble kernel(host.root());
  Journal journal(host.root());
  create_mdev(host.root(), kernel, journal,
              plan_mdev_create(host.root(), kGpu, "i915-GVTg_V5_8", std::string_view(kU1)), "cli",
              kFast);
  const std::size_t writes = kernel.write_count();
  // Upper case is the same UUID.
  const MdevCreatePlan again =
      plan_mdev_create(host.root(), kGpu, "i915-GVTg_V5_8",
                       std::string_view("4B20D080-1B54-4048-85B3-A6A62D165C01"));
  EXPECT_TRUE(again.reuse);
  EXPECT_EQ(create_mdev(host.root(), kernel, journal, again, "cli", kFast).uuid, kU1);
  EXPECT_EQ(kernel.write_count(), writes);
  const Error e = error_of(
      [&] { plan_mdev_create(host.root(), kGpu, "i915-GVTg_V5_4", std::string_view(kU1)); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_NE(e.cause().find("already exists as a i915-GVTg_V5_8 on parent 0000:00:02.0"),
            std::string::npos);
}

TEST(Mdev, RefusesAUuidThatMdevctlDefines) {
  TempHost host = TempHost::copy_of("workstation");
  define_in_mdevctl(host, kGpu, kU2);
  const Error e = error_of(
      [&] { plan_mdev_create(host.root(), kGpu, "i915-GVTg_V5_8", std::string_view(kU2)); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_NE(e.cause().find("defined by mdevctl"), std::string::npos);
  EXPECT_NE(e.hint().find("mdevctl start"), std::string::npos);
}

TEST(Mdev, AFailedCreateLeavesNoJournalEntry) {
  TempHost host = TempHost::copy_of("workstation");
  KernelDouble kernel(host.root());
  Journal journal(host.root());
  kernel.fail_writes_to("/create", EINVAL);
  const MdevCreatePlan plan =
      plan_mdev_create(host.root(), kGpu, "i915-GVTg_V5_8", std::string_view(kU1));
  const Error e = error_of([&] { create_mdev(host.root(), kernel, journal, plan, "cli", kFast); });
  EXPECT_EQ(e.kind(), ErrorKind::failed);
  EXPECT_EQ(e.sys_errno(), EINVAL);
  EXPECT_NE(e.cause().find("(EINVAL)"), std::string::npos);
  EXPECT_TRUE(journal.load().empty());
  EXPECT_EQ(available(host.root(), "i915-GVTg_V5_8"), 2u);
}

TEST(Mdev, TheKernelsExhaustedErrorIsExplained) {
  TempHost host = TempHost::copy_of("workstation");
  KernelDouble kernel(host.root());
  Journal journal(host.root());
  MdevCreatePlan plan =
      plan_mdev_create(host.root(), kGpu, "i915-GVTg_V5_4", std::string_view(kU1));
  create_mdev(host.root(), kernel, journal, plan, "cli", kFast);
  plan.uuid = kU2;  // a stale plan: the kernel itself says no instance is left
  const Error e = error_of([&] { create_mdev(host.root(), kernel, journal, plan, "cli", kFast); });
  EXPECT_EQ(e.sys_errno(), EUSERS);
  EXPECT_NE(e.cause().find("no resources left"), std::string::npos);
  EXPECT_EQ(journal.load().size(), 1u);
}

TEST(Mdev, AnUnverifiedCreateStaysPendingForRestore) {
  TempHost host = TempHost::copy_of("workstation");
  struct Inert final : SysfsWriter {
    int write(const std::string&, std::string_view) override { return 0; }
  } inert;
  Journal journal(host.root());
  const MdevCreatePlan plan =
      plan_mdev_create(host.root(), kGpu, "i915-GVTg_V5_8", std::string_view(kU1));
  const Error e = error_of([&] { create_mdev(host.root(), inert, journal, plan, "cli", kFast); });
  EXPECT_NE(e.cause().find("did not appear within 300 ms"), std::string::npos);
  const auto entries = journal.load();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].state, ChangeState::pending);
}

TEST(Mdev, RemoveRefusesMdevctlDevicesUnlessForced) {
  TempHost host = TempHost::copy_of("workstation");
  KernelDouble kernel(host.root());
  Journal journal(host.root());
  create_mdev(host.root(), kernel, journal,
              plan_mdev_create(host.root(), kGpu, "i915-GVTg_V5_8", std::string_view(kU2)), "cli",
              kFast);
  define_in_mdevctl(host, kGpu, kU2);
  const auto m = find_mdev(host.root(), kU2);
  ASSERT_TRUE(m);
  EXPECT_EQ(mdev_owner(host.root(), *m, journal.load()), MdevOwner::mdevctl);
  const Error e =
      error_of([&] { plan_mdev_remove(host.root(), kU2, journal.load(), {}, MdevGuard::refuse); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_NE(e.cause().find("mdevctl owns it"), std::string::npos);
  EXPECT_NE(e.hint().find(mention(Input::force)), std::string::npos);
  const MdevRemovePlan forced =
      plan_mdev_remove(host.root(), kU2, journal.load(), {}, MdevGuard::force);
  ASSERT_EQ(forced.forced.size(), 1u);
  remove_mdev(host.root(), kernel, journal, forced, kFast);
  EXPECT_FALSE(find_mdev(host.root(), kU2));
}

TEST(Mdev, RemoveRefusesDevicesInUseUnlessForced) {
  TempHost host = TempHost::copy_of("workstation");
  KernelDouble kernel(host.root());
  Journal journal(host.root());
  const Mdev m = create_mdev(
      host.root(), kernel, journal,
      plan_mdev_create(host.root(), kGpu, "i915-GVTg_V5_8", std::string_view(kU1)), "cli", kFast);
  ASSERT_TRUE(m.iommu_group);
  hold_open(host, 31337, *m.iommu_group);
  const MdevUse use = mdev_use(host.root(), m, {});
  ASSERT_EQ(use.open_by.size(), 1u);
  EXPECT_EQ(use.open_by[0].pid, 31337);
  Error e =
      error_of([&] { plan_mdev_remove(host.root(), kU1, journal.load(), {}, MdevGuard::refuse); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_NE(e.cause().find("held open by pid 31337 (qemu-system-x86)"), std::string::npos);
  EXPECT_EQ(e.reason(), Reason::busy);

  MdevHolders holders;
  holders[kU1].push_back("assigned to running domain win10");
  e = error_of(
      [&] { plan_mdev_remove(host.root(), kU1, journal.load(), holders, MdevGuard::refuse); });
  EXPECT_NE(e.cause().find("running domain win10"), std::string::npos);

  // Forced, but the kernel itself refuses while a guest has it open.
  kernel.mark_in_use(kU1);
  const MdevRemovePlan forced =
      plan_mdev_remove(host.root(), kU1, journal.load(), holders, MdevGuard::force);
  e = error_of([&] { remove_mdev(host.root(), kernel, journal, forced, kFast); });
  EXPECT_EQ(e.sys_errno(), EBUSY);
  EXPECT_NE(e.cause().find("in use"), std::string::npos);
  EXPECT_EQ(journal.load().size(), 1u);
  kernel.mark_in_use(kU1, false);
  remove_mdev(host.root(), kernel, journal, forced, kFast);
  EXPECT_TRUE(journal.load().empty());
}

TEST(Mdev, UndoRemovesWhatTheJournalSaysAndIsIdempotent) {
  TempHost host = TempHost::copy_of("workstation");
  KernelDouble kernel(host.root());
  Journal journal(host.root());
  create_mdev(host.root(), kernel, journal,
              plan_mdev_create(host.root(), kGpu, "i915-GVTg_V5_4", std::string_view(kU1)),
              "domain:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", kFast);
  const auto entries = journal.load();
  ASSERT_EQ(entries.size(), 1u);
  const MdevHolders held = journal_mdev_holders(entries);
  ASSERT_EQ(held.count(kU1), 1u);
  EXPECT_NE(held.at(kU1)[0].find("aaaaaaaa-bbbb"), std::string::npos);

  Change other = entries[0];
  other.mdev_type = "i915-GVTg_V5_8";
  EXPECT_EQ(error_of([&] { undo_mdev_change(host.root(), kernel, other); }).kind(),
            ErrorKind::refused);

  undo_mdev_change(host.root(), kernel, entries[0]);
  EXPECT_FALSE(find_mdev(host.root(), kU1));
  EXPECT_EQ(available(host.root(), "i915-GVTg_V5_4"), 1u);
  const std::size_t writes = kernel.write_count();
  undo_mdev_change(host.root(), kernel, entries[0]);
  EXPECT_EQ(kernel.write_count(), writes);

  Change broken = entries[0];
  broken.mdev_uuid = "../../x";
  EXPECT_EQ(error_of([&] { undo_mdev_change(host.root(), kernel, broken); }).kind(),
            ErrorKind::failed);
}

TEST(Mdev, UndoRefusesADeviceHeldOpen) {
  TempHost host = TempHost::copy_of("workstation");
  KernelDouble kernel(host.root());
  Journal journal(host.root());
  const Mdev m = create_mdev(
      host.root(), kernel, journal,
      plan_mdev_create(host.root(), kGpu, "i915-GVTg_V5_4", std::string_view(kU1)), "cli", kFast);
  hold_open(host, 4000, *m.iommu_group);
  const Error e = error_of([&] { undo_mdev_change(host.root(), kernel, journal.load().at(0)); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_TRUE(find_mdev(host.root(), kU1));
}
