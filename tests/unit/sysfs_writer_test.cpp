#include "sysfs/sysfs_writer.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "support/file_text.hpp"
#include "support/temp_host.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
using ptagent::testing::slurp;
using ptagent::testing::TempHost;
namespace fs = std::filesystem;

namespace {

TEST(RealSysfsWriter, WritesTheWholeValueOnce) {
  TempHost h = TempHost::empty();
  fs::create_directories(h.real("/sys/bus/pci"));
  std::ofstream(h.real("/sys/bus/pci/drivers_probe")).close();
  RealSysfsWriter w(h.root());
  EXPECT_EQ(w.write("/sys/bus/pci/drivers_probe", "0000:01:00.0"), 0);
  EXPECT_EQ(slurp(h.real("/sys/bus/pci/drivers_probe")), "0000:01:00.0");
}

TEST(RealSysfsWriter, ReturnsErrnoForMissingPathsDirectoriesAndSymlinks) {
  TempHost h = TempHost::empty();
  fs::create_directories(h.real("/sys/bus/pci/devices"));
  std::ofstream(h.real("/sys/target")).close();
  fs::create_symlink("../../target", h.real("/sys/bus/link"));
  RealSysfsWriter w(h.root());
  EXPECT_EQ(w.write("/sys/bus/pci/devices/0000:09:00.0/driver_override", "vfio-pci"), ENOENT);
  EXPECT_FALSE(fs::exists(h.real("/sys/bus/pci/devices/0000:09:00.0")));  // nothing created
  EXPECT_EQ(w.write("/sys/bus/pci/devices", "x"), EISDIR);
  EXPECT_EQ(w.write("/sys/bus/link", "x"), ELOOP);  // never follows a link at the last component
  EXPECT_EQ(slurp(h.real("/sys/target")), "");
  EXPECT_EQ(w.write(std::string("/sys/target\0x", 13), "x"), EINVAL);
}

TEST(RealSysfsWriter, StaysInsideTheRoot) {
  TempHost outer = TempHost::empty();
  fs::create_directories(outer.real("/host/sys"));
  std::ofstream(outer.real("/secret")).close();
  Root inner(outer.real("/host"));
  RealSysfsWriter w(inner);
  // ".." from the root stays at the root: the file outside is not reached.
  EXPECT_EQ(w.write("/sys/../../../secret", "x"), ENOENT);
  EXPECT_EQ(slurp(outer.real("/secret")), "");
}

TEST(RealSysfsWriter, ReportsTheKernelsErrno) {
  // /dev/full refuses every write with ENOSPC, like a store handler returning an error.
  Root system("/");
  RealSysfsWriter w(system);
  EXPECT_EQ(w.write("/dev/full", "1"), ENOSPC);
}

TEST(RealSysfsWriter, AStuckWriteTimesOut) {
  TempHost h = TempHost::empty();
  const std::string fifo = h.real("/run/fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  RealSysfsWriter w(h.root(), std::chrono::milliseconds(200));
  const std::string big(1 << 20, 'x');  // far more than a pipe holds: the write blocks
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(w.write("/run/fifo", big), ETIMEDOUT);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(150));
  EXPECT_LT(took, std::chrono::seconds(5));
  // Drain the pipe so the detached writer finishes and closes its fd.
  std::size_t got = 0;
  char buf[65536];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (got < big.size() && std::chrono::steady_clock::now() < deadline) {
    ssize_t n = ::read(reader, buf, sizeof buf);
    if (n > 0)
      got += static_cast<std::size_t>(n);
    else
      ::usleep(1000);
  }
  EXPECT_EQ(got, big.size());
  ::close(reader);
}

}  // namespace
