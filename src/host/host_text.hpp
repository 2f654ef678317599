// What ptagent reads out of the host's text files: the CPU and IOMMU vendor, the kernel release,
// module lists, the kernel command line, os-release and /etc/default/grub. Pure functions over
// text.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptagent {

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

// The EFI system partition directory of a distribution: EFI/<ID> ("rhel" installs into EFI/redhat;
// no ID: "fedora").
std::string efi_dir_for(const std::string& os_id);

}  // namespace ptagent
