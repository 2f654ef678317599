#include "check/host_view.hpp"

#include <algorithm>

#include "host/host_text.hpp"
#include "sysfs/parse.hpp"
#include "sysfs/procfs.hpp"

namespace ptagent {

namespace {

std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto comma = s.find(',', start);
    if (comma == std::string_view::npos) comma = s.size();
    if (comma > start) out.emplace_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

bool contains(const std::vector<std::string>& v, std::string_view x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

bool has_param(const HostView& h, std::string_view name) {
  return h.params && has_cmdline_param(*h.params, name);
}
std::string param_value(const HostView& h, std::string_view name) {
  return h.params ? cmdline_value(*h.params, name) : std::string();
}
// The parameter as written on the command line ("intel_iommu=off"); the last one wins.
std::string param_word(const HostView& h, std::string_view name) {
  std::string out;
  if (!h.params) return out;
  for (const auto& p : *h.params) {
    if (p == name ||
        (p.size() > name.size() && p.compare(0, name.size(), name) == 0 && p[name.size()] == '=')) {
      out = p;
    }
  }
  return out;
}
// "intel_iommu=on,sm_on" has the option "on".
bool param_has_option(const HostView& h, std::string_view name, std::string_view option) {
  return has_param(h, name) && contains(split_commas(param_value(h, name)), option);
}

std::string model_name_of(std::string_view cpuinfo) {
  for (auto line : lines_of(cpuinfo)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string_view::npos) return std::string(trim(line.substr(colon + 1)));
    }
  }
  return {};
}

HostView make_view(const HostFacts& f) {
  HostView h(f);
  if (f.cpuinfo) {
    h.vendor_id = parse_cpu_vendor(*f.cpuinfo);
    h.cpu = cpu_vendor_of(h.vendor_id);
    h.vendor = h.cpu;
    h.model_name = model_name_of(*f.cpuinfo);
    const auto flags = parse_cpu_flags(*f.cpuinfo);
    h.hypervisor = contains(flags, "hypervisor");
    h.vmx = contains(flags, "vmx");
    h.svm = contains(flags, "svm");
  }
  h.vendor = iommu_vendor_of(f.iommu_units, h.vendor);
  if (f.cmdline) h.params = kernel_params(*f.cmdline);
  if (f.kernel_release) {
    h.release = std::string(trim(*f.kernel_release));
    h.kver = parse_kernel_release(h.release);
  }
  if (f.os_release) h.os = parse_os_release(*f.os_release);
  h.family = os_family(h.os);

  // Proxmox VE on UEFI boots with systemd-boot even when a GRUB package left /etc/default/grub.
  if (f.kernel_cmdline_file && (!f.grub_default || (f.proxmox_boot && f.uefi))) {
    h.loader = BootLoader::systemd_boot;
  } else if (f.grub_default) {
    h.loader = BootLoader::grub;
  }
  if (h.family == OsFamily::debian) {
    h.initramfs =
        (f.initramfs_tools || !f.dracut) ? Initramfs::update_initramfs : Initramfs::dracut;
  } else if (h.family == OsFamily::rhel) {
    h.initramfs = Initramfs::dracut;
  } else if (f.initramfs_tools) {
    h.initramfs = Initramfs::update_initramfs;
  } else if (f.dracut) {
    h.initramfs = Initramfs::dracut;
  }
  // RHEL 9 and Fedora 34+ keep one /boot/grub2/grub.cfg for BIOS and UEFI; the EFI partition's
  // grub.cfg is then a stub that chains to it ("configfile"). Older UEFI installs use their own.
  h.grub_cfg = "/boot/grub2/grub.cfg";
  if (f.uefi && f.efi_grub_cfg && f.efi_grub_cfg->find("configfile") == std::string::npos) {
    h.grub_cfg = "/boot/efi/EFI/" + efi_dir_for(h.os.id) + "/grub.cfg";
  }

  h.iommu_on = !f.iommu_units.empty() && f.iommu_groups > 0;
  if (f.modules_builtin) {
    for (auto& m : parse_module_list(*f.modules_builtin)) h.builtin.insert(std::move(m));
  }
  if (f.modules_order) {
    for (auto& m : parse_module_list(*f.modules_order)) h.order.insert(std::move(m));
  }
  for (const auto& m : f.sys_modules) h.loaded.insert(m);
  return h;
}

}  // namespace ptagent
