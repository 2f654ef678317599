// modprobe.d (modprobe.d(5)) and module lists (modules-load.d(5), Debian's /etc/modules) read
// as kmod and systemd read them, with the file and line of every directive so that a check can
// name them; and the drop-in directories in their order of precedence.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ptagent {

class Root;

struct ModprobeDirective {
  std::string file;
  std::size_t line = 0;  // 1-based, the first physical line of a continued one
  std::string keyword;   // "options", "blacklist", "install", "softdep", "alias", "remove", …
  std::string module;    // the module it is about, '-' read as '_' ("vfio_pci")
  std::vector<std::string> args;  // the rest of the line, word by word
};

// A line whose first word starts with '#' is a comment (kmod: not a '#' later in the line); a
// trailing backslash continues the line.
std::vector<ModprobeDirective> parse_modprobe_conf(std::string_view text, std::string_view file);

struct ModuleListEntry {
  std::string file;
  std::size_t line = 0;
  std::string module;             // '-' read as '_'
  std::vector<std::string> args;  // /etc/modules allows parameters after the name
};

// modules-load.d and /etc/modules: one module per line, '#' and ';' start a comment line.
std::vector<ModuleListEntry> parse_module_list_file(std::string_view text, std::string_view file);

// "vfio-pci" -> "vfio_pci".
std::string normalize_module(std::string_view name);

// `install MODULE /bin/true` (or /bin/false, /usr/bin/true, `true`): the module cannot load.
bool install_disables(const ModprobeDirective& d);

// The configuration files of drop-in directories (`dirs` from the highest precedence, e.g.
// /etc/modprobe.d, /run/modprobe.d, /usr/local/lib/modprobe.d, /usr/lib/modprobe.d,
// /lib/modprobe.d): files ending in `suffix`; a name in an earlier directory masks the same name
// in a later one (a symlink to /dev/null masks it altogether); the result is ordered by file
// name, as kmod and systemd read them.
std::vector<std::string> dropin_files(const Root& root, const std::vector<std::string>& dirs,
                                      std::string_view suffix);

const std::vector<std::string>& modprobe_dirs();
const std::vector<std::string>& modules_load_dirs();

// Every directive of the host's modprobe configuration, in reading order.
std::vector<ModprobeDirective> read_modprobe_config(const Root& root);
// Every module listed to load at boot: modules-load.d, then /etc/modules.
std::vector<ModuleListEntry> read_boot_modules(const Root& root);

}  // namespace ptagent
