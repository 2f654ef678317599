#include "pci/inventory.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "error.hpp"
#include "pci/modalias.hpp"
#include "support/cli_runner.hpp"
#include "support/pci_address.hpp"
#include "support/temp_host.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
using ptagent::testing::A;

namespace {

TEST(Inventory, WorkstationSnapshot) {
  Root root(test::fixture_host("workstation"));
  Inventory inv = Inventory::scan(root, Naming::with_names);
  ASSERT_EQ(inv.devices().size(), 13u);
  const Device& gpu = inv.get(A("01:00.0"));
  EXPECT_EQ(gpu.vendor_id, 0x10de);
  EXPECT_EQ(gpu.device_id, 0x1b81);
  EXPECT_EQ(gpu.class_code, 0x030000u);
  EXPECT_EQ(gpu.driver, "nouveau");
  EXPECT_EQ(gpu.iommu_group, 1u);
  EXPECT_EQ(gpu.boot_vga, false);
  EXPECT_EQ(gpu.upstream, A("00:01.0"));
  EXPECT_FALSE(gpu.is_bridge);
  EXPECT_FALSE(gpu.config.pcie_flr);
  EXPECT_EQ(gpu.reset_methods, (std::vector<std::string>{"bus"}));
  EXPECT_NE(gpu.vendor_name.find("NVIDIA"), std::string::npos);
  EXPECT_NE(gpu.device_name.find("GTX 1070"), std::string::npos);
  EXPECT_EQ(gpu.class_name, "VGA compatible controller");
  EXPECT_FALSE(gpu.modules.empty());
  EXPECT_EQ(gpu.modules.front(), "nouveau");
  EXPECT_TRUE(gpu.problems.empty());

  const Device& igpu = inv.get(A("00:02.0"));
  EXPECT_EQ(igpu.boot_vga, true);
  ASSERT_TRUE(igpu.mdev);
  EXPECT_EQ(igpu.mdev->types, (std::vector<std::string>{"i915-GVTg_V5_4", "i915-GVTg_V5_8"}));
  EXPECT_TRUE(igpu.config.pcie_flr);
  EXPECT_FALSE(igpu.upstream);

  EXPECT_TRUE(inv.get(A("00:01.0")).is_bridge);
  EXPECT_FALSE(inv.get(A("00:1f.0")).is_bridge);  // ISA bridge: no pci_bus directory
  EXPECT_TRUE(inv.has_iommu_groups());
}

TEST(Inventory, ServerSriov) {
  Root root(test::fixture_host("server"));
  Inventory inv = Inventory::scan(root, Naming::ids_only);
  const Device& pf = inv.get(A("01:00.0"));
  ASSERT_TRUE(pf.sriov);
  EXPECT_EQ(pf.sriov->total_vfs, 63u);
  EXPECT_EQ(pf.sriov->num_vfs, 4u);
  EXPECT_EQ(pf.sriov->vfs,
            (std::vector<PciAddress>{A("01:10.0"), A("01:10.2"), A("01:10.4"), A("01:10.6")}));
  EXPECT_EQ(inv.get(A("01:10.2")).physfn, A("01:00.0"));
  EXPECT_EQ(inv.get(A("01:10.2")).driver, "vfio-pci");
  EXPECT_TRUE(inv.get(A("01:00.1")).sriov);
  EXPECT_EQ(inv.get(A("01:00.1")).sriov->num_vfs, 0u);
  EXPECT_TRUE(pf.vendor_name.empty());  // ids_only
}

TEST(Inventory, ExpandSlotShorthand) {
  Root root(test::fixture_host("workstation"));
  Inventory inv = Inventory::scan(root, Naming::ids_only);
  EXPECT_EQ(inv.expand(parse_device_spec("01:00")),
            (std::vector<PciAddress>{A("01:00.0"), A("01:00.1")}));
  EXPECT_EQ(inv.expand(parse_device_spec("00:1f")),
            (std::vector<PciAddress>{A("00:1f.0"), A("00:1f.3"), A("00:1f.4"), A("00:1f.6")}));
  EXPECT_THROW(inv.expand(parse_device_spec("05:00")), Error);
  try {
    inv.get(A("05:00.0"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::not_found);
    EXPECT_EQ(e.exit_code(), 1);
  }
}

TEST(Inventory, GroupsAndBusSiblings) {
  Root root(test::fixture_host("server"));
  Inventory inv = Inventory::scan(root, Naming::ids_only);
  EXPECT_EQ(inv.group_members(5),
            (std::vector<PciAddress>{A("02:00.0"), A("03:00.0"), A("03:01.0")}));
  EXPECT_EQ(inv.bus_siblings(inv.get(A("03:00.0"))), (std::vector<PciAddress>{A("03:01.0")}));
  EXPECT_TRUE(inv.bus_siblings(inv.get(A("04:00.0"))).empty());
}

TEST(Inventory, NoIommuHost) {
  Root root(test::fixture_host("noiommu"));
  Inventory inv = Inventory::scan(root, Naming::ids_only);
  EXPECT_EQ(inv.devices().size(), 6u);
  EXPECT_FALSE(inv.has_iommu_groups());
  EXPECT_TRUE(inv.groups().empty());
}

TEST(Inventory, EmptyTreeHasNoDevices) {
  char tmpl[] = "/tmp/ptagent-inv-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  {
    Root root(tmpl);
    EXPECT_TRUE(Inventory::scan(root).devices().empty());
  }
  rmdir(tmpl);
}

// A listing reads less (uevent instead of five files, no config), but what it reads agrees with a
// full read, on every committed host.
TEST(Inventory, ListingAgreesWithFullRead) {
  for (const char* host : {"workstation", "server", "noiommu", "apu", "cloud"}) {
    Root root(test::fixture_host(host));
    Inventory full = Inventory::scan(root, DeviceDetail::full);
    Inventory listing = Inventory::scan(root, DeviceDetail::listing);
    ASSERT_EQ(full.devices().size(), listing.devices().size()) << host;
    for (std::size_t i = 0; i < full.devices().size(); ++i) {
      const Device& f = full.devices()[i];
      const Device& l = listing.devices()[i];
      SCOPED_TRACE(std::string(host) + " " + f.address.to_string());
      EXPECT_EQ(f.address, l.address);
      EXPECT_EQ(f.sysfs_path, l.sysfs_path);
      EXPECT_EQ(f.class_code, l.class_code);
      EXPECT_EQ(f.vendor_id, l.vendor_id);
      EXPECT_EQ(f.device_id, l.device_id);
      EXPECT_EQ(f.subsys_vendor_id, l.subsys_vendor_id);
      EXPECT_EQ(f.subsys_device_id, l.subsys_device_id);
      EXPECT_EQ(f.driver, l.driver);
      EXPECT_EQ(f.modalias, device_modalias(l));
      EXPECT_EQ(f.iommu_group, l.iommu_group);
      EXPECT_EQ(f.boot_vga, l.boot_vga);
      EXPECT_EQ(f.reset_methods, l.reset_methods);
      EXPECT_EQ(f.is_bridge, l.is_bridge);
      EXPECT_EQ(f.upstream, l.upstream);
      EXPECT_EQ(f.physfn, l.physfn);
      EXPECT_EQ(f.sriov.has_value(), l.sriov.has_value());
      if (f.sriov && l.sriov) {
        EXPECT_EQ(f.sriov->vfs, l.sriov->vfs);
      }
      EXPECT_EQ(f.mdev.has_value(), l.mdev.has_value());
      EXPECT_EQ(f.problems, l.problems);
      EXPECT_FALSE(l.config.valid);  // not read for a listing
    }
  }
}

// A generated host of 4 SR-IOV PFs with 100 VFs each (404 functions: the scan uses two threads),
// made once for the tests that need it and removed after them.
class LargeHost : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/ptagent-large-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    const std::string cmd = "python3 '" + ptagent::testing::fixture_hosts_dir() +
                            "/../gen_hosts.py' --host large --pfs 4 --vfs 100 '" + dir_ +
                            "' >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }
  static Root root() { return Root(dir_ + "/large"); }
  static inline std::string dir_;
};

// The scan reads a large host on two threads: the same devices, in address order, as one thread.
TEST_F(LargeHost, ScanIsOrderedAndComplete) {
  Inventory inv = Inventory::scan(root());
  ASSERT_EQ(inv.devices().size(), 4u * 101u);
  for (std::size_t i = 1; i < inv.devices().size(); ++i) {
    EXPECT_LT(inv.devices()[i - 1].address, inv.devices()[i].address);
  }
  std::size_t vfs = 0;
  for (const auto& d : inv.devices()) vfs += d.physfn ? 1 : 0;
  EXPECT_EQ(vfs, 400u);
}

// The scan opens device directories below their parents when a bus link has the kernel's shape;
// links of any other shape, and device directories that are themselves links, are resolved
// through the Root as a lone read does. Both ways find the same directory.
TEST(Inventory, UnusualBusLinksResolveLikeALoneRead) {
  const auto reference = Inventory::scan(Root(test::fixture_host("workstation")));
  auto host = ptagent::testing::TempHost::copy_of("workstation");
  namespace fs = std::filesystem;
  const fs::path bus = host.real("/sys/bus/pci/devices");
  auto relink = [&](const char* name, const std::string& target) {
    fs::remove(bus / name);
    fs::create_directory_symlink(target, bus / name);
  };
  relink("0000:00:02.0", "../../../devices/./pci0000:00/0000:00:02.0");
  relink("0000:00:14.0", "/sys/devices/pci0000:00/0000:00:14.0");
  relink("0000:01:00.0", "../../../devices/pci0000:00/0000:00:01.0/../0000:00:01.0/0000:01:00.0");
  relink("0000:00:1f.3", "../../../devices/pci0000:00/0000:00:1f.3/");
  // A device directory moved aside and replaced by a link to it.
  const fs::path gpu_audio = host.real("/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.1");
  fs::rename(gpu_audio, host.real("/sys/devices/moved-0000:01:00.1"));
  fs::create_directory_symlink("../../moved-0000:01:00.1", gpu_audio);

  for (auto detail : {DeviceDetail::full, DeviceDetail::listing}) {
    const auto inv = Inventory::scan(host.root(), detail);
    ASSERT_EQ(inv.devices().size(), reference.devices().size());
    for (std::size_t i = 0; i < inv.devices().size(); ++i) {
      const Device& got = inv.devices()[i];
      const Device& want = reference.devices()[i];
      SCOPED_TRACE(want.address.to_string());
      EXPECT_EQ(got.address, want.address);
      EXPECT_EQ(got.vendor_id, want.vendor_id);
      EXPECT_EQ(got.driver, want.driver);
      EXPECT_EQ(got.iommu_group, want.iommu_group);
      if (got.address == A("0000:01:00.1")) {
        EXPECT_EQ(got.sysfs_path, "/sys/devices/moved-0000:01:00.1");
      } else {
        EXPECT_EQ(got.sysfs_path, want.sysfs_path);
      }
    }
  }
}

// A listing takes a PF's VFs from the VFs' physfn links; a full read from the PF's virtfn links.
TEST_F(LargeHost, ListingFindsEveryVf) {
  Inventory full = Inventory::scan(root(), DeviceDetail::full);
  Inventory listing = Inventory::scan(root(), DeviceDetail::listing);
  ASSERT_EQ(full.devices().size(), listing.devices().size());
  std::size_t pfs = 0;
  for (std::size_t i = 0; i < full.devices().size(); ++i) {
    const Device& f = full.devices()[i];
    const Device& l = listing.devices()[i];
    ASSERT_EQ(f.sriov.has_value(), l.sriov.has_value()) << f.address.to_string();
    if (!f.sriov) continue;
    ++pfs;
    EXPECT_EQ(f.sriov->vfs.size(), 100u);
    EXPECT_EQ(f.sriov->vfs, l.sriov->vfs) << f.address.to_string();
    EXPECT_EQ(f.sriov->num_vfs, l.sriov->num_vfs);
  }
  EXPECT_EQ(pfs, 4u);
}

}  // namespace
