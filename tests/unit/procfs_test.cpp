#include "sysfs/procfs.hpp"

#include <gtest/gtest.h>

using namespace ptagent;

TEST(Procfs, Mountinfo) {
  const char* text =
      "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
      "27 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw,errors=remount-ro\n"
      "28 27 259:1 / /boot/efi rw,relatime shared:2 master:1 - vfat /dev/nvme0n1p1 rw\n"
      "29 27 8:17 / /mnt/my\\040disk rw - xfs /dev/sdb1 rw\n"
      "garbage line\n"
      "30 27 x:y / /bad rw - ext4 /dev/x rw\n";
  auto m = parse_mountinfo(text);
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[1].major, 259u);
  EXPECT_EQ(m[1].minor, 2u);
  EXPECT_EQ(m[1].mount_point, "/");
  EXPECT_EQ(m[1].fs_type, "ext4");
  EXPECT_EQ(m[1].source, "/dev/nvme0n1p2");
  EXPECT_EQ(m[1].super_options, "rw,errors=remount-ro");
  EXPECT_EQ(m[0].super_options, "rw");
  EXPECT_EQ(m[2].mount_point, "/boot/efi");
  EXPECT_EQ(m[2].fs_type, "vfat");
  EXPECT_EQ(m[3].mount_point, "/mnt/my disk");
}

TEST(Procfs, Swaps) {
  auto s = parse_swaps(
      "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
      "/dev/sda2                               partition\t8388604\t\t0\t\t-2\n"
      "/swapfile file 1024 0 -3\n");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].filename, "/dev/sda2");
  EXPECT_EQ(s[0].type, "partition");
  EXPECT_EQ(s[1].type, "file");
  EXPECT_TRUE(parse_swaps("Filename\tType\tSize\tUsed\tPriority\n").empty());
}

TEST(Procfs, Route) {
  auto r = parse_route(
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
      "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
      "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
      "bad\tzz\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[0].is_default());
  EXPECT_FALSE(r[1].is_default());
  EXPECT_EQ(r[0].iface, "eth0");
}

TEST(Procfs, Cmdline) {
  auto p = parse_cmdline(
      "BOOT_IMAGE=/vmlinuz root=UUID=x ro quiet intel_iommu=on iommu=pt "
      "opt=\"a b\" pcie_acs_override=downstream,multifunction\n");
  EXPECT_TRUE(has_cmdline_param(p, "intel_iommu"));
  EXPECT_EQ(cmdline_value(p, "intel_iommu"), "on");
  EXPECT_EQ(cmdline_value(p, "iommu"), "pt");
  EXPECT_TRUE(has_cmdline_param(p, "quiet"));
  EXPECT_FALSE(has_cmdline_param(p, "amd_iommu"));
  EXPECT_FALSE(has_cmdline_param(p, "intel"));
  EXPECT_EQ(cmdline_value(p, "opt"), "a b");
  EXPECT_EQ(cmdline_value(p, "pcie_acs_override"), "downstream,multifunction");
}

TEST(Procfs, CpuInfo) {
  const char* text =
      "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu svm hypervisor\n\n"
      "processor\t: 1\nvendor_id\t: AuthenticAMD\n";
  EXPECT_EQ(parse_cpu_vendor(text), "AuthenticAMD");
  auto f = parse_cpu_flags(text);
  EXPECT_EQ(f, (std::vector<std::string>{"fpu", "svm", "hypervisor"}));
  EXPECT_EQ(parse_cpu_vendor(""), "");
}

TEST(Procfs, InterruptsAndMeminfo) {
  EXPECT_TRUE(interrupts_show_remapping(" 24: 0 0 IR-PCI-MSI 512000-edge ahci\n"));
  EXPECT_FALSE(interrupts_show_remapping(" 24: 0 0 PCI-MSI 512000-edge ahci\n"));
  EXPECT_EQ(meminfo_value("MemTotal: 100 kB\nHugePages_Total:    1024\n", "HugePages_Total"), 1024);
  EXPECT_EQ(meminfo_value("MemTotal: 100 kB\n", "HugePages_Total"), -1);
}
