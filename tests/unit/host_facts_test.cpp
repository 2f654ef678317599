// gather_host_facts on small trees: what it reads, and that a missing file is no error.
#include "host/host_facts.hpp"

#include <gtest/gtest.h>

#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::TempHost;

TEST(HostFacts, EmptyTreeHasNoFacts) {
  auto host = TempHost::empty();
  const HostFacts f = gather_host_facts(host.root());
  EXPECT_FALSE(f.cpuinfo);
  EXPECT_FALSE(f.cmdline);
  EXPECT_FALSE(f.os_release);
  EXPECT_FALSE(f.uefi);
  EXPECT_FALSE(f.dev_kvm);
  EXPECT_TRUE(f.iommu_units.empty());
  EXPECT_EQ(f.iommu_groups, 0u);
}

TEST(HostFacts, EfiGrubConfigOfTheDistribution) {
  auto host = TempHost::empty();
  host.put("/etc/os-release", "ID=\"rhel\"\n");
  host.put("/boot/efi/EFI/redhat/grub.cfg", "configfile /boot/grub2/grub.cfg\n");
  const HostFacts f = gather_host_facts(host.root());
  ASSERT_TRUE(f.efi_grub_cfg);
  EXPECT_NE(f.efi_grub_cfg->find("configfile"), std::string::npos);
}

TEST(HostFacts, OsReleaseFallsBackToUsrLib) {
  auto host = TempHost::empty();
  host.put("/usr/lib/os-release", "ID=debian\n");
  const HostFacts f = gather_host_facts(host.root());
  ASSERT_TRUE(f.os_release);
  EXPECT_EQ(*f.os_release, "ID=debian\n");
}

TEST(HostFacts, HostileOsIdReadsNothingOutsideEfi) {
  auto host = TempHost::empty();
  host.put("/etc/os-release", "ID=../../../etc\n");
  host.put("/etc/grub.cfg", "secret\n");
  const HostFacts f = gather_host_facts(host.root());
  EXPECT_FALSE(f.efi_grub_cfg);
}
