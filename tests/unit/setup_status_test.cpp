// setup_status: each persisted item against the running host of a temp copy of the workstation
// fixture (Intel, intel_iommu=on iommu=pt on /proc/cmdline, vfio modules loaded, 01:00.0 on
// nouveau): active, pending a reboot, drifted, and active but not persisted.
#include "setup/setup_status.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "pci/inventory.hpp"
#include "setup/setup_state.hpp"
#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::TempHost;
namespace fs = std::filesystem;

namespace {

std::vector<SetupStatusLine> status_with(const TempHost& h, const SetupState& s) {
  h.put(kSetupStateFile, render_setup_state(s));
  const SetupHost host = read_setup_host(h.root());
  EXPECT_EQ(host.state, s);
  return setup_status(h.root(), host, Inventory::scan(h.root()));
}

const SetupStatusLine* item(const std::vector<SetupStatusLine>& lines, const std::string& name) {
  for (const auto& l : lines) {
    if (l.item == name) return &l;
  }
  return nullptr;
}

}  // namespace

TEST(SetupStatus, StateTextsAndIds) {
  EXPECT_STREQ(setup_item_state_id(SetupItemState::active), "active");
  EXPECT_STREQ(setup_item_state_id(SetupItemState::pending_reboot), "pending-reboot");
  EXPECT_STREQ(setup_item_state_id(SetupItemState::not_persisted), "not-persisted");
  EXPECT_STREQ(setup_item_state_id(SetupItemState::drifted), "drifted");
  EXPECT_STREQ(setup_item_state_text(SetupItemState::active), "active");
  EXPECT_STREQ(setup_item_state_text(SetupItemState::pending_reboot),
               "configured, not active until reboot");
  EXPECT_STREQ(setup_item_state_text(SetupItemState::not_persisted), "active but not persisted");
  EXPECT_NE(std::string(setup_item_state_text(SetupItemState::drifted)).find("configured, but"),
            std::string::npos);
}

TEST(SetupStatus, PersistedIommuOnTheRunningCommandLineIsActive) {
  TempHost h = TempHost::copy_of("workstation");
  SetupState s;
  s.iommu_added = {"intel_iommu=on", "iommu=pt"};
  const auto lines = status_with(h, s);
  const auto* l = item(lines, "iommu");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->state, SetupItemState::active);
  EXPECT_EQ(l->what, "intel_iommu=on iommu=pt");
  EXPECT_NE(l->evidence.find("intel_iommu=on"), std::string::npos) << l->evidence;
}

TEST(SetupStatus, PersistedIommuMissingFromTheRunningCommandLineIsPending) {
  TempHost h = TempHost::copy_of("workstation");
  h.put("/proc/cmdline", "BOOT_IMAGE=/vmlinuz-6.1.0-13-amd64 ro quiet\n");
  SetupState s;
  s.iommu_added = {"intel_iommu=on", "iommu=pt"};
  const auto l_lines = status_with(h, s);  // kept: item() points into it
  const auto* l = item(l_lines, "iommu");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->state, SetupItemState::pending_reboot);
}

TEST(SetupStatus, AnotherValueOfTheSameParameterIsNotActive) {
  // iommu=nopt and intel_iommu=onx hold "pt" and "on" only as substrings: not in effect.
  TempHost h = TempHost::copy_of("workstation");
  h.put("/proc/cmdline", "ro quiet intel_iommu=on iommu=nopt\n");
  SetupState s;
  s.iommu_added = {"intel_iommu=on", "iommu=pt"};
  const auto l_lines = status_with(h, s);  // kept: item() points into it
  const auto* l = item(l_lines, "iommu");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->state, SetupItemState::pending_reboot) << l->evidence;

  h.put("/proc/cmdline", "ro intel_iommu=sm_on,on iommu=pt\n");
  const auto ok_lines = status_with(h, s);  // kept: item() points into it
  const auto* ok = item(ok_lines, "iommu");
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->state, SetupItemState::active) << "an option among comma-separated ones";
}

TEST(SetupStatus, LoadedVfioModulesThatNothingListsAreNotPersisted) {
  TempHost h = TempHost::copy_of("workstation");
  const auto l_lines = status_with(h, SetupState{});  // kept: item() points into it
  const auto* l = item(l_lines, "modules");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->state, SetupItemState::not_persisted);
  EXPECT_NE(l->what.find("vfio_pci"), std::string::npos) << l->what;

  h.put("/etc/modules-load.d/vfio.conf", "vfio\nvfio_iommu_type1\nvfio-pci\n");
  EXPECT_EQ(item(status_with(h, SetupState{}), "modules"), nullptr) << "listed: nothing to say";
}

TEST(SetupStatus, PersistedModulesLoadedAreActiveUnloadedPending) {
  TempHost h = TempHost::copy_of("workstation");
  SetupState s;
  s.modules = true;
  s.modules_initramfs = true;
  auto lines = status_with(h, s);
  const auto* l = item(lines, "modules");
  ASSERT_NE(l, nullptr);
  EXPECT_NE(l->where.find("+ initramfs"), std::string::npos) << l->where;
  const bool virqfd = l->what.find("vfio_virqfd") != std::string::npos;
  // vfio_virqfd (Linux 6.1) is not in the fixture's /sys/module.
  EXPECT_EQ(l->state, virqfd ? SetupItemState::pending_reboot : SetupItemState::active)
      << l->what << " / " << l->evidence;

  fs::remove_all(h.real("/sys/module/vfio_pci"));
  lines = status_with(h, s);
  l = item(lines, "modules");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->state, SetupItemState::pending_reboot);
  EXPECT_NE(l->evidence.find("vfio_pci"), std::string::npos) << l->evidence;
}

TEST(SetupStatus, BindsPendingAndDrifted) {
  TempHost h = TempHost::copy_of("workstation");
  SetupState s;
  s.binds.push_back(
      {parse_pci_address("0000:01:00.0"), BindMethod::by_id, "10de:1b81", "nouveau", false});
  s.binds.push_back({parse_pci_address("0000:7f:00.0"), BindMethod::by_address, "", "", true});
  const auto lines = status_with(h, s);
  const auto* gpu = item(lines, "bind:0000:01:00.0");
  ASSERT_NE(gpu, nullptr);
  EXPECT_EQ(gpu->state, SetupItemState::pending_reboot);
  EXPECT_EQ(gpu->what, "vfio-pci by-id 10de:1b81");
  EXPECT_EQ(gpu->where, "/etc/modprobe.d/ptagent.conf");
  EXPECT_EQ(gpu->evidence, "driver now: nouveau");
  const auto* gone = item(lines, "bind:0000:7f:00.0");
  ASSERT_NE(gone, nullptr);
  EXPECT_EQ(gone->state, SetupItemState::drifted);
  EXPECT_EQ(gone->where, "/etc/driverctl.d/pci-0000:7f:00.0");
  EXPECT_NE(item(lines, "modules"), nullptr) << "binds need the modules too";
}

TEST(SetupStatus, SriovAndMdevNotYetThereArePending) {
  TempHost h = TempHost::copy_of("workstation");
  SetupState s;
  s.sriov.push_back({parse_pci_address("0000:00:1f.6"), 2});
  s.mdevs.push_back({"4b20d080-1b54-4048-85b3-a6a62d165c01", "0000:00:02.0", "i915-GVTg_V5_4"});
  const auto lines = status_with(h, s);
  const auto* v = item(lines, "sriov:0000:00:1f.6");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->state, SetupItemState::pending_reboot);
  EXPECT_EQ(v->what, "2 VFs");
  EXPECT_EQ(v->evidence, "sriov_numvfs now: 0");
  const auto* m = item(lines, "mdev:4b20d080-1b54-4048-85b3-a6a62d165c01");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->state, SetupItemState::pending_reboot);
  EXPECT_EQ(m->what, "i915-GVTg_V5_4 on 0000:00:02.0");
  // Once the mdev exists it is active.
  fs::create_directories(h.real("/sys/bus/mdev/devices/4b20d080-1b54-4048-85b3-a6a62d165c01"));
  const auto after = status_with(h, s);
  const auto* m2 = item(after, "mdev:4b20d080-1b54-4048-85b3-a6a62d165c01");
  ASSERT_NE(m2, nullptr);
  EXPECT_EQ(m2->state, SetupItemState::active);
}

TEST(SetupStatus, AnMdevNobodyDefinedIsNotPersisted) {
  TempHost h = TempHost::copy_of("workstation");
  fs::create_directories(h.real("/sys/bus/mdev/devices/11111111-2222-3333-4444-555555555555"));
  const auto m_lines = status_with(h, SetupState{});  // kept: item() points into it
  const auto* m = item(m_lines, "mdev:11111111-2222-3333-4444-555555555555");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->state, SetupItemState::not_persisted);
}

TEST(SetupStatus, AHostWithoutAKnownBootLoaderStillHasAStatus) {
  // The real-kernel bench boots with QEMU's -kernel: no GRUB, no /etc/kernel/cmdline.
  TempHost h = TempHost::copy_of("workstation");
  fs::remove_all(h.real("/etc/default"));
  fs::remove_all(h.real("/boot/grub"));
  SetupState s;
  s.modules = true;
  h.put(kSetupStateFile, render_setup_state(s));
  const SetupHost host = read_setup_host(h.root());
  ASSERT_EQ(host.boot.config, BootConfig::unknown) << host.boot.description;
  const auto lines = setup_status(h.root(), host, Inventory::scan(h.root()));
  const auto* l = item(lines, "iommu");
  ASSERT_NE(l, nullptr) << "intel_iommu=on iommu=pt run, from wherever they came";
  EXPECT_EQ(l->state, SetupItemState::not_persisted);
  EXPECT_NE(l->evidence.find("cannot tell how this host boots"), std::string::npos) << l->evidence;
  EXPECT_NE(item(lines, "modules"), nullptr);
}
