#include "sysfs/dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "sysfs/root.hpp"

using namespace ptagent;
namespace fs = std::filesystem;

namespace {

class SysDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ptagent-dir-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    const fs::path dev = dir_ / "sys/devices/pci0000:00/0000:00:02.0";
    fs::create_directories(dev / "mdev_supported_types/i915-GVTg_V5_4");
    fs::create_directories(dir_ / "sys/bus/pci/devices");
    fs::create_directories(dir_ / "sys/bus/pci/drivers/i915");
    fs::create_directories(dir_ / "sys/kernel/iommu_groups/2");
    write("sys/devices/pci0000:00/0000:00:02.0/vendor", "0x8086\n");
    write("sys/devices/pci0000:00/0000:00:02.0/config", std::string(4096, 'c'));
    write("sys/devices/pci0000:00/0000:00:02.0/big", std::string(10000, 'b'));
    write("secret", "host file\n");
    write("etc/shadow-inside", "inside\n");
    fs::create_directory_symlink("../../../devices/pci0000:00/0000:00:02.0",
                                 dir_ / "sys/bus/pci/devices/0000:00:02.0");
    fs::create_directory_symlink("../../../bus/pci/drivers/i915", dev / "driver");
    fs::create_directory_symlink("../../../kernel/iommu_groups/2", dev / "iommu_group");
    // Planted: an attribute that is an absolute symlink, and a link to a directory.
    fs::create_symlink("/etc/shadow-inside", dev / "planted");
    fs::create_directory_symlink("mdev_supported_types", dev / "types_link");
    ASSERT_EQ(::mkfifo((dev / "fifo").c_str(), 0600), 0);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& rel, const std::string& text) {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel) << text;
  }
  fs::path dir_;
};

TEST_F(SysDirTest, OpensThroughLinksAndKnowsItsRealPath) {
  Root root(dir_.string());
  auto d = SysDir::open(root, "/sys/bus/pci/devices/0000:00:02.0");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->real_path(), "/sys/devices/pci0000:00/0000:00:02.0");
  EXPECT_FALSE(SysDir::open(root, "/sys/bus/pci/devices/0000:00:03.0"));
  EXPECT_FALSE(SysDir::open(root, "/sys/devices/pci0000:00/0000:00:02.0/vendor"));
}

TEST_F(SysDirTest, ReadsAttributesWhole) {
  Root root(dir_.string());
  auto d = SysDir::open(root, "/sys/bus/pci/devices/0000:00:02.0");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->read("vendor"), "0x8086\n");
  EXPECT_EQ(d->read("config")->size(), 4096u);
  EXPECT_EQ(d->read("big", 1u << 20)->size(), 10000u);
  EXPECT_EQ(d->read("big", 5000)->size(), 5000u);
  EXPECT_FALSE(d->read("missing"));
  EXPECT_FALSE(d->read("mdev_supported_types"));  // a directory
  EXPECT_FALSE(d->read("../../../../secret"));
  EXPECT_FALSE(d->read(std::string("vendor\0x", 8)));
}

TEST_F(SysDirTest, SymlinksResolveInsideTheRoot) {
  Root root(dir_.string());
  auto d = SysDir::open(root, "/sys/bus/pci/devices/0000:00:02.0");
  ASSERT_TRUE(d);
  // "/etc/shadow-inside" is the simulated host's file, never the real /etc.
  EXPECT_EQ(d->read("planted"), "inside\n");
  EXPECT_EQ(d->link_name("driver"), "i915");
  EXPECT_EQ(d->link_name("iommu_group"), "2");
  EXPECT_EQ(d->read_link("driver"), "../../../bus/pci/drivers/i915");
  EXPECT_FALSE(d->read_link("vendor"));
  EXPECT_TRUE(d->has_dir("mdev_supported_types"));
  EXPECT_TRUE(d->has_dir("types_link"));
  EXPECT_FALSE(d->has_dir("vendor"));
  EXPECT_EQ(d->kind("vendor"), SysDir::Kind::file);
  EXPECT_EQ(d->kind("driver"), SysDir::Kind::link);
  EXPECT_FALSE(d->has("nothing"));
}

TEST_F(SysDirTest, AFifoDoesNotHangARead) {
  Root root(dir_.string());
  auto d = SysDir::open(root, "/sys/bus/pci/devices/0000:00:02.0");
  ASSERT_TRUE(d);
  auto v = d->read("fifo");
  EXPECT_TRUE(!v || v->empty());
}

TEST_F(SysDirTest, NamesAreSorted) {
  Root root(dir_.string());
  auto d = SysDir::open(root, "/sys/bus/pci/devices/0000:00:02.0");
  ASSERT_TRUE(d);
  auto names = d->names();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_NE(std::find(names.begin(), names.end(), "vendor"), names.end());
}

// open_dir: one real directory entry, nothing else.
TEST_F(SysDirTest, OpenDirOpensOnlyARealDirectoryEntry) {
  Root root(dir_.string());
  auto parent = SysDir::open(root, "/sys/devices/pci0000:00");
  ASSERT_TRUE(parent);
  auto d = parent->open_dir("0000:00:02.0");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->real_path(), "/sys/devices/pci0000:00/0000:00:02.0");
  EXPECT_EQ(d->read("vendor"), "0x8086\n");
  auto types = d->open_dir("mdev_supported_types");
  ASSERT_TRUE(types);
  EXPECT_EQ(types->real_path(), "/sys/devices/pci0000:00/0000:00:02.0/mdev_supported_types");
  EXPECT_FALSE(d->open_dir("types_link"));  // a symlink, even to a directory
  EXPECT_FALSE(d->open_dir("vendor"));      // a file
  EXPECT_FALSE(d->open_dir("missing"));
  EXPECT_FALSE(d->open_dir(".."));
  EXPECT_FALSE(d->open_dir("."));
  EXPECT_FALSE(d->open_dir(""));
  EXPECT_FALSE(d->open_dir("mdev_supported_types/i915-GVTg_V5_4"));
  EXPECT_FALSE(d->open_dir(std::string_view("mdev_supported_types\0x", 22)));
}

}  // namespace
