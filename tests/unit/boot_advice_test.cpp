// The fix texts: how to change the command line and the initramfs on this very host.
#include "check/boot_advice.hpp"

#include <gtest/gtest.h>

#include "util/join.hpp"

using namespace ptagent;

namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST(BootAdvice, GrubOnDebianNamesTheLineAndUpdateGrub) {
  HostFacts f;
  f.os_release = "ID=debian\n";
  f.grub_default = "GRUB_CMDLINE_LINUX=\"intel_iommu=off\"\n";
  const HostView h = make_view(f);
  const std::string fix = cmdline_fix(h, {"intel_iommu=on", "iommu=pt"}, {"intel_iommu=off"});
  EXPECT_TRUE(has(fix, "remove `intel_iommu=off` from GRUB_CMDLINE_LINUX")) << fix;
  EXPECT_TRUE(has(fix, "add `intel_iommu=on iommu=pt` to GRUB_CMDLINE_LINUX_DEFAULT")) << fix;
  EXPECT_TRUE(has(fix, "update-grub")) << fix;
  EXPECT_TRUE(has(fix, "then reboot")) << fix;
  EXPECT_STREQ(initramfs_command(h), "update-initramfs -u -k all");
}

TEST(BootAdvice, SystemdBootAndRhelGrub) {
  HostFacts sd;
  sd.os_release = "ID=fedora\n";
  sd.kernel_cmdline_file = true;
  sd.kernel_release = "6.5.6-300.fc39.x86_64\n";
  const std::string fix = cmdline_fix(make_view(sd), {"iommu=pt"}, {});
  EXPECT_TRUE(has(fix, "/etc/kernel/cmdline")) << fix;
  EXPECT_TRUE(has(fix, "kernel-install add 6.5.6-300.fc39.x86_64")) << fix;

  HostFacts rhel;
  rhel.os_release = "ID=\"rhel\"\n";
  rhel.grub_default = "GRUB_CMDLINE_LINUX=\"\"\n";
  const HostView h = make_view(rhel);
  const std::string rfix = cmdline_fix(h, {"intel_iommu=on"}, {});
  EXPECT_TRUE(has(rfix, "grub2-mkconfig -o /boot/grub2/grub.cfg")) << rfix;
  EXPECT_TRUE(has(rfix, "grubby --update-kernel=ALL --args=\"intel_iommu=on\"")) << rfix;
  EXPECT_STREQ(initramfs_command(h), "dracut -f");
}

TEST(BootAdvice, ParametersByIommuVendor) {
  HostFacts f;
  f.iommu_units = {"dmar0"};
  f.cmdline = "intel_iommu=off\n";
  const HostView intel = make_view(f);
  EXPECT_EQ(wanted_params(intel), (std::vector<std::string>{"intel_iommu=on", "iommu=pt"}));
  EXPECT_EQ(disabling_params(intel), (std::vector<std::string>{"intel_iommu=off"}));
  EXPECT_STREQ(short_iommu_name(intel), "VT-d");

  HostFacts a;
  a.iommu_units = {"ivhd0"};
  const HostView amd = make_view(a);
  EXPECT_EQ(wanted_params(amd), (std::vector<std::string>{"iommu=pt"}));
  EXPECT_STREQ(short_iommu_name(amd), "AMD-Vi");
}

TEST(BootAdvice, VmAndProcTexts) {
  EXPECT_TRUE(has(vm_iommu_fix(), "intel-iommu"));
  EXPECT_TRUE(has(proc_missing_fix("/proc/cmdline"), "proc/cmdline"));
  EXPECT_EQ(quoted({"a", "b"}), "`a b`");
  EXPECT_EQ(join(std::vector<std::string>{"a", "b", "c"}, ", "), "a, b, c");
}
