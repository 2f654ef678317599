// setup_plan: plans computed on temp copies of the workstation fixture (Debian, GRUB, Intel,
// Linux 6.1) before anything changes: the vfio module list per kernel, iommu and modules plans,
// idempotence after applying a plan, and revert's refusals of malformed or unknown items.
#include "setup/setup_plan.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "error.hpp"
#include "setup/setup_apply.hpp"
#include "support/error_of.hpp"
#include "support/file_text.hpp"
#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::error_of;
using ptagent::testing::slurp;
using ptagent::testing::TempHost;
using V = std::vector<std::string>;
namespace fs = std::filesystem;

namespace {

const FileEdit* file(const SetupPlan& p, const std::string& path) {
  for (const auto& f : p.files) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

// The workstation with its GRUB line emptied of the IOMMU parameters.
TempHost bare_grub_host() {
  TempHost h = TempHost::copy_of("workstation");
  std::string grub = slurp(h.real("/etc/default/grub"));
  const std::string from = "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=on iommu=pt\"";
  const auto pos = grub.find(from);
  EXPECT_NE(pos, std::string::npos);
  grub.replace(pos, from.size(), "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"");
  h.put("/etc/default/grub", grub);
  return h;
}

}  // namespace

TEST(SetupPlan, BootVfioModulesPerInstalledKernels) {
  SetupHost host;
  EXPECT_EQ(boot_vfio_modules(host), (V{"vfio", "vfio_iommu_type1", "vfio_pci"}))
      << "nothing known: no vfio_virqfd";
  host.kernel = KernelVersion{6, 1};
  EXPECT_EQ(boot_vfio_modules(host), (V{"vfio", "vfio_iommu_type1", "vfio_pci", "vfio_virqfd"}));
  host.installed = {{6, 1}, {6, 5}};
  EXPECT_EQ(boot_vfio_modules(host), (V{"vfio", "vfio_iommu_type1", "vfio_pci"}))
      << "one kernel >= 6.2 would fail on vfio_virqfd";
  host.installed = {{5, 15}, {6, 1}};
  EXPECT_EQ(boot_vfio_modules(host).back(), "vfio_virqfd");
}

TEST(SetupPlan, ReadSetupHostOfTheWorkstation) {
  TempHost h = TempHost::copy_of("workstation");
  const SetupHost host = read_setup_host(h.root());
  EXPECT_EQ(host.boot.config, BootConfig::grub_dropin);
  EXPECT_EQ(host.vendor, CpuVendor::intel);
  ASSERT_TRUE(host.kernel.has_value());
  EXPECT_EQ(host.kernel->major, 6);
  EXPECT_EQ(host.kernel->minor, 1);
  EXPECT_TRUE(host.state.empty());
}

TEST(SetupPlan, IommuAlreadyOnTheGrubLinePlansNothing) {
  TempHost h = TempHost::copy_of("workstation");
  const SetupPlan p = plan_setup_iommu(h.root(), read_setup_host(h.root()), Conflicts::keep);
  EXPECT_TRUE(p.empty()) << (p.files.empty() ? "" : p.files[0].path);
}

TEST(SetupPlan, IommuMissingPlansTheDropinUpdateGrubAndTheState) {
  TempHost h = bare_grub_host();
  const SetupPlan p = plan_setup_iommu(h.root(), read_setup_host(h.root()), Conflicts::keep);
  const FileEdit* d = file(p, kGrubDropin);
  ASSERT_NE(d, nullptr);
  EXPECT_FALSE(d->before.has_value());
  ASSERT_TRUE(d->after.has_value());
  EXPECT_NE(d->after->find("intel_iommu=on iommu=pt"), std::string::npos) << *d->after;
  ASSERT_FALSE(p.files.empty());
  EXPECT_EQ(p.files.back().path, kSetupStateFile) << "the state file last";
  ASSERT_FALSE(p.commands.empty());
  EXPECT_EQ(p.commands.back().argv, (V{"update-grub"}));
  EXPECT_TRUE(p.commands.back().regenerates);
  EXPECT_EQ(slurp(h.real("/etc/default/grub")).find("intel_iommu"), std::string::npos)
      << "planning writes nothing";
  EXPECT_FALSE(fs::exists(h.real(kGrubDropin)));
}

TEST(SetupPlan, IommuConflictKeptOrReplaced) {
  TempHost h = bare_grub_host();
  std::string grub = slurp(h.real("/etc/default/grub"));
  grub.replace(grub.find("\"quiet\""), 7, "\"quiet intel_iommu=off\"");
  h.put("/etc/default/grub", grub);
  const SetupHost host = read_setup_host(h.root());
  const SetupPlan keep = plan_setup_iommu(h.root(), host, Conflicts::keep);
  EXPECT_FALSE(keep.notes.empty()) << "says what it left alone";
  if (const FileEdit* d = file(keep, kGrubDropin)) {
    ASSERT_TRUE(d->after.has_value());
    EXPECT_EQ(d->after->find("intel_iommu=on"), std::string::npos) << *d->after;
  }
  const SetupPlan replace = plan_setup_iommu(h.root(), host, Conflicts::replace);
  bool removed = false;
  for (const auto& f : replace.files) {
    if (f.after && f.after->find("intel_iommu=off") == std::string::npos && f.before &&
        f.before->find("intel_iommu=off") != std::string::npos) {
      removed = true;
      EXPECT_TRUE(f.foreign) << f.path << " is not ptagent's: backed up";
    }
  }
  EXPECT_TRUE(removed);
}

TEST(SetupPlan, ModulesPlanThenApplyIsIdempotent) {
  TempHost h = TempHost::copy_of("workstation");
  const SetupPlan p =
      plan_setup_modules(h.root(), read_setup_host(h.root()), ModulesInitramfs::leave);
  const FileEdit* m = file(p, "/etc/modules-load.d/ptagent.conf");
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->after.has_value());
  for (const char* name : {"vfio\n", "vfio_iommu_type1\n", "vfio_pci\n", "vfio_virqfd\n"}) {
    EXPECT_NE(m->after->find(name), std::string::npos) << name << " in " << *m->after;
  }
  apply_setup(h.root(), p, nullptr);
  const SetupHost after = read_setup_host(h.root());
  EXPECT_TRUE(after.state.modules);
  EXPECT_TRUE(plan_setup_modules(h.root(), after, ModulesInitramfs::leave).empty());

  // Revert plans exactly the inverse: the file goes, the state empties.
  const SetupPlan rev = plan_setup_revert(h.root(), after, "modules");
  const FileEdit* gone = file(rev, "/etc/modules-load.d/ptagent.conf");
  ASSERT_NE(gone, nullptr);
  EXPECT_FALSE(gone->after.has_value());
  EXPECT_EQ(gone->before, m->after);
}

TEST(SetupPlan, RevertRefusesMalformedItems) {
  TempHost h = TempHost::copy_of("workstation");
  const SetupHost host = read_setup_host(h.root());
  for (const char* bad : {"bogus", "iommu:x", "modules:1", "bind:", ":x", "sriov:"}) {
    const Error e = error_of([&] { plan_setup_revert(h.root(), host, bad); });
    EXPECT_EQ(e.kind(), ErrorKind::usage) << bad;
    EXPECT_FALSE(e.hint().empty()) << bad;
  }
}

TEST(SetupPlan, RevertOfSomethingNeverPersistedIsNotFound) {
  TempHost h = TempHost::copy_of("workstation");
  const SetupHost host = read_setup_host(h.root());
  for (const char* item : {"iommu", "modules", "bind", "bind:0000:01:00.0", "mdev"}) {
    const Error e = error_of([&] { plan_setup_revert(h.root(), host, item); });
    EXPECT_EQ(e.kind(), ErrorKind::not_found) << item << ": " << e.what();
  }
}
