#include "host/critical.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "pci/inventory.hpp"
#include "support/cli_runner.hpp"
#include "support/pci_address.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
using ptagent::testing::A;
namespace fs = std::filesystem;

using ::testing::HasSubstr;

namespace {

TEST(HostCritical, Workstation) {
  Root root(test::fixture_host("workstation"));
  Inventory inv = Inventory::scan(root, Naming::ids_only);
  HostCritical hc = HostCritical::scan(root, inv);
  auto nvme = hc.reason(A("02:00.0"));
  ASSERT_TRUE(nvme);
  EXPECT_NE(nvme->find("holds the root filesystem (/dev/nvme0n1p2)"), std::string::npos);
  EXPECT_NE(nvme->find("holds the filesystem on /boot/efi"), std::string::npos);
  EXPECT_NE(nvme->find("holds active swap (/dev/nvme0n1p3)"), std::string::npos);
  EXPECT_NE(hc.reason(A("00:1f.6")).value_or("").find("default route (eno1)"), std::string::npos);
  EXPECT_NE(hc.reason(A("00:02.0")).value_or("").find("boot VGA"), std::string::npos);
  EXPECT_NE(hc.reason(A("00:14.0")).value_or("").find("input device"), std::string::npos);
  EXPECT_FALSE(hc.reason(A("01:00.0")));
  EXPECT_FALSE(hc.reason(A("00:17.0")));  // SATA with nothing mounted
}

TEST(HostCritical, ServerAndNoIommu) {
  {
    Root root(test::fixture_host("server"));
    Inventory inv = Inventory::scan(root, Naming::ids_only);
    HostCritical hc = HostCritical::scan(root, inv);
    EXPECT_NE(hc.reason(A("05:00.0")).value_or("").find("root filesystem"), std::string::npos);
    EXPECT_NE(hc.reason(A("05:00.0")).value_or("").find("swap"), std::string::npos);
    EXPECT_NE(hc.reason(A("01:00.0")).value_or("").find("default route"), std::string::npos);
    EXPECT_NE(hc.reason(A("04:00.0")).value_or("").find("boot VGA"), std::string::npos);
    EXPECT_FALSE(hc.reason(A("01:10.0")));  // a VF of the default-route PF is fine
  }
  {
    Root root(test::fixture_host("noiommu"));
    Inventory inv = Inventory::scan(root, Naming::ids_only);
    HostCritical hc = HostCritical::scan(root, inv);
    EXPECT_EQ(hc.reason(A("00:02.0")), "holds the root filesystem (/dev/vda)");
    EXPECT_EQ(hc.reason(A("00:03.0")), "is the network interface of the default route (eth0)");
    EXPECT_FALSE(hc.reason(A("00:05.0")));
  }
}

TEST(HostCritical, DefaultRouteThroughABridge) {
  char tmpl[] = "/tmp/ptagent-crit-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  fs::path h = fs::path(tmpl) / "h";
  fs::copy(test::fixture_host("workstation"), h,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  // br0 enslaves eno1; the default route goes through br0.
  fs::create_directories(h / "sys/devices/virtual/net/br0/brif");
  fs::create_directory_symlink("../../devices/virtual/net/br0", h / "sys/class/net/br0");
  fs::create_symlink("../../../../pci0000:00/0000:00:1f.6/net/eno1/brport",
                     h / "sys/devices/virtual/net/br0/brif/eno1");
  {
    std::ofstream(h / "proc/net/route")
        << "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
        << "br0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";
  }
  Root root(h.string());
  Inventory inv = Inventory::scan(root, Naming::ids_only);
  HostCritical hc = HostCritical::scan(root, inv);
  EXPECT_NE(hc.reason(A("00:1f.6")).value_or("").find("default route (br0)"), std::string::npos);
  fs::remove_all(tmpl);
}

// A root filesystem shared over virtio-9p (the real-kernel bench's nested host) and a virtiofs
// mount: the transport's PCI function holds them, although neither has a block device.
TEST(HostCritical, NinePAndVirtiofsMountsFollowTheirVirtioTransport) {
  char tmpl[] = "/tmp/ptagent-crit-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  fs::path h = fs::path(tmpl) / "h";
  fs::copy(test::fixture_host("workstation"), h,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  auto virtio = [&](const char* pci, const char* name, const char* id, const char* tag) {
    fs::path dev = h / "sys/devices/pci0000:00" / pci / name;  // pci: the path below pci0000:00
    fs::create_directories(dev);
    std::ofstream(dev / "device") << id << "\n";
    if (tag) std::ofstream(dev / "mount_tag") << tag << '\0' << "\n";
    fs::create_directories(h / "sys/bus/virtio/devices");
    fs::create_directory_symlink(std::string("../../../devices/pci0000:00/") + pci + "/" + name,
                                 h / "sys/bus/virtio/devices" / name);
  };
  virtio("0000:00:17.0", "virtio1", "0x0009", "root9p");
  virtio("0000:00:1f.3", "virtio2", "0x0009", "other9p");
  virtio("0000:00:01.0/0000:01:00.1", "virtio3", "0x001a", nullptr);
  {
    std::ofstream(h / "proc/self/mountinfo")
        << "1 0 0:30 / / ro,relatime - 9p root9p ro,trans=virtio,version=9p2000.L\n"
        << "2 1 0:31 / /srv/share rw,relatime - virtiofs hostshare rw\n";
  }
  Root root(h.string());
  Inventory inv = Inventory::scan(root, Naming::ids_only);
  HostCritical hc = HostCritical::scan(root, inv);
  EXPECT_EQ(hc.reason(A("00:17.0")), "holds the root filesystem (9p root9p)");
  EXPECT_FALSE(hc.reason(A("00:1f.3")));  // a 9p device whose tag is not mounted
  // Linux 6.1 does not name a virtiofs device's tag in sysfs: every virtio-fs device holds it.
  EXPECT_EQ(hc.reason(A("01:00.1")), "holds the filesystem on /srv/share (virtiofs hostshare)");
  // The nvme now holds only its swap.
  EXPECT_EQ(hc.reason(A("02:00.0")), "holds active swap (/dev/nvme0n1p3)");
  fs::remove_all(tmpl);
}

// The real-kernel bench's root, and a live system's: an overlay whose lower directory is a 9p share
// (or a block device) mounted elsewhere. The overlay's devices are its lower and upper mounts'.
TEST(HostCritical, AnOverlayIsHeldByTheMountsUnderItsDirectories) {
  char tmpl[] = "/tmp/ptagent-crit-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  fs::path h = fs::path(tmpl) / "h";
  fs::copy(test::fixture_host("workstation"), h,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  fs::path dev = h / "sys/devices/pci0000:00/0000:00:17.0/virtio1";
  fs::create_directories(dev);
  std::ofstream(dev / "device") << "0x0009\n";
  std::ofstream(dev / "mount_tag") << "root9p\n";
  fs::create_directories(h / "sys/bus/virtio/devices");
  fs::create_directory_symlink("../../../devices/pci0000:00/0000:00:17.0/virtio1",
                               h / "sys/bus/virtio/devices/virtio1");
  {
    std::ofstream(h / "proc/self/mountinfo")
        << "1 0 0:40 / / rw,relatime - overlay overlay "
           "rw,lowerdir=/lower,upperdir=/upper/up,workdir=/upper/work\n"
        << "2 1 0:30 / /lower ro,relatime - 9p root9p ro,trans=virtio\n"
        << "3 1 0:31 / /upper rw,relatime - tmpfs tmpfs rw\n"
        << "4 1 259:2 / /data rw,relatime - overlay data "
           "rw,lowerdir=/mnt/a:/mnt/b,upperdir=/mnt/u/up\n"
        << "5 1 259:2 / /mnt/a rw,relatime - ext4 /dev/nvme0n1p2 rw\n";
  }
  { std::ofstream(h / "proc/swaps") << "Filename\tType\tSize\tUsed\tPriority\n"; }
  Root root(h.string());
  Inventory inv = Inventory::scan(root, Naming::ids_only);
  HostCritical hc = HostCritical::scan(root, inv);
  auto r = hc.reason(A("00:17.0")).value_or("");
  EXPECT_THAT(r, HasSubstr("holds the root filesystem (an overlay over 9p root9p on /lower)")) << r;
  EXPECT_THAT(r, HasSubstr("holds the filesystem on /lower (9p root9p)"));
  auto n = hc.reason(A("02:00.0")).value_or("");
  EXPECT_THAT(n,
              HasSubstr("holds the filesystem on /data (an overlay over /dev/nvme0n1p2 on /mnt/a)"))
      << n;
  fs::remove_all(tmpl);
}

TEST(HostCritical, MissingProcFilesMeanNothingCritical) {
  char tmpl[] = "/tmp/ptagent-crit-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  fs::create_directories(fs::path(tmpl) / "sys/bus/pci/devices");
  Root root(tmpl);
  Inventory inv = Inventory::scan(root, Naming::ids_only);
  EXPECT_TRUE(HostCritical::scan(root, inv).all().empty());
  fs::remove_all(tmpl);
}

}  // namespace
