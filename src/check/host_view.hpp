// What the readiness checks and their advice share, derived once from HostFacts: the IOMMU and CPU
// vendor, the kernel command line, the boot loader and initramfs tool, the module sets.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "host/host_facts.hpp"
#include "host/host_text.hpp"

namespace ptagent {

enum class BootLoader { grub, systemd_boot, unknown };
enum class Initramfs { update_initramfs, dracut, unknown };

// Everything the checks share, derived once from the facts.
struct HostView {
  explicit HostView(const HostFacts& facts) : f(facts) {}
  const HostFacts& f;
  // The IOMMU's vendor (iommu_vendor_of), else the CPU's.
  CpuVendor vendor = CpuVendor::other;
  CpuVendor cpu = CpuVendor::other;  // from /proc/cpuinfo; KVM's vmx/svm and the CPU check use it
  std::string vendor_id;
  std::string model_name;
  bool hypervisor = false;
  bool vmx = false;
  bool svm = false;
  std::optional<std::vector<std::string>> params;  // nullopt: /proc/cmdline unreadable
  std::string release;                             // "" when unknown
  std::optional<KernelVersion> kver;
  OsRelease os;
  OsFamily family = OsFamily::other;
  BootLoader loader = BootLoader::unknown;
  Initramfs initramfs = Initramfs::unknown;
  std::string grub_cfg;  // grub2-mkconfig target (RHEL-like)
  bool iommu_on = false;
  std::set<std::string> builtin;
  std::set<std::string> order;  // modules built as .ko (when modules.order is readable)
  std::set<std::string> loaded;
};

HostView make_view(const HostFacts& f);

// Whether the running kernel's command line has the parameter (false when unreadable).
bool has_param(const HostView& h, std::string_view name);
// Its value ("" when absent or unreadable).
std::string param_value(const HostView& h, std::string_view name);
// The parameter as written on the command line ("intel_iommu=off"); the last one wins.
std::string param_word(const HostView& h, std::string_view name);
// "intel_iommu=on,sm_on" has the option "on".
bool param_has_option(const HostView& h, std::string_view name, std::string_view option);

}  // namespace ptagent
