// Which kernel modules could drive a device: its modalias matched against modules.alias.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ptagent {

class Root;
struct Device;

// The device's modalias: as sysfs gave it, else built from its IDs and class the way the kernel
// writes it ("pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X"), for snapshots that did not read it.
std::string device_modalias(const Device& device);

// /lib/modules/<release> of the running kernel (/proc/sys/kernel/osrelease), or nullopt when the
// release is unknown or not a plain name.
std::optional<std::string> running_modules_dir(const Root& root);

class ModuleAliases {
 public:
  // Reads /lib/modules/<osrelease>/modules.alias (and modules.builtin.alias) under root; an
  // absent file gives an empty table.
  static ModuleAliases load(const Root& root);
  // Builds a table from text, one "alias PATTERN MODULE" per line (other lines ignored).
  static ModuleAliases parse(std::string_view text);
  void add(std::string_view text);

  // Modules whose pci: alias matches, in file order, without duplicates.
  std::vector<std::string> match(const std::string& modalias) const;
  bool empty() const { return by_vendor_.empty() && wildcard_.empty(); }

 private:
  struct Alias {
    std::string pattern;
    std::string module;
  };
  std::unordered_map<std::string, std::vector<Alias>> by_vendor_;  // key: 8 hex digits
  std::vector<Alias> wildcard_;
  mutable std::unordered_map<std::string, std::vector<std::string>> cache_;
};

}  // namespace ptagent
