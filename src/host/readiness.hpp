// Host readiness for PCI passthrough: one result per check, each with its evidence and, when it
// is not a PASS, the fix for this very host (its CPU vendor, boot loader and initramfs tool).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptagent {

class Root;

enum class CheckStatus { pass, warn, fail, skip };
// "PASS", "WARN", "FAIL", "SKIP".
const char* check_status_name(CheckStatus status);

struct Check {
  std::string id;  // stable, used in JSON: "iommu-groups"
  CheckStatus status = CheckStatus::skip;
  std::string title;     // "IOMMU groups present"
  std::string evidence;  // what was seen, with the file it came from
  std::string fix;       // empty when PASS (and for a SKIP that needs nothing)
};

struct CheckSummary {
  int pass = 0;
  int warn = 0;
  int fail = 0;
  int skip = 0;
  bool ready() const { return fail == 0; }
};
CheckSummary summarize(const std::vector<Check>& checks);

// ---- Pure helpers over text and values (table-tested) ----

enum class CpuVendor { intel, amd, other };
// "GenuineIntel" -> intel; "AuthenticAMD" and "HygonGenuine" (AMD's IOMMU) -> amd.
CpuVendor cpu_vendor_of(std::string_view vendor_id);
// The IOMMU's vendor: what the /sys/class/iommu units show (dmarN: VT-d, ivhdN: AMD-Vi), else
// `cpu`. A virtual machine can pair any CPU model with any virtual IOMMU (QEMU: an AMD CPU model
// with intel-iommu), so the IOMMU's own units decide.
CpuVendor iommu_vendor_of(const std::vector<std::string>& iommu_units, CpuVendor cpu);

struct KernelVersion {
  int major = 0;
  int minor = 0;
};
// "6.1.0-13-amd64" -> {6, 1}; "5.14.0-362.el9.x86_64" -> {5, 14}; nullopt on anything else.
std::optional<KernelVersion> parse_kernel_release(std::string_view release);
// vfio_virqfd was folded into vfio in Linux 6.2.
bool kernel_has_vfio_virqfd(KernelVersion version);

// "kernel/drivers/vfio/pci/vfio-pci.ko.xz" -> "vfio_pci" (module names use '_').
std::string module_name_of(std::string_view path);
// modules.builtin / modules.order text -> module names, in file order.
std::vector<std::string> parse_module_list(std::string_view text);

// The kernel's own parameters from /proc/cmdline: everything after "--" belongs to init.
std::vector<std::string> kernel_params(std::string_view cmdline);

struct OsRelease {
  std::string id;                    // "debian", "rhel"
  std::vector<std::string> id_like;  // "fedora"
  std::string pretty_name;
};
// /etc/os-release: KEY=value lines, values optionally quoted.
OsRelease parse_os_release(std::string_view text);

enum class OsFamily { debian, rhel, other };
OsFamily os_family(const OsRelease& os);

// Which variable of /etc/default/grub holds a kernel parameter ("GRUB_CMDLINE_LINUX_DEFAULT"),
// or "" if none of GRUB_CMDLINE_LINUX{,_DEFAULT} does.
std::string grub_variable_with(std::string_view grub_default, std::string_view param);

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
};

// Reads the facts from a host tree. Never throws for a missing or unreadable file.
HostFacts gather_host_facts(const Root& root);
// The checks in a fixed order: cpu, bootloader, iommu-cmdline, iommu, iommu-groups,
// interrupt-remapping, unsafe-interrupts, acs-override, vfio-modules, vfio-virqfd, vfio-device,
// kvm, hugepages.
std::vector<Check> evaluate_readiness(const HostFacts& facts);
// gather_host_facts + evaluate_readiness.
std::vector<Check> check_readiness(const Root& root);

}  // namespace ptagent
