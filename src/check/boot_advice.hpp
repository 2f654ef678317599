// How to change this host: its kernel command line (by boot loader), its initramfs, its VM's IOMMU.
// The fix texts of the readiness checks come from here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "check/host_view.hpp"

namespace ptagent {

// "`a b`".
std::string quoted(const std::vector<std::string>& params);
// "update-initramfs -u -k all" or "dracut -f --regenerate-all" (or a generic text).
const char* initramfs_command(const HostView& h);
// How to change the kernel command line on this host: remove some words, add others, reboot.
std::string cmdline_fix(const HostView& h, const std::vector<std::string>& add,
                        const std::vector<std::string>& remove);
// Kernel parameters that turn the IOMMU off on this CPU vendor, as written on the command line.
std::vector<std::string> disabling_params(const HostView& h);
// The parameters ptagent recommends for this vendor (AMD-Vi needs none to be on).
std::vector<std::string> wanted_params(const HostView& h);
// "VT-d"/"AMD-Vi" as the firmware setup names it, and the short name.
const char* firmware_iommu_name(const HostView& h);
const char* short_iommu_name(const HostView& h);

extern const char* const kVmNoIommu;
// A VM without a virtual IOMMU: how to give it one.
std::string vm_iommu_fix();
// /proc (or the tree given as root) lacks path.
std::string proc_missing_fix(std::string_view path);

}  // namespace ptagent
