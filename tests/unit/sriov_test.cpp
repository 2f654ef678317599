#include "ops/sriov.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

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

const PciAddress kPf0 = parse_pci_address("0000:01:00.0");  // 4 of 63 VFs, 01:10.2 on vfio-pci
const PciAddress kPf1 = parse_pci_address("0000:01:00.1");  // 0 of 63 VFs
const WaitLimits kFast{std::chrono::milliseconds(300), std::chrono::milliseconds(10)};

std::vector<std::string> vf_addresses(const SriovState& st) {
  std::vector<std::string> out;
  for (const auto& vf : st.vfs) out.push_back(vf.address.to_string());
  return out;
}

std::vector<std::string> numvfs_writes(const KernelDouble& k) {
  std::vector<std::string> out;
  for (const auto& c : k.calls()) {
    if (c.path.find("sriov_numvfs") != std::string::npos) out.push_back(c.value);
  }
  return out;
}

// A kernel that accepts every write to a regular file and never creates anything.
class InertWriter final : public SysfsWriter {
 public:
  explicit InertWriter(const TempHost& host) : host_(host) {}
  int write(const std::string& path, std::string_view value) override {
    std::ofstream(host_.real(path)) << value << "\n";
    return 0;
  }

 private:
  const TempHost& host_;
};

}  // namespace

TEST(Sriov, ReadsThePfOfTheServer) {
  const Root root = fixture_root("server");
  const SriovState st = read_sriov(root, kPf0);
  EXPECT_EQ(st.total_vfs, 63u);
  EXPECT_EQ(st.num_vfs, 4u);
  EXPECT_EQ(st.pf_driver, "ixgbe");
  EXPECT_EQ(st.drivers_autoprobe, true);
  EXPECT_EQ(vf_addresses(st), (std::vector<std::string>{"0000:01:10.0", "0000:01:10.2",
                                                        "0000:01:10.4", "0000:01:10.6"}));
  ASSERT_EQ(st.vfs.size(), 4u);
  EXPECT_EQ(st.vfs[0].index, 0u);
  EXPECT_EQ(st.vfs[0].driver, "ixgbevf");
  EXPECT_EQ(st.vfs[0].iommu_group, 10u);
  EXPECT_TRUE(st.vfs[0].in_use.empty());
  EXPECT_EQ(st.vfs[1].driver, "vfio-pci");
  EXPECT_EQ(st.vfs[1].in_use, std::vector<std::string>{"bound to vfio-pci"});

  const SriovState st1 = read_sriov(root, kPf1);
  EXPECT_EQ(st1.num_vfs, 0u);
  EXPECT_TRUE(st1.vfs.empty());
}

TEST(Sriov, HoldersAndOpenGroupsMarkVfsInUse) {
  TempHost host = TempHost::copy_of("server");
  std::filesystem::create_directories(host.real("/proc/4242/fd"));
  std::filesystem::create_symlink("/dev/vfio/12", host.real("/proc/4242/fd/7"));
  std::ofstream(host.real("/proc/4242/comm")) << "qemu-system-x86\n";
  PciHolders holders;
  holders[parse_pci_address("0000:01:10.6")].push_back("assigned to running domain web");
  const SriovState st = read_sriov(host.root(), kPf0, holders);
  ASSERT_EQ(st.vfs.size(), 4u);
  EXPECT_TRUE(st.vfs[0].in_use.empty());
  EXPECT_EQ(st.vfs[2].in_use,
            std::vector<std::string>{"/dev/vfio/12 held open by pid 4242 (qemu-system-x86)"});
  EXPECT_EQ(st.vfs[3].in_use, std::vector<std::string>{"assigned to running domain web"});
}

TEST(Sriov, RefusesDevicesThatAreNotPfs) {
  const Root root = fixture_root("server");
  // A well-formed address of a device that is there but is not a PF: a refusal (exit 1), not usage.
  Error e = error_of([&] { read_sriov(root, parse_pci_address("0000:04:00.0")); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_NE(e.cause().find("not an SR-IOV physical function"), std::string::npos);
  e = error_of([&] { read_sriov(root, parse_pci_address("0000:01:10.0")); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_NE(e.hint().find("0000:01:00.0"), std::string::npos);
  e = error_of([&] { read_sriov(root, parse_pci_address("0000:09:00.0")); });
  EXPECT_EQ(e.kind(), ErrorKind::not_found);
}

TEST(Sriov, ParsesTheVfCount) {
  EXPECT_EQ(parse_vf_count("0"), 0u);
  EXPECT_EQ(parse_vf_count("4"), 4u);
  EXPECT_EQ(parse_vf_count("65535"), 65535u);
  for (const char* bad : {"-1", "", "x", "4x", "65536", "+3", " 4", "0x4", "999999999999"}) {
    const Error e = error_of([&] { parse_vf_count(bad); });
    EXPECT_EQ(e.kind(), ErrorKind::usage) << bad;
    EXPECT_NE(e.object().find(mention(Input::vf_count)), std::string::npos) << bad;
    EXPECT_EQ(e.reason(), Reason::invalid_input) << bad;
  }
  EXPECT_NE(error_of([] { parse_vf_count("-1"); }).cause().find("negative"), std::string::npos);
}

TEST(Sriov, PlansGoThroughZeroBetweenNonZeroCounts) {
  const Root root = fixture_root("server");
  const SriovState st0 = read_sriov(root, kPf0);
  const SriovState st1 = read_sriov(root, kPf1);
  EXPECT_EQ(plan_sriov(st1, 4, Autoprobe::unchanged, VfInUse::refuse).writes,
            std::vector<unsigned>{4});
  EXPECT_TRUE(plan_sriov(st1, 4, Autoprobe::unchanged, VfInUse::refuse).destroyed.empty());
  EXPECT_TRUE(plan_sriov(st1, 0, Autoprobe::unchanged, VfInUse::refuse).nothing_to_do());
  const SriovPlan down = plan_sriov(st0, 2, Autoprobe::unchanged, VfInUse::force);
  EXPECT_EQ(down.writes, (std::vector<unsigned>{0, 2}));
  EXPECT_EQ(down.destroyed.size(), 4u);
  ASSERT_EQ(down.forced.size(), 1u);
  EXPECT_NE(down.forced[0].find("0000:01:10.2"), std::string::npos);
  EXPECT_EQ(plan_sriov(st0, 6, Autoprobe::unchanged, VfInUse::force).writes,
            (std::vector<unsigned>{0, 6}));
  EXPECT_EQ(plan_sriov(st0, 0, Autoprobe::unchanged, VfInUse::force).writes,
            std::vector<unsigned>{0});
  EXPECT_TRUE(plan_sriov(st0, 4, Autoprobe::unchanged, VfInUse::refuse).nothing_to_do());
  const SriovPlan ap = plan_sriov(st1, 0, Autoprobe::off, VfInUse::refuse);
  EXPECT_EQ(ap.autoprobe, false);
  EXPECT_FALSE(ap.nothing_to_do());
  EXPECT_FALSE(
      plan_sriov(st1, 0, Autoprobe::on, VfInUse::refuse).autoprobe.has_value());  // already 1
}

TEST(Sriov, RefusesOverTotalAndVfsInUse) {
  const Root root = fixture_root("server");
  const SriovState st0 = read_sriov(root, kPf0);
  Error e = error_of([&] { plan_sriov(st0, 64, Autoprobe::unchanged, VfInUse::force); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_NE(e.cause().find("above sriov_totalvfs (63)"), std::string::npos);
  // 4 -> 2 removes every VF on the way through 0, so the one on vfio-pci blocks it.
  e = error_of([&] { plan_sriov(st0, 2, Autoprobe::unchanged, VfInUse::refuse); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_NE(e.cause().find("goes through 0"), std::string::npos);
  EXPECT_NE(e.cause().find("0000:01:10.2 (bound to vfio-pci)"), std::string::npos);
  EXPECT_NE(e.hint().find(mention(Input::force)), std::string::npos);
  EXPECT_EQ(e.reason(), Reason::busy);
  e = error_of([&] { plan_sriov(st0, 6, Autoprobe::unchanged, VfInUse::refuse); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  e = error_of([&] { plan_sriov(st0, 0, Autoprobe::unchanged, VfInUse::refuse); });
  EXPECT_NE(e.cause().find("removing every VF"), std::string::npos);
}

TEST(Sriov, RefusesAPfWithoutDriverAndAutoprobeWithoutTheFile) {
  TempHost host = TempHost::copy_of("server");
  std::filesystem::remove(host.real("/sys/bus/pci/devices/0000:01:00.1/sriov_drivers_autoprobe"));
  std::filesystem::remove(host.real("/sys/bus/pci/devices/0000:01:00.1/driver"));
  const SriovState st = read_sriov(host.root(), kPf1);
  EXPECT_FALSE(st.drivers_autoprobe.has_value());
  EXPECT_FALSE(st.pf_driver.has_value());
  Error e = error_of([&] { plan_sriov(st, 2, Autoprobe::unchanged, VfInUse::refuse); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_NE(e.cause().find("no driver is bound"), std::string::npos);
  e = error_of([&] { plan_sriov(st, 0, Autoprobe::off, VfInUse::refuse); });
  EXPECT_NE(e.cause().find("sriov_drivers_autoprobe"), std::string::npos);
}

TEST(Sriov, EnablesVfsAndRecordsThePreviousCount) {
  TempHost host = TempHost::copy_of("server");
  KernelDouble kernel(host.root());
  Journal journal(host.root());
  const SriovPlan plan =
      plan_sriov(read_sriov(host.root(), kPf1), 3, Autoprobe::unchanged, VfInUse::refuse);
  const SriovState st = apply_sriov(host.root(), kernel, journal, plan, "cli", kFast);
  EXPECT_EQ(st.num_vfs, 3u);
  ASSERT_EQ(st.vfs.size(), 3u);
  for (unsigned i = 0; i < 3; ++i) {
    EXPECT_EQ(st.vfs[i].index, i);
    EXPECT_TRUE(host.root().is_dir("/sys/bus/pci/devices/" + st.vfs[i].address.to_string()));
  }
  EXPECT_EQ(numvfs_writes(kernel), std::vector<std::string>{"3"});
  auto entries = journal.load();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].kind, ChangeKind::sriov);
  EXPECT_EQ(entries[0].state, ChangeState::done);
  EXPECT_EQ(entries[0].owner, "cli");
  EXPECT_EQ(entries[0].address, kPf1);
  EXPECT_EQ(entries[0].previous_numvfs, 0u);

  // 3 -> 5 goes through 0; the journal keeps the count from before ptagent's first change.
  const SriovPlan up =
      plan_sriov(read_sriov(host.root(), kPf1), 5, Autoprobe::unchanged, VfInUse::refuse);
  EXPECT_EQ(apply_sriov(host.root(), kernel, journal, up, "cli", kFast).vfs.size(), 5u);
  EXPECT_EQ(numvfs_writes(kernel), (std::vector<std::string>{"3", "0", "5"}));
  entries = journal.load();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].previous_numvfs, 0u);

  // Back to where ptagent found it: nothing left for restore.
  const SriovPlan off =
      plan_sriov(read_sriov(host.root(), kPf1), 0, Autoprobe::unchanged, VfInUse::refuse);
  EXPECT_TRUE(apply_sriov(host.root(), kernel, journal, off, "cli", kFast).vfs.empty());
  EXPECT_TRUE(journal.load().empty());
}

TEST(Sriov, AutoprobeIsWrittenFirst) {
  TempHost host = TempHost::copy_of("server");
  KernelDouble kernel(host.root());
  Journal journal(host.root());
  const SriovPlan plan =
      plan_sriov(read_sriov(host.root(), kPf1), 2, Autoprobe::off, VfInUse::refuse);
  const SriovState st = apply_sriov(host.root(), kernel, journal, plan, "cli", kFast);
  const auto calls = kernel.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_NE(calls[0].path.find("sriov_drivers_autoprobe"), std::string::npos);
  EXPECT_EQ(calls[0].value, "0");
  EXPECT_NE(calls[1].path.find("sriov_numvfs"), std::string::npos);
  EXPECT_EQ(st.drivers_autoprobe, false);
  ASSERT_EQ(st.vfs.size(), 2u);
  EXPECT_FALSE(st.vfs[0].driver.has_value());  // no autoprobe: the new VFs stay driverless
}

TEST(Sriov, AFailureAfterGoingToZeroPutsThePreviousCountBack) {
  TempHost host = TempHost::copy_of("server");
  KernelDouble kernel(host.root());
  Journal journal(host.root());
  const SriovPlan plan =
      plan_sriov(read_sriov(host.root(), kPf0), 2, Autoprobe::unchanged, VfInUse::force);
  kernel.fail_nth_write(2, ENOMEM);  // "0" succeeds, "2" fails
  const Error e = error_of([&] { apply_sriov(host.root(), kernel, journal, plan, "cli", kFast); });
  EXPECT_EQ(e.kind(), ErrorKind::failed);
  EXPECT_EQ(e.sys_errno(), ENOMEM);
  EXPECT_NE(e.cause().find("not enough MMIO resources"), std::string::npos);
  EXPECT_NE(e.cause().find("the previous 4 VFs were put back"), std::string::npos);
  EXPECT_EQ(numvfs_writes(kernel), (std::vector<std::string>{"0", "2", "4"}));
  const SriovState st = read_sriov(host.root(), kPf0);
  EXPECT_EQ(st.num_vfs, 4u);
  // The kernel recreates the same VF addresses; a VF that was on vfio-pci comes back with the
  // driver autoprobe picks (its old binding cannot survive a trip through 0).
  EXPECT_EQ(vf_addresses(st), (std::vector<std::string>{"0000:01:10.0", "0000:01:10.2",
                                                        "0000:01:10.4", "0000:01:10.6"}));
  EXPECT_TRUE(journal.load().empty());
}

TEST(Sriov, WhenPuttingBackFailsTooTheJournalKeepsItForRestore) {
  TempHost host = TempHost::copy_of("server");
  KernelDouble kernel(host.root());
  Journal journal(host.root());
  const SriovPlan plan =
      plan_sriov(read_sriov(host.root(), kPf0), 2, Autoprobe::unchanged, VfInUse::force);
  kernel.fail_nth_write(2, ENOSPC);
  kernel.fail_nth_write(3, EIO);
  const Error e = error_of([&] { apply_sriov(host.root(), kernel, journal, plan, "cli", kFast); });
  EXPECT_NE(e.cause().find("MSI-X"), std::string::npos);
  EXPECT_NE(e.cause().find("failed too, the PF now has 0 VFs"), std::string::npos);
  EXPECT_NE(e.hint().find("ptagent restore"), std::string::npos);
  auto entries = journal.load();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].state, ChangeState::pending);
  EXPECT_EQ(entries[0].previous_numvfs, 4u);

  // What restore does with the entry.
  undo_sriov_change(host.root(), kernel, entries[0]);
  EXPECT_EQ(read_sriov(host.root(), kPf0).num_vfs, 4u);
  const std::size_t before = kernel.write_count();
  undo_sriov_change(host.root(), kernel, entries[0]);  // idempotent
  EXPECT_EQ(kernel.write_count(), before);
}

TEST(Sriov, AKernelRefusalOfTheFirstWriteChangesNothing) {
  TempHost host = TempHost::copy_of("server");
  KernelDouble kernel(host.root());
  Journal journal(host.root());
  kernel.mark_in_use("0000:01:10.4");  // a guest holds it: the kernel refuses to disable
  const std::string before = ptagent::testing::host_state(host.root());
  const SriovPlan plan =
      plan_sriov(read_sriov(host.root(), kPf0), 0, Autoprobe::unchanged, VfInUse::force);
  const Error e = error_of([&] { apply_sriov(host.root(), kernel, journal, plan, "cli", kFast); });
  EXPECT_EQ(e.sys_errno(), EBUSY);
  EXPECT_NE(e.cause().find("VFs are in use"), std::string::npos);
  EXPECT_EQ(e.cause().find("put back"), std::string::npos);
  EXPECT_EQ(ptagent::testing::host_state(host.root()), before);
  EXPECT_TRUE(journal.load().empty());
}

TEST(Sriov, AFailedAutoprobeWriteLeavesNoJournalEntry) {
  TempHost host = TempHost::copy_of("server");
  KernelDouble kernel(host.root());
  Journal journal(host.root());
  kernel.fail_writes_to("sriov_drivers_autoprobe", EACCES);
  const SriovPlan plan =
      plan_sriov(read_sriov(host.root(), kPf1), 2, Autoprobe::off, VfInUse::refuse);
  const Error e = error_of([&] { apply_sriov(host.root(), kernel, journal, plan, "cli", kFast); });
  EXPECT_NE(e.cause().find("permission denied"), std::string::npos);
  EXPECT_NE(e.hint().find("root"), std::string::npos);
  EXPECT_TRUE(numvfs_writes(kernel).empty());
  EXPECT_TRUE(journal.load().empty());
}

TEST(Sriov, TheWaitForNewVfsIsBounded) {
  TempHost host = TempHost::copy_of("server");
  InertWriter inert(host);
  Journal journal(host.root());
  const SriovPlan plan =
      plan_sriov(read_sriov(host.root(), kPf1), 2, Autoprobe::unchanged, VfInUse::refuse);
  const auto start = std::chrono::steady_clock::now();
  const Error e = error_of([&] { apply_sriov(host.root(), inert, journal, plan, "cli", kFast); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_NE(e.cause().find("did not all appear within 300 ms"), std::string::npos);
  ASSERT_EQ(journal.load().size(), 1u);  // the count did change: restore must know the old one
}

TEST(Sriov, UndoRefusesToRemoveVfsInUse) {
  TempHost host = TempHost::copy_of("server");
  KernelDouble kernel(host.root());
  Change c;
  c.id = sriov_change_id(kPf0);
  c.kind = ChangeKind::sriov;
  c.address = kPf0;
  c.previous_numvfs = 0;
  const Error e = error_of([&] { undo_sriov_change(host.root(), kernel, c); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_NE(e.cause().find("0000:01:10.2"), std::string::npos);
  EXPECT_EQ(kernel.write_count(), 0u);
  c.address.reset();
  EXPECT_EQ(error_of([&] { undo_sriov_change(host.root(), kernel, c); }).kind(), ErrorKind::failed);
}

TEST(Sriov, JournalHoldersAreDomainBindings) {
  Change bind;
  bind.kind = ChangeKind::bind;
  bind.owner = "domain:4b20d080-1b54-4048-85b3-a6a62d165c01";
  bind.address = parse_pci_address("0000:01:10.4");
  Change cli = bind;
  cli.owner = "cli";
  cli.address = parse_pci_address("0000:01:10.6");
  const PciHolders h = journal_pci_holders({bind, cli});
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h.begin()->first, parse_pci_address("0000:01:10.4"));
  EXPECT_NE(h.begin()->second[0].find("4b20d080"), std::string::npos);
  EXPECT_EQ(sriov_change_id(kPf0), "sriov:0000:01:00.0");
}

// A VF on a VFIO variant driver is in use like one on vfio-pci; one on the PF's driver is not.
TEST(Sriov, VfOnAVariantDriverIsInUse) {
  const Root root = fixture_root("cloud");
  const SriovState st = read_sriov(root, parse_pci_address("0000:01:00.0"));
  ASSERT_EQ(st.vfs.size(), 2u);
  EXPECT_EQ(st.vfs[0].driver, "mlx5_core");
  EXPECT_TRUE(st.vfs[0].in_use.empty());
  EXPECT_EQ(st.vfs[1].driver, "mlx5_vfio_pci");
  EXPECT_EQ(st.vfs[1].in_use, std::vector<std::string>{"bound to mlx5_vfio_pci"});
}
