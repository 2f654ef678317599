// Every host path ptagent reads or writes under /run, /etc, /sys and /proc, named once. They are
// host paths: open them through a Root (sysfs/root.hpp), which puts them under --root.
#pragma once

#include <string>
#include <string_view>

namespace ptagent {

// ---- /run: state that lives until the next boot -------------------------------------------
inline constexpr const char* kRunDir = "/run";
// ptagent's state directory: the journal and the hook's lock (0700, created on first write).
inline constexpr const char* kStateDir = "/run/ptagent";
inline constexpr const char* kStateDirName = "ptagent";  // its name in kRunDir
inline constexpr const char* kJournalFileName = "journal.json";
inline constexpr const char* kHookLockName = "hook.lock";
std::string journal_file(std::string_view state_dir = kStateDir);
std::string hook_lock_file();
// libvirt's status XML of the running QEMU domains (<name>.xml).
inline constexpr const char* kLibvirtQemuStatusDir = "/run/libvirt/qemu";
inline constexpr const char* kRunModprobeDir = "/run/modprobe.d";
inline constexpr const char* kRunModulesLoadDir = "/run/modules-load.d";

// ---- /etc: configuration -------------------------------------------------------------------
inline constexpr const char* kHookConfigFile = "/etc/ptagent/ptagent.conf";
inline constexpr const char* kSetupStateFile = "/etc/ptagent/setup.json";
inline constexpr const char* kSetupBackupDir = "/etc/ptagent/backup";
inline constexpr const char* kLibvirtHooksDir = "/etc/libvirt/hooks";
inline constexpr const char* kMdevctlDir = "/etc/mdevctl.d";
std::string mdevctl_file(std::string_view parent, std::string_view uuid);
inline constexpr const char* kUdevRulesDir = "/etc/udev/rules.d";
inline constexpr const char* kVfioRules = "/etc/udev/rules.d/ptagent-vfio.rules";
inline constexpr const char* kSriovRules = "/etc/udev/rules.d/ptagent-sriov.rules";
inline constexpr const char* kPowerRules = "/etc/udev/rules.d/ptagent-power.rules";
inline constexpr const char* kResetMethodRules = "/etc/udev/rules.d/ptagent-reset-method.rules";
inline constexpr const char* kDriverctlDir = "/etc/driverctl.d";
inline constexpr const char* kModprobeDir = "/etc/modprobe.d";
inline constexpr const char* kModprobeConf = "/etc/modprobe.d/ptagent.conf";
inline constexpr const char* kModulesLoadDir = "/etc/modules-load.d";
inline constexpr const char* kModulesLoad = "/etc/modules-load.d/ptagent.conf";
inline constexpr const char* kEtcModules = "/etc/modules";
inline constexpr const char* kInitramfsToolsDir = "/etc/initramfs-tools";
inline constexpr const char* kInitramfsModules = "/etc/initramfs-tools/modules";
inline constexpr const char* kDracutMainConf = "/etc/dracut.conf";
inline constexpr const char* kDracutConfDir = "/etc/dracut.conf.d";
inline constexpr const char* kDracutConf = "/etc/dracut.conf.d/ptagent.conf";
inline constexpr const char* kDracutVendorConfDir = "/usr/lib/dracut/dracut.conf.d";
inline constexpr const char* kGrubDefault = "/etc/default/grub";
inline constexpr const char* kGrubDropinDir = "/etc/default/grub.d";
inline constexpr const char* kGrubDropin = "/etc/default/grub.d/ptagent.cfg";
inline constexpr const char* kKernelCmdline = "/etc/kernel/cmdline";
inline constexpr const char* kProxmoxBootUuids = "/etc/kernel/proxmox-boot-uuids";
inline constexpr const char* kOsRelease = "/etc/os-release";

// ---- /sys: the kernel's devices and drivers --------------------------------------------------
inline constexpr const char* kSysDir = "/sys";
inline constexpr const char* kPciDevicesDir = "/sys/bus/pci/devices";
inline constexpr const char* kPciDriversDir = "/sys/bus/pci/drivers";
inline constexpr const char* kPciDriversProbe = "/sys/bus/pci/drivers_probe";
// /sys/bus/pci/devices/0000:01:00.0 (a link to the device's directory).
std::string pci_device_dir(std::string_view address);
// /sys/bus/pci/drivers/vfio-pci
std::string pci_driver_dir(std::string_view driver);
inline constexpr const char* kMdevBusDir = "/sys/class/mdev_bus";
inline constexpr const char* kMdevDevicesDir = "/sys/bus/mdev/devices";
// /sys/bus/mdev/devices/<uuid>
std::string mdev_device_dir(std::string_view uuid);
// /sys/class/mdev_bus/<parent>/mdev_supported_types[/<type>]
std::string mdev_types_dir(std::string_view parent);
std::string mdev_type_dir(std::string_view parent, std::string_view type);
inline constexpr const char* kModulesDir = "/sys/module";
// /sys/module/<module> and /sys/module/<module>/parameters/<parameter>
std::string module_dir(std::string_view module);
std::string module_parameter(std::string_view module, std::string_view parameter);
inline constexpr const char* kIommuClassDir = "/sys/class/iommu";
inline constexpr const char* kIommuGroupsDir = "/sys/kernel/iommu_groups";
inline constexpr const char* kEfiDir = "/sys/firmware/efi";
inline constexpr const char* kNetClassDir = "/sys/class/net";
inline constexpr const char* kInputClassDir = "/sys/class/input";
inline constexpr const char* kVirtioDevicesDir = "/sys/bus/virtio/devices";
inline constexpr const char* kVirtiofsDir = "/sys/fs/virtiofs";
inline constexpr const char* kBlockDevicesDir = "/sys/dev/block";

// ---- /proc: the running kernel and its processes ---------------------------------------------
inline constexpr const char* kProcDir = "/proc";
inline constexpr const char* kProcCmdline = "/proc/cmdline";
inline constexpr const char* kProcCpuinfo = "/proc/cpuinfo";
inline constexpr const char* kProcInterrupts = "/proc/interrupts";
inline constexpr const char* kProcMeminfo = "/proc/meminfo";
inline constexpr const char* kProcSwaps = "/proc/swaps";
inline constexpr const char* kProcIomem = "/proc/iomem";
inline constexpr const char* kProcNetRoute = "/proc/net/route";
inline constexpr const char* kProcMountinfo = "/proc/self/mountinfo";
inline constexpr const char* kKernelOsrelease = "/proc/sys/kernel/osrelease";
// "btime SECONDS": when the host booted (kmsg's timestamps count from there).
inline constexpr const char* kProcStat = "/proc/stat";

// ---- /dev and /var/log: the logs `doctor` reads ----------------------------------------------
// The kernel's log, one record per read(2): "prio,seq,usec,flags;message" (a plain file in that
// format on a simulated host).
inline constexpr const char* kDevKmsg = "/dev/kmsg";
// libvirt's log of each QEMU domain: /var/log/libvirt/qemu/<name>.log
inline constexpr const char* kLibvirtQemuLogDir = "/var/log/libvirt/qemu";
std::string libvirt_qemu_log(std::string_view domain);
// The build machine's own executable (not under a Root).
inline constexpr const char* kProcSelfExe = "/proc/self/exe";
// /proc/<pid>/fd, /proc/<pid>/comm
std::string proc_fd_dir(std::string_view pid);
std::string proc_comm(std::string_view pid);
// /proc/self/fd/<fd>: the build machine's own descriptors (not under a Root).
inline constexpr const char* kProcSelfFdDir = "/proc/self/fd";
std::string proc_self_fd(int fd);

}  // namespace ptagent
