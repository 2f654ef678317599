#include "check/boot_advice.hpp"

#include "util/join.hpp"

namespace ptagent {

std::string quoted(const std::vector<std::string>& params) {
  return "`" + join(params, " ") + "`";
}

const char* initramfs_command(const HostView& h) {
  switch (h.initramfs) {
    case Initramfs::update_initramfs:
      return "update-initramfs -u -k all";
    case Initramfs::dracut:
      return "dracut -f";
    case Initramfs::unknown:
      break;
  }
  return "";
}

// How to change the kernel command line on this host: remove some words, add others, reboot.
std::string cmdline_fix(const HostView& h, const std::vector<std::string>& add,
                        const std::vector<std::string>& remove) {
  std::string out;
  switch (h.loader) {
    case BootLoader::grub: {
      const std::string var =
          h.family == OsFamily::rhel ? "GRUB_CMDLINE_LINUX" : "GRUB_CMDLINE_LINUX_DEFAULT";
      std::vector<std::string> edits;
      for (const auto& r : remove) {
        const std::string where = grub_variable_with(h.f.grub_default.value_or(""), r);
        edits.push_back(
            "remove `" + r + "` from " +
            (where.empty() ? std::string("the GRUB_CMDLINE_LINUX line that sets it (not in "
                                         "/etc/default/grub itself: look in /etc/default/grub.d/)")
                           : where));
      }
      if (!add.empty()) edits.push_back("add " + quoted(add) + " to " + var);
      out = "in /etc/default/grub, " + join(edits, " and ");
      if (h.family == OsFamily::debian) {
        out += ", run `update-grub`";
      } else if (h.family == OsFamily::rhel) {
        std::string grubby = "grubby --update-kernel=ALL";
        if (!add.empty()) grubby += " --args=\"" + join(add, " ") + "\"";
        if (!remove.empty()) grubby += " --remove-args=\"" + join(remove, " ") + "\"";
        out += ", run `grub2-mkconfig -o " + h.grub_cfg +
               "` (boot entries of kernels already installed keep their own options: also run `" +
               grubby + "`)";
      } else {
        out += ", run `grub-mkconfig -o /boot/grub/grub.cfg`";
      }
      break;
    }
    case BootLoader::systemd_boot: {
      std::vector<std::string> edits;
      for (const auto& r : remove) edits.push_back("remove `" + r + "`");
      if (!add.empty()) edits.push_back("add " + quoted(add));
      out = "in /etc/kernel/cmdline (one line), " + join(edits, " and ");
      if (h.f.proxmox_boot) {
        out += ", run `proxmox-boot-tool refresh`";
      } else {
        const std::string rel = h.release.empty() ? std::string("$(uname -r)") : h.release;
        const std::string image = h.family == OsFamily::debian ? "/boot/vmlinuz-" + rel
                                                               : "/lib/modules/" + rel + "/vmlinuz";
        out += ", run `kernel-install add " + rel + " " + image + "`";
      }
      break;
    }
    case BootLoader::unknown: {
      std::vector<std::string> edits;
      for (const auto& r : remove) edits.push_back("remove `" + r + "` from");
      if (!add.empty()) edits.push_back("add " + quoted(add) + " to");
      out = join(edits, " and ") +
            " the kernel command line where this host's boot configuration sets it (there is no "
            "/etc/default/grub or /etc/kernel/cmdline here";
      if (h.hypervisor)
        out +=
            "; a virtual machine's kernel may be booted directly by its hypervisor, which then "
            "sets it";
      out += ")";
      break;
    }
  }
  return out + ", then reboot";
}

// Kernel parameters that turn the IOMMU off on this CPU vendor, as written on the command line.
std::vector<std::string> disabling_params(const HostView& h) {
  std::vector<std::string> out;
  if (h.vendor == CpuVendor::intel && param_has_option(h, "intel_iommu", "off"))
    out.push_back(param_word(h, "intel_iommu"));
  if (h.vendor == CpuVendor::amd && param_has_option(h, "amd_iommu", "off"))
    out.push_back(param_word(h, "amd_iommu"));
  if (param_has_option(h, "iommu", "off")) out.push_back(param_word(h, "iommu"));
  return out;
}

// The parameters ptagent recommends for this vendor (AMD-Vi needs none to be on).
std::vector<std::string> wanted_params(const HostView& h) {
  if (h.vendor == CpuVendor::intel) return {"intel_iommu=on", "iommu=pt"};
  return {"iommu=pt"};
}

const char* firmware_iommu_name(const HostView& h) {
  switch (h.vendor) {
    case CpuVendor::intel:
      return "VT-d (Intel Virtualization Technology for Directed I/O)";
    case CpuVendor::amd:
      return "AMD-Vi (often labelled IOMMU, under AMD CBS / NBIO)";
    case CpuVendor::other:
      break;
  }
  return "the IOMMU";
}

const char* short_iommu_name(const HostView& h) {
  switch (h.vendor) {
    case CpuVendor::intel:
      return "VT-d";
    case CpuVendor::amd:
      return "AMD-Vi";
    case CpuVendor::other:
      break;
  }
  return "the IOMMU";
}

const char* const kVmNoIommu =
    "this host is itself a virtual machine (hypervisor flag) without a virtual IOMMU";

std::string vm_iommu_fix() {
  return "give the VM an IOMMU (QEMU: `-machine q35,kernel-irqchip=split -device "
         "intel-iommu,intremap=on`; "
         "libvirt: `<iommu model='intel'><driver intremap='on'/></iommu>` under <devices> and "
         "`<ioapic driver='qemu'/>` under <features>) and add `intel_iommu=on iommu=pt` to its "
         "kernel command "
         "line, or run ptagent on the bare-metal host";
}

std::string proc_missing_fix(std::string_view path) {
  return "mount procfs (`mount -t proc proc /proc`); with --root, give a host tree that has " +
         std::string(path.substr(1));
}

}  // namespace ptagent
