// vfio_host: /proc/iomem parsing and the host facts read from a tree.
#include "host/vfio_host.hpp"

#include <gtest/gtest.h>

#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::TempHost;

TEST(Iomem, ParsesNestedRangesAndSkipsGarbage) {
  const auto r = parse_iomem(
      "00000000-00000fff : Reserved\n"
      "  e0000000-efffffff : 0000:04:00.0\n"
      "    e0000000-e07e8fff : BOOTFB\n"
      "fd000000-fdffffff : simple-framebuffer.0\n"
      "zzzz-1 : junk\n"
      "10-0 : backwards\n"
      "no colon here\n"
      "1000000000-10ffffffff : PCI Bus 0000:00");
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[2].name, "BOOTFB");
  EXPECT_EQ(r[2].start, 0xe0000000u);
  EXPECT_EQ(r[2].end, 0xe07e8fffu);
  EXPECT_EQ(r[4].start, 0x1000000000u) << "64-bit addresses";
  EXPECT_TRUE(parse_iomem("").empty());
}

TEST(Iomem, BootFramebufferNames) {
  for (const char* n : {"BOOTFB", "efifb", "vesafb", "vga16fb", "simple-framebuffer.0"})
    EXPECT_TRUE(is_boot_framebuffer(n)) << n;
  for (const char* n : {"0000:04:00.0", "amdgpu", "System RAM", "simple"})
    EXPECT_FALSE(is_boot_framebuffer(n)) << n;
}

TEST(VfioHost, TheSeed002HostHasItsFramebufferAndParameters) {
  TempHost h = TempHost::copy_of("apu");
  const VfioHost v = read_vfio_host(h.root());
  EXPECT_EQ(v.kernel_release, "5.15.102-1-pve");
  EXPECT_EQ(v.disable_idle_d3, false);
  EXPECT_EQ(v.disable_denylist, false);
  EXPECT_FALSE(v.vendor_reset_loaded);
  ASSERT_EQ(v.framebuffers.size(), 1u);
  EXPECT_EQ(v.framebuffers[0].name, "BOOTFB");
  EXPECT_FALSE(v.iomem_hidden);
}

TEST(VfioHost, WithoutVfioNothingIsSetAndHiddenAddressesAreNoticed) {
  TempHost h = TempHost::copy_of("noiommu");
  h.put("/proc/iomem", "00000000-00000000 : Reserved\n00000000-00000000 : BOOTFB\n");
  const VfioHost v = read_vfio_host(h.root());
  EXPECT_FALSE(v.disable_idle_d3.has_value());
  EXPECT_FALSE(v.disable_denylist.has_value());
  EXPECT_TRUE(v.framebuffers.empty()) << "an address of 0 is a hidden one, not a framebuffer at 0";
  EXPECT_TRUE(v.iomem_hidden);
}

TEST(VfioHost, ParametersAndVendorResetAsTheKernelShowsThem) {
  TempHost h = TempHost::copy_of("workstation");
  h.put("/sys/module/vfio_pci/parameters/disable_idle_d3", "Y\n");
  h.put("/sys/module/vfio_pci/parameters/disable_vga", "garbage\n");
  h.put("/sys/module/vendor_reset/initstate", "live\n");
  const VfioHost v = read_vfio_host(h.root());
  EXPECT_EQ(v.disable_idle_d3, true);
  EXPECT_FALSE(v.disable_vga.has_value()) << "neither Y nor N";
  EXPECT_TRUE(v.vendor_reset_loaded);
}
