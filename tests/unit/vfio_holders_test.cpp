#include "ops/vfio_holders.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::TempHost;

namespace {

void fd_link(const TempHost& host, int pid, int fd, const std::string& target) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  std::filesystem::create_directories(host.real(dir));
  std::filesystem::create_symlink(target, host.real(dir + "/" + std::to_string(fd)));
}

}  // namespace

TEST(VfioHolders, FindsProcessesWithTheGroupOpen) {
  TempHost host = TempHost::copy_of("server");
  fd_link(host, 200, 3, "/dev/vfio/vfio");
  fd_link(host, 200, 4, "/dev/vfio/11");
  fd_link(host, 1000, 9, "/dev/vfio/11");
  fd_link(host, 1000, 10, "/dev/vfio/110");
  fd_link(host, 31, 1, "/dev/null");
  std::ofstream(host.real("/proc/200/comm")) << "qemu-system-x86\n";
  const auto holders = vfio_group_holders(host.root(), 11u);
  ASSERT_EQ(holders.size(), 2u);
  EXPECT_EQ(holders[0].pid, 200);
  EXPECT_EQ(holders[0].describe(), "pid 200 (qemu-system-x86)");
  EXPECT_EQ(holders[1].pid, 1000);  // numeric order, not "1000" < "200"
  EXPECT_EQ(holders[1].describe(), "pid 1000");
  EXPECT_TRUE(vfio_group_holders(host.root(), 12u).empty());
  const auto many = vfio_group_holders(host.root(), std::vector<unsigned>{12, 110, 11});
  ASSERT_EQ(many.size(), 3u);
  EXPECT_TRUE(many[0].empty());
  ASSERT_EQ(many[1].size(), 1u);
  EXPECT_EQ(many[1][0].pid, 1000);
  EXPECT_EQ(many[2].size(), 2u);
}

TEST(VfioHolders, AHostWithoutProcessesHasNone) {
  TempHost host = TempHost::copy_of("workstation");
  EXPECT_TRUE(vfio_group_holders(host.root(), 1u).empty());
  EXPECT_TRUE(vfio_group_holders(host.root(), std::vector<unsigned>{}).empty());
}
