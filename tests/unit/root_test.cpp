#include "sysfs/root.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "error.hpp"

using namespace ptagent;
namespace fs = std::filesystem;

namespace {

class RootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ptagent-root-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ / "sys/devices/pci0000:00/0000:00:02.0");
    fs::create_directories(dir_ / "sys/bus/pci/devices");
    fs::create_directories(dir_ / "sys/bus/pci/drivers/i915");
    fs::create_directories(dir_ / "etc");
    write("sys/devices/pci0000:00/0000:00:02.0/vendor", "0x8086\n");
    write("etc/passwd", "simulated\n");
    write("sys/bus/pci/devices/.hidden", "x");
    fs::create_directory_symlink("../../../devices/pci0000:00/0000:00:02.0",
                                 dir_ / "sys/bus/pci/devices/0000:00:02.0");
    fs::create_directory_symlink("../../../bus/pci/drivers/i915",
                                 dir_ / "sys/devices/pci0000:00/0000:00:02.0/driver");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& rel, const std::string& text) { std::ofstream(dir_ / rel) << text; }
  fs::path dir_;
};

TEST_F(RootTest, ReadsThroughRelativeLinks) {
  Root root(dir_.string());
  EXPECT_EQ(root.read_value("/sys/bus/pci/devices/0000:00:02.0/vendor"), "0x8086");
  EXPECT_EQ(root.link_name("/sys/bus/pci/devices/0000:00:02.0/driver"), "i915");
  EXPECT_EQ(root.resolve("/sys/bus/pci/devices/0000:00:02.0"),
            "/sys/devices/pci0000:00/0000:00:02.0");
  EXPECT_TRUE(root.is_dir("/sys/bus/pci/devices/0000:00:02.0"));
  EXPECT_TRUE(root.is_symlink("/sys/bus/pci/devices/0000:00:02.0"));
  EXPECT_FALSE(root.exists("/sys/bus/pci/devices/0000:00:03.0"));
  EXPECT_EQ(root.list("/sys/bus/pci/devices"), (std::vector<std::string>{"0000:00:02.0"}));
  EXPECT_EQ(root.host_path("/sys/bus/pci"), dir_.string() + "/sys/bus/pci");
}

TEST_F(RootTest, AbsoluteSymlinkStaysInsideRoot) {
  // A planted link to /etc/passwd must read the simulated host's file, not the real one.
  fs::create_symlink("/etc/passwd", dir_ / "sys/devices/pci0000:00/0000:00:02.0/device");
  Root root(dir_.string());
  EXPECT_EQ(root.read_value("/sys/bus/pci/devices/0000:00:02.0/device"), "simulated");
}

TEST_F(RootTest, DotDotCannotEscape) {
  fs::create_symlink("../../../../../../../../../../etc/passwd",
                     dir_ / "sys/devices/pci0000:00/0000:00:02.0/escape");
  Root root(dir_.string());
  EXPECT_EQ(root.read_value("/sys/devices/pci0000:00/0000:00:02.0/escape"), "simulated");
  EXPECT_EQ(root.read_value("/../../../etc/passwd"), "simulated");
  auto resolved = root.resolve("/sys/devices/pci0000:00/0000:00:02.0/escape");
  ASSERT_TRUE(resolved);
  EXPECT_EQ(*resolved, "/etc/passwd");
}

TEST_F(RootTest, EmbeddedNulIsRefused) {
  Root root(dir_.string());
  std::string evil("/etc/passwd\0/x", 14);
  EXPECT_FALSE(root.read(evil));
  EXPECT_FALSE(root.exists(evil));
  EXPECT_LT(root.open_in_root(evil, O_WRONLY), 0);
}

TEST_F(RootTest, OpenInRootRefusesSymlinkAtLastComponent) {
  fs::create_symlink("vendor", dir_ / "sys/devices/pci0000:00/0000:00:02.0/link_to_vendor");
  Root root(dir_.string());
  int fd = root.open_in_root("/sys/devices/pci0000:00/0000:00:02.0/link_to_vendor", O_WRONLY);
  EXPECT_EQ(fd, -ELOOP);
  fd = root.open_in_root("/sys/devices/pci0000:00/0000:00:02.0/vendor", O_WRONLY);
  EXPECT_GE(fd, 0);
  if (fd >= 0) close(fd);
}

TEST_F(RootTest, MakesDirectoriesInsideRoot) {
  Root root(dir_.string());
  EXPECT_EQ(root.make_dirs("/run/a/b", 0755), 0);
  EXPECT_TRUE(fs::is_directory(dir_ / "run/a/b"));
  EXPECT_EQ(root.make_dirs("/run/a/b", 0755), 0);  // already there
  EXPECT_EQ(root.make_dir("/run/a/b", 0755), EEXIST);
  EXPECT_EQ(root.make_dir("/run/missing/c", 0755), ENOENT);
  EXPECT_EQ(root.make_dirs("/etc/passwd/x", 0755), ENOTDIR);
  // Through an absolute link: still inside the root.
  fs::create_directory_symlink("/run", dir_ / "etc/run-link");
  EXPECT_EQ(root.make_dir("/etc/run-link/c", 0700), 0);
  EXPECT_TRUE(fs::is_directory(dir_ / "run/c"));
}

TEST_F(RootTest, MissingThingsAreEmptyNotErrors) {
  Root root(dir_.string());
  EXPECT_FALSE(root.read("/proc/cmdline"));
  EXPECT_TRUE(root.list("/sys/kernel/iommu_groups").empty());
  EXPECT_FALSE(root.read_link("/sys/bus/pci/devices/0000:00:02.0/vendor"));
  EXPECT_FALSE(root.resolve("/nope"));
}

TEST(Root, NotADirectoryIsAUsageError) {
  try {
    Root root("/nonexistent/ptagent-root");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/ptagent-root"), std::string::npos);
  }
}

TEST(Root, SystemRootReadsRealProc) {
  Root root("/");
  EXPECT_TRUE(root.is_system_root());
  EXPECT_TRUE(root.read("/proc/self/mountinfo").has_value());
  EXPECT_EQ(root.host_path("/sys"), "/sys");
}

}  // namespace
