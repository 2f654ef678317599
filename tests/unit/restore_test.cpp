#include "ops/restore.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "error.hpp"
#include "ops/journal.hpp"
#include "ops/vfio_bind.hpp"
#include "support/kernel_double.hpp"
#include "support/pci_address.hpp"
#include "support/plan_and_bind.hpp"
#include "support/temp_host.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
using ptagent::testing::A;
using ptagent::testing::host_state;
using ptagent::testing::KernelDouble;
using ptagent::testing::plan_and_bind;
using ptagent::testing::TempHost;
namespace fs = std::filesystem;

namespace {

const std::string kDev = "/sys/bus/pci/devices/";

BindRequest group_of(const char* addr) {
  BindRequest r;
  r.devices = {A(addr)};
  r.group = GroupMode::whole_group;
  return r;
}

TEST(Restore, UndoesBindThenSriovNewestFirst) {
  TempHost h = TempHost::copy_of("server");
  KernelDouble k(h.root());
  Journal j(h.root());
  const std::string start = host_state(h.root());
  j.update([](std::vector<Change>& c) {
    Change s;
    s.id = "sriov:0000:01:00.1";
    s.kind = ChangeKind::sriov;
    s.state = ChangeState::done;
    s.owner = "cli";
    s.address = A("01:00.1");
    s.previous_numvfs = 0;
    c.push_back(s);
  });
  ASSERT_EQ(k.write(kDev + "0000:01:00.1/sriov_numvfs", "2"), 0);
  plan_and_bind(h.root(), k, j, group_of("01:10.1"));
  ASSERT_EQ(h.root().link_name(kDev + "0000:01:10.1/driver"), "vfio-pci");

  const auto out = restore_all(h.root(), k, j);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].change.kind, ChangeKind::bind);  // the VF leaves vfio-pci before the VFs go
  EXPECT_TRUE(out[0].undone) << out[0].error;
  EXPECT_EQ(out[1].change.kind, ChangeKind::sriov);
  EXPECT_TRUE(out[1].undone) << out[1].error;
  EXPECT_EQ(host_state(h.root()), start);
  EXPECT_TRUE(j.load().empty());
}

TEST(Restore, RemovesAnMdevPtagentCreated) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  Journal j(h.root());
  const std::string start = host_state(h.root());
  const std::string uuid = "4b20d080-1b54-4048-85b3-a6a62d165c01";
  j.update([&](std::vector<Change>& c) {
    Change m;
    m.id = "mdev:" + uuid;
    m.kind = ChangeKind::mdev;
    m.state = ChangeState::done;
    m.owner = "domain:0f4b5c2e-8f1a-4d2b-9c3e-5a6b7c8d9e0f";
    m.mdev_uuid = uuid;
    m.mdev_parent = "0000:00:02.0";
    m.mdev_type = "i915-GVTg_V5_4";
    c.push_back(m);
  });
  ASSERT_EQ(
      k.write("/sys/class/mdev_bus/0000:00:02.0/mdev_supported_types/i915-GVTg_V5_4/create", uuid),
      0);
  const auto out = restore_all(h.root(), k, j);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].undone) << out[0].error;
  EXPECT_EQ(host_state(h.root()), start);
  EXPECT_TRUE(j.load().empty());
}

TEST(Restore, RecoversFromACrashMidBind) {
  // The process died after recording the entry, setting the override and unbinding.
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  Journal j(h.root());
  const std::string start = host_state(h.root());
  j.update([](std::vector<Change>& c) {
    Change b;
    b.id = bind_change_id(A("01:00.0"));
    b.kind = ChangeKind::bind;
    b.state = ChangeState::pending;
    b.owner = "cli";
    b.address = A("01:00.0");
    b.original_driver = "nouveau";
    b.new_driver = "vfio-pci";
    c.push_back(b);
  });
  ASSERT_EQ(k.write(kDev + "0000:01:00.0/driver_override", "vfio-pci"), 0);
  ASSERT_EQ(k.write("/sys/bus/pci/drivers/nouveau/unbind", "0000:01:00.0"), 0);
  const auto out = restore_all(h.root(), k, j);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].undone) << out[0].error;
  EXPECT_EQ(host_state(h.root()), start);
  EXPECT_TRUE(j.load().empty());
}

TEST(Restore, AFailedEntryStaysAndTheOthersAreUndone) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  Journal j(h.root());
  const std::string start = host_state(h.root());
  plan_and_bind(h.root(), k, j, group_of("01:00.0"));
  k.fail_writes_to("0000:01:00.1/driver_override", EIO);
  auto out = restore_all(h.root(), k, j);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].change.id, "bind:0000:01:00.1");
  EXPECT_FALSE(out[0].undone);
  EXPECT_NE(
      out[0].error.find("0000:01:00.1: clearing driver_override failed: Input/output error (EIO)"),
      std::string::npos)
      << out[0].error;
  EXPECT_TRUE(out[1].undone) << out[1].error;
  EXPECT_EQ(h.root().link_name(kDev + "0000:01:00.0/driver"), "nouveau");
  EXPECT_EQ(h.root().link_name(kDev + "0000:01:00.1/driver"),
            "vfio-pci");  // as it was, not unbound
  ASSERT_EQ(j.load().size(), 1u);
  EXPECT_EQ(j.load()[0].id, "bind:0000:01:00.1");

  k.clear_failures();
  out = restore_all(h.root(), k, j);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].undone);
  EXPECT_EQ(host_state(h.root()), start);
  EXPECT_TRUE(restore_all(h.root(), k, j).empty());
}

TEST(Restore, ADeviceThatIsGoneOnlyLosesItsEntry) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  Journal j(h.root());
  j.update([](std::vector<Change>& c) {
    Change b;
    b.id = bind_change_id(A("05:00.0"));
    b.kind = ChangeKind::bind;
    b.owner = "cli";
    b.address = A("05:00.0");
    b.new_driver = "vfio-pci";
    c.push_back(b);
  });
  const auto out = restore_all(h.root(), k, j);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].undone);
  EXPECT_EQ(k.write_count(), 0u);
  EXPECT_TRUE(j.load().empty());
}

TEST(Restore, ACorruptJournalIsMovedAsideAndReported) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  Journal j(h.root());
  j.update([](std::vector<Change>&) {});
  std::ofstream(h.real("/run/ptagent/journal.json")) << "{\"version\": 1, \"chan";
  try {
    restore_all(h.root(), k, j);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("moved aside to " +
                                         h.real("/run/ptagent/journal.json.corrupt-")),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(restore_all(h.root(), k, j).empty());
  EXPECT_EQ(k.write_count(), 0u);
}

TEST(Restore, DescribesEachKind) {
  Change b;
  b.id = "bind:0000:01:00.0";
  b.kind = ChangeKind::bind;
  b.owner = "cli";
  b.time = "2024-05-01T10:00:00Z";
  b.address = A("01:00.0");
  b.original_driver = "nouveau";
  b.new_driver = "vfio-pci";
  b.state = ChangeState::done;
  EXPECT_EQ(describe_change(b),
            "bind of 0000:01:00.0 to vfio-pci (was on nouveau), by cli at 2024-05-01T10:00:00Z");
  Change m;
  m.kind = ChangeKind::mdev;
  m.owner = "domain:x";
  m.mdev_uuid = "4b20d080-1b54-4048-85b3-a6a62d165c01";
  m.mdev_parent = "0000:00:02.0";
  m.mdev_type = "i915-GVTg_V5_4";
  EXPECT_EQ(describe_change(m),
            "mdev 4b20d080-1b54-4048-85b3-a6a62d165c01 (i915-GVTg_V5_4 on 0000:00:02.0), by "
            "domain:x, unfinished");
  Change s;
  s.kind = ChangeKind::sriov;
  s.owner = "cli";
  s.address = A("01:00.1");
  s.previous_numvfs = 3;
  s.state = ChangeState::done;
  EXPECT_EQ(describe_change(s), "SR-IOV VFs of 0000:01:00.1 (had 3), by cli");
}

}  // namespace
