#include "setup/boot_target.hpp"

#include "host/host_text.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/root.hpp"

namespace ptagent {

const char* boot_config_name(BootConfig config) {
  switch (config) {
    case BootConfig::grub_dropin:
      return "grub-dropin";
    case BootConfig::grub_default:
      return "grub-default";
    case BootConfig::grubby:
      return "grubby";
    case BootConfig::kernel_cmdline:
      return "kernel-cmdline";
    case BootConfig::unknown:
      break;
  }
  return "unknown";
}

bool host_has_program(const Root& root, const std::string& name) {
  for (const char* dir : {"/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/"}) {
    if (root.exists(std::string(dir) + name)) return true;
  }
  return false;
}

BootTarget detect_boot_target(const Root& root) {
  BootTarget t;
  OsRelease os;
  if (auto text = root.read(kOsRelease)) {
    os = parse_os_release(*text);
  } else if (auto usr = root.read("/usr/lib/os-release")) {
    os = parse_os_release(*usr);
  }
  const OsFamily family = os_family(os);
  const bool grub = root.exists(kGrubDefault);
  const bool kernel_cmdline = root.exists(kKernelCmdline);
  const bool proxmox = root.exists(kProxmoxBootUuids);
  const bool uefi = root.is_dir(kEfiDir);
  const bool systemd_boot = root.exists("/boot/efi/loader/loader.conf") ||
                            root.exists("/efi/loader/loader.conf") ||
                            root.exists("/boot/loader/loader.conf");

  // Proxmox VE on UEFI boots with systemd-boot even when a GRUB package left /etc/default/grub.
  if ((kernel_cmdline || systemd_boot) && (!grub || (proxmox && uefi))) {
    t.config = BootConfig::kernel_cmdline;
    t.file = kKernelCmdline;
    if (proxmox) {
      t.regenerate = {{"proxmox-boot-tool", "refresh"}};
      t.description = "Proxmox boot (systemd-boot), /etc/kernel/cmdline, proxmox-boot-tool refresh";
    } else {
      // kernel-install of systemd 252 (Debian 12) has no add-all: one call per installed kernel.
      for (const auto& version : root.list("/lib/modules")) {
        const std::string image = "/boot/vmlinuz-" + version;
        if (root.exists(image)) t.regenerate.push_back({"kernel-install", "add", version, image});
      }
      if (t.regenerate.empty()) {
        const std::string running = root.read_value(kKernelOsrelease).value_or("");
        t.regenerate.push_back({"kernel-install", "add", running, "/boot/vmlinuz-" + running});
      }
      t.description = "systemd-boot / kernel-install, /etc/kernel/cmdline, kernel-install add";
    }
    return t;
  }
  if (!grub) {
    t.description = "no /etc/default/grub, no /etc/kernel/cmdline, no systemd-boot loader.conf";
    return t;
  }
  if (family == OsFamily::rhel && host_has_program(root, "grubby")) {
    t.config = BootConfig::grubby;
    t.grub_variable = "GRUB_CMDLINE_LINUX";
    t.description = "GRUB with BLS entries, grubby --update-kernel=ALL";
    return t;
  }
  // Debian's grub-mkconfig sources /etc/default/grub.d/*.cfg after /etc/default/grub; so does
  // any grub-mkconfig that names the directory.
  bool sources_dropins = family == OsFamily::debian;
  for (const char* mk : {"/usr/sbin/grub-mkconfig", "/usr/sbin/grub2-mkconfig"}) {
    if (auto text = root.read(mk)) {
      if (text->find("default/grub.d") != std::string::npos) sources_dropins = true;
    }
  }
  t.grub_variable =
      family == OsFamily::debian ? "GRUB_CMDLINE_LINUX_DEFAULT" : "GRUB_CMDLINE_LINUX";
  if (sources_dropins) {
    t.config = BootConfig::grub_dropin;
    t.file = kGrubDropin;
  } else {
    t.config = BootConfig::grub_default;
    t.file = kGrubDefault;
  }
  if (proxmox) {
    t.regenerate = {{"proxmox-boot-tool", "refresh"}};
  } else if (family == OsFamily::debian || host_has_program(root, "update-grub")) {
    t.regenerate = {{"update-grub"}};
  } else if (family == OsFamily::rhel || root.is_dir("/boot/grub2") ||
             host_has_program(root, "grub2-mkconfig")) {
    // RHEL 9 and Fedora 34+ keep one /boot/grub2/grub.cfg for BIOS and UEFI (the EFI one is a
    // stub that chains to it); older UEFI installs use the EFI partition's own.
    std::string cfg = "/boot/grub2/grub.cfg";
    const std::string efi = "/boot/efi/EFI/" + efi_dir_for(os.id) + "/grub.cfg";
    if (uefi) {
      auto text = root.read(efi);
      if (text && text->find("configfile") == std::string::npos) cfg = efi;
    }
    t.regenerate = {{"grub2-mkconfig", "-o", cfg}};
  } else {
    t.regenerate = {{"grub-mkconfig", "-o", "/boot/grub/grub.cfg"}};
  }
  t.description = std::string("GRUB, ") +
                  (sources_dropins ? "drop-in " + std::string(kGrubDropin)
                                   : "marked line in /etc/default/grub") +
                  ", " + t.regenerate[0][0];
  return t;
}

}  // namespace ptagent
