#include "host/host_facts.hpp"

#include "host/host_text.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/parse.hpp"
#include "sysfs/root.hpp"

namespace ptagent {

namespace {

// A single path component that cannot climb out of its directory.
bool safe_component(std::string_view s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string_view::npos &&
         s.find('\0') == std::string_view::npos;
}

bool enables_unsafe_interrupts(std::string_view word) {
  return word == "allow_unsafe_interrupts=1" || word == "allow_unsafe_interrupts=Y" ||
         word == "allow_unsafe_interrupts=y";
}

}  // namespace

HostFacts gather_host_facts(const Root& root) {
  HostFacts f;
  f.cpuinfo = root.read(kProcCpuinfo);
  f.cmdline = root.read(kProcCmdline);
  f.kernel_release = root.read_value(kKernelOsrelease);
  f.interrupts = root.read(kProcInterrupts);
  f.meminfo = root.read(kProcMeminfo);
  f.os_release = root.read(kOsRelease);
  if (!f.os_release) f.os_release = root.read("/usr/lib/os-release");
  f.grub_default = root.read(kGrubDefault);
  f.kernel_cmdline_file = root.exists(kKernelCmdline);
  f.proxmox_boot = root.exists(kProxmoxBootUuids);
  f.uefi = root.is_dir(kEfiDir);
  if (f.os_release) {
    const OsRelease os = parse_os_release(*f.os_release);
    if (safe_component(os.id))
      f.efi_grub_cfg = root.read("/boot/efi/EFI/" + efi_dir_for(os.id) + "/grub.cfg");
  }
  f.initramfs_tools = root.is_dir(kInitramfsToolsDir);
  f.dracut = root.exists(kDracutMainConf) || root.is_dir(kDracutConfDir);
  if (f.kernel_release && safe_component(*f.kernel_release)) {
    const std::string dir = "/lib/modules/" + *f.kernel_release;
    f.modules_dir = root.is_dir(dir);
    f.modules_builtin = root.read(dir + "/modules.builtin");
    f.modules_order = root.read(dir + "/modules.order");
  }
  f.sys_modules = root.list(kModulesDir);
  f.unsafe_interrupts_param =
      root.read_value(module_parameter("vfio_iommu_type1", "allow_unsafe_interrupts"));
  for (const auto& name : root.list(kModprobeDir)) {
    if (name.size() < 6 || name.compare(name.size() - 5, 5, ".conf") != 0) continue;
    const std::string path = std::string(kModprobeDir) + "/" + name;
    auto text = root.read(path, 1u << 20);
    if (!text) continue;
    bool sets = false;
    for (auto line : lines_of(*text)) {
      auto words = split_words(line);
      if (words.size() < 3 || words[0] != "options" ||
          module_name_of(words[1]) != "vfio_iommu_type1")
        continue;
      for (std::size_t i = 2; i < words.size(); ++i)
        sets = sets || enables_unsafe_interrupts(words[i]);
    }
    if (sets) f.modprobe_unsafe.push_back(path);
  }
  f.iommu_units = root.list(kIommuClassDir);
  f.iommu_groups = root.list(kIommuGroupsDir).size();
  f.dev_vfio = root.exists("/dev/vfio/vfio");
  f.dev_kvm = root.exists("/dev/kvm");
  f.dev_iommu = root.exists("/dev/iommu");
  return f;
}

}  // namespace ptagent
