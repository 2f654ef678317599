// config_audit: `ptagent check`'s audit of the next boot on temp copies of the workstation
// fixture: vfio-pci ids= and blacklists (modprobe.d, continued lines, the kernel command line)
// that take a host-critical device, named by file and line; vfio_virqfd on Linux >= 6.2.
#include "check/config_audit.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::TempHost;
namespace fs = std::filesystem;

using ::testing::HasSubstr;
using ::testing::Not;

namespace {

Check check(const std::vector<Check>& checks, const std::string& id) {
  for (const auto& c : checks) {
    if (c.id == id) return c;
  }
  ADD_FAILURE() << "no check " << id;
  return {};
}

}  // namespace

TEST(ConfigAudit, ACleanHostPasses) {
  TempHost h = TempHost::copy_of("workstation");
  const auto checks = audit_boot_config(h.root());
  const Check c = check(checks, "boot-critical");
  EXPECT_EQ(c.status, CheckStatus::pass) << c.evidence;
  EXPECT_TRUE(c.fix.empty());
  for (const auto& x : checks) EXPECT_NE(x.status, CheckStatus::fail) << x.id << ": " << x.evidence;
}

TEST(ConfigAudit, IdsOfTheGuestGpuAreFine) {
  TempHost h = TempHost::copy_of("workstation");
  h.put("/etc/modprobe.d/vfio.conf", "options vfio-pci ids=10de:1b81\n");
  const Check c = check(audit_boot_config(h.root()), "boot-critical");
  EXPECT_EQ(c.status, CheckStatus::pass) << c.evidence;
  EXPECT_THAT(c.evidence, HasSubstr("1 vfio-pci ids="));
}

TEST(ConfigAudit, IdsOfTheHostDisplayFailNamingFileAndLine) {
  TempHost h = TempHost::copy_of("workstation");
  h.put("/etc/modprobe.d/vfio.conf", "# GPU\noptions vfio_pci ids=10de:1b81,8086:3E92\n");
  const Check c = check(audit_boot_config(h.root()), "boot-critical");
  EXPECT_EQ(c.status, CheckStatus::fail);
  EXPECT_THAT(c.evidence, HasSubstr("/etc/modprobe.d/vfio.conf line 2"));
  EXPECT_THAT(c.evidence, HasSubstr("0000:00:02.0"));
  EXPECT_THAT(c.evidence, Not(HasSubstr("10de:1b81 takes")));
  EXPECT_FALSE(c.fix.empty());
}

TEST(ConfigAudit, IdsOnAContinuedLineAreReadAsKmodJoinsThem) {
  TempHost h = TempHost::copy_of("workstation");
  h.put("/etc/modprobe.d/vfio.conf", "options vfio-pci ids=10de:1b81,\\\n8086:3e92\n");
  const Check c = check(audit_boot_config(h.root()), "boot-critical");
  EXPECT_EQ(c.status, CheckStatus::fail) << c.evidence;
  EXPECT_THAT(c.evidence, HasSubstr("/etc/modprobe.d/vfio.conf line 1"));
}

TEST(ConfigAudit, ACommentedOrMaskedFileDoesNotCount) {
  TempHost h = TempHost::copy_of("workstation");
  h.put("/lib/modprobe.d/vfio.conf", "options vfio-pci ids=8086:3e92\n");
  h.put("/etc/modprobe.d/other.conf", "#options vfio-pci ids=8086:3e92\n");
  fs::create_symlink("/dev/null", h.real("/etc/modprobe.d/vfio.conf"));
  const Check c = check(audit_boot_config(h.root()), "boot-critical");
  EXPECT_EQ(c.status, CheckStatus::pass) << c.evidence;
}

TEST(ConfigAudit, KernelCommandLineIdsAndBlacklistsCount) {
  TempHost h = TempHost::copy_of("workstation");
  h.put("/etc/kernel/cmdline", "root=/dev/nvme0n1p2 vfio-pci.ids=8086:3e92\n");
  Check c = check(audit_boot_config(h.root()), "boot-critical");
  EXPECT_EQ(c.status, CheckStatus::fail);
  EXPECT_THAT(c.evidence, HasSubstr("/etc/kernel/cmdline (vfio-pci.ids=)")) << c.evidence;

  h.put("/etc/kernel/cmdline", "root=/dev/nvme0n1p2 modprobe.blacklist=nouveau,i915\n");
  c = check(audit_boot_config(h.root()), "boot-critical");
  EXPECT_EQ(c.status, CheckStatus::fail);
  EXPECT_THAT(c.evidence, HasSubstr("i915 is the driver of 0000:00:02.0"));
  EXPECT_THAT(c.evidence, Not(HasSubstr("nouveau"))) << "the guest GPU's driver is fine";
}

TEST(ConfigAudit, BlacklistAndInstallOfAHostDriverFail) {
  TempHost h = TempHost::copy_of("workstation");
  h.put("/etc/modprobe.d/bl.conf", "blacklist nouveau\ninstall i915 /bin/false\n");
  const Check c = check(audit_boot_config(h.root()), "boot-critical");
  EXPECT_EQ(c.status, CheckStatus::fail);
  EXPECT_THAT(c.evidence, HasSubstr("/etc/modprobe.d/bl.conf line 2 (install /bin/false)"))
      << c.evidence;
  EXPECT_THAT(c.evidence, Not(HasSubstr("line 1")));
}

TEST(ConfigAudit, VirqfdOnAKernelThatNoLongerHasIt) {
  TempHost h = TempHost::copy_of("workstation");
  h.put("/etc/modules-load.d/vfio.conf", "vfio\nvfio_virqfd\n");
  auto checks = audit_boot_config(h.root());
  for (const auto& x : checks) {
    if (x.id == "boot-virqfd") {
      EXPECT_NE(x.status, CheckStatus::warn) << "6.1 still has it";
    }
  }
  h.put("/proc/sys/kernel/osrelease", "6.2.0-1-amd64\n");
  const Check c = check(audit_boot_config(h.root()), "boot-virqfd");
  EXPECT_EQ(c.status, CheckStatus::warn);
  EXPECT_THAT(c.evidence, HasSubstr("/etc/modules-load.d/vfio.conf line 2")) << c.evidence;
}
