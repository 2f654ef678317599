#include "host/host_facts.hpp"

#include "host/host_text.hpp"
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
  f.cpuinfo = root.read("/proc/cpuinfo");
  f.cmdline = root.read("/proc/cmdline");
  f.kernel_release = root.read_value("/proc/sys/kernel/osrelease");
  f.interrupts = root.read("/proc/interrupts");
  f.meminfo = root.read("/proc/meminfo");
  f.os_release = root.read("/etc/os-release");
  if (!f.os_release) f.os_release = root.read("/usr/lib/os-release");
  f.grub_default = root.read("/etc/default/grub");
  f.kernel_cmdline_file = root.exists("/etc/kernel/cmdline");
  f.proxmox_boot = root.exists("/etc/kernel/proxmox-boot-uuids");
  f.uefi = root.is_dir("/sys/firmware/efi");
  if (f.os_release) {
    const OsRelease os = parse_os_release(*f.os_release);
    if (safe_component(os.id))
      f.efi_grub_cfg = root.read("/boot/efi/EFI/" + efi_dir_for(os.id) + "/grub.cfg");
  }
  f.initramfs_tools = root.is_dir("/etc/initramfs-tools");
  f.dracut = root.exists("/etc/dracut.conf") || root.is_dir("/etc/dracut.conf.d");
  if (f.kernel_release && safe_component(*f.kernel_release)) {
    const std::string dir = "/lib/modules/" + *f.kernel_release;
    f.modules_dir = root.is_dir(dir);
    f.modules_builtin = root.read(dir + "/modules.builtin");
    f.modules_order = root.read(dir + "/modules.order");
  }
  f.sys_modules = root.list("/sys/module");
  f.unsafe_interrupts_param =
      root.read_value("/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts");
  for (const auto& name : root.list("/etc/modprobe.d")) {
    if (name.size() < 6 || name.compare(name.size() - 5, 5, ".conf") != 0) continue;
    const std::string path = "/etc/modprobe.d/" + name;
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
  f.iommu_units = root.list("/sys/class/iommu");
  f.iommu_groups = root.list("/sys/kernel/iommu_groups").size();
  f.dev_vfio = root.exists("/dev/vfio/vfio");
  f.dev_kvm = root.exists("/dev/kvm");
  return f;
}

}  // namespace ptagent
