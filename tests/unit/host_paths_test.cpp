#include "sysfs/host_paths.hpp"

#include <gtest/gtest.h>

namespace ptagent {
namespace {

TEST(HostPaths, BuildsTheDevicePaths) {
  EXPECT_EQ(pci_device_dir("0000:01:00.0"), "/sys/bus/pci/devices/0000:01:00.0");
  EXPECT_EQ(pci_driver_dir("vfio-pci"), "/sys/bus/pci/drivers/vfio-pci");
  EXPECT_EQ(mdev_device_dir("u"), "/sys/bus/mdev/devices/u");
  EXPECT_EQ(mdev_type_dir("0000:00:02.0", "i915-GVTg_V5_4"),
            "/sys/class/mdev_bus/0000:00:02.0/mdev_supported_types/i915-GVTg_V5_4");
  EXPECT_EQ(module_parameter("vfio", "enable_unsafe_noiommu_mode"),
            "/sys/module/vfio/parameters/enable_unsafe_noiommu_mode");
}

TEST(HostPaths, BuildsTheStateAndConfigurationPaths) {
  EXPECT_EQ(journal_file(), "/run/ptagent/journal.json");
  EXPECT_EQ(journal_file("/tmp/j"), "/tmp/j/journal.json");
  EXPECT_EQ(hook_lock_file(), "/run/ptagent/hook.lock");
  EXPECT_EQ(std::string(kRunDir) + "/" + kStateDirName, kStateDir);
  EXPECT_EQ(mdevctl_file("0000:00:02.0", "u"), "/etc/mdevctl.d/0000:00:02.0/u");
}

TEST(HostPaths, BuildsTheProcessPaths) {
  EXPECT_EQ(proc_fd_dir("42"), "/proc/42/fd");
  EXPECT_EQ(proc_comm("42"), "/proc/42/comm");
  EXPECT_EQ(proc_self_fd(3), "/proc/self/fd/3");
}

TEST(HostPaths, BuildsTheLogPaths) {
  EXPECT_EQ(libvirt_qemu_log("win10"), "/var/log/libvirt/qemu/win10.log");
  EXPECT_STREQ(kDevKmsg, "/dev/kmsg");
}

}  // namespace
}  // namespace ptagent
