// make_view: what the checks derive once from the facts.
#include "check/host_view.hpp"

#include <gtest/gtest.h>

using namespace ptagent;

TEST(HostView, BootLoaderAndInitramfsOfTheHost) {
  HostFacts f;
  f.os_release = "ID=debian\n";
  f.grub_default = "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n";
  HostView h = make_view(f);
  EXPECT_EQ(h.loader, BootLoader::grub);
  EXPECT_EQ(h.initramfs, Initramfs::update_initramfs);

  // Proxmox VE on UEFI boots with systemd-boot although /etc/default/grub exists.
  f.kernel_cmdline_file = true;
  f.proxmox_boot = true;
  f.uefi = true;
  EXPECT_EQ(make_view(f).loader, BootLoader::systemd_boot);

  HostFacts rhel;
  rhel.os_release = "ID=\"rhel\"\n";
  EXPECT_EQ(make_view(rhel).initramfs, Initramfs::dracut);
  EXPECT_EQ(make_view(rhel).loader, BootLoader::unknown);
}

TEST(HostView, CommandLineParameters) {
  HostFacts f;
  f.cmdline = "ro intel_iommu=off quiet intel_iommu=on,sm_on -- intel_iommu=init\n";
  HostView h = make_view(f);
  EXPECT_TRUE(has_param(h, "intel_iommu"));
  EXPECT_EQ(param_word(h, "intel_iommu"), "intel_iommu=on,sm_on");
  EXPECT_TRUE(param_has_option(h, "intel_iommu", "sm_on"));
  EXPECT_FALSE(param_has_option(h, "intel_iommu", "init"));
  EXPECT_FALSE(has_param(h, "iommu"));

  HostFacts unreadable;
  HostView u = make_view(unreadable);
  EXPECT_FALSE(u.params);
  EXPECT_FALSE(has_param(u, "quiet"));
  EXPECT_EQ(param_value(u, "quiet"), "");
}

TEST(HostView, VendorFromTheIommuUnitsThenTheCpu) {
  HostFacts f;
  f.cpuinfo = "vendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\nflags\t: svm hypervisor\n";
  f.iommu_units = {"dmar0"};
  f.iommu_groups = 3;
  HostView h = make_view(f);
  EXPECT_EQ(h.cpu, CpuVendor::amd);
  EXPECT_EQ(h.vendor, CpuVendor::intel);
  EXPECT_EQ(h.model_name, "AMD EPYC");
  EXPECT_TRUE(h.svm);
  EXPECT_TRUE(h.hypervisor);
  EXPECT_TRUE(h.iommu_on);
}
