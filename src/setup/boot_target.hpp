// Where this host's kernel command line for the next boot comes from, and what regenerates the
// boot loader's files, found from files on the (rooted) host: GRUB through a drop-in in
// /etc/default/grub.d (Debian's grub-mkconfig sources it), GRUB through a marked line in
// /etc/default/grub, grubby on RHEL-likes, /etc/kernel/cmdline (systemd-boot, kernel-install,
// Proxmox's proxmox-boot-tool).
#pragma once

#include <string>
#include <vector>

#include "sysfs/host_paths.hpp"

namespace ptagent {

class Root;

enum class BootConfig { grub_dropin, grub_default, grubby, kernel_cmdline, unknown };
// "grub-dropin", "grub-default", "grubby", "kernel-cmdline", "unknown".
const char* boot_config_name(BootConfig config);

struct BootTarget {
  BootConfig config = BootConfig::unknown;
  std::string file;           // the file ptagent writes or edits ("" for grubby)
  std::string grub_variable;  // GRUB_CMDLINE_LINUX_DEFAULT (Debian) or GRUB_CMDLINE_LINUX
  // The commands that make the edit count at the next boot, in order.
  std::vector<std::vector<std::string>> regenerate;
  std::string description;  // "GRUB, drop-in /etc/default/grub.d/ptagent.cfg, update-grub"
};

BootTarget detect_boot_target(const Root& root);

// Whether a program is installed on the host (/usr/sbin, /usr/bin, /sbin, /bin under the root).
bool host_has_program(const Root& root, const std::string& name);

}  // namespace ptagent
