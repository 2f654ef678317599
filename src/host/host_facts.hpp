// The host's files that `ptagent check` reads, read once into one value (tests build it by hand).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptagent {

class Root;

// Every path that ptagent check reads, as text or as presence. No field is required: a missing
// file leaves its check at SKIP (or its evidence says what could not be read).
struct HostFacts {
  std::optional<std::string> cpuinfo;          // /proc/cpuinfo
  std::optional<std::string> cmdline;          // /proc/cmdline
  std::optional<std::string> kernel_release;   // /proc/sys/kernel/osrelease
  std::optional<std::string> interrupts;       // /proc/interrupts
  std::optional<std::string> meminfo;          // /proc/meminfo
  std::optional<std::string> os_release;       // /etc/os-release, else /usr/lib/os-release
  std::optional<std::string> grub_default;     // /etc/default/grub
  bool kernel_cmdline_file = false;            // /etc/kernel/cmdline (systemd-boot, kernel-install)
  bool proxmox_boot = false;                   // /etc/kernel/proxmox-boot-uuids
  bool uefi = false;                           // /sys/firmware/efi
  std::optional<std::string> efi_grub_cfg;     // /boot/efi/EFI/<ID>/grub.cfg
  bool initramfs_tools = false;                // /etc/initramfs-tools
  bool dracut = false;                         // /etc/dracut.conf or /etc/dracut.conf.d
  bool modules_dir = false;                    // /lib/modules/<release>
  std::optional<std::string> modules_builtin;  // /lib/modules/<release>/modules.builtin
  std::optional<std::string> modules_order;    // /lib/modules/<release>/modules.order
  std::vector<std::string> sys_modules;        // /sys/module entries (loaded or built in)
  std::optional<std::string> unsafe_interrupts_param;  // .../vfio_iommu_type1/parameters/...
  std::vector<std::string> modprobe_unsafe;            // /etc/modprobe.d files setting it
  std::vector<std::string> iommu_units;                // /sys/class/iommu
  std::size_t iommu_groups = 0;                        // /sys/kernel/iommu_groups entries
  bool dev_vfio = false;                               // /dev/vfio/vfio
  bool dev_kvm = false;                                // /dev/kvm
  bool dev_iommu = false;                              // /dev/iommu: iommufd
};

// Reads the facts from a host tree. Never throws for a missing or unreadable file.
HostFacts gather_host_facts(const Root& root);

}  // namespace ptagent
