#include "pci/vfio_variant.hpp"

#include <fnmatch.h>

#include <algorithm>

#include "pci/device.hpp"
#include "pci/modalias.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/parse.hpp"
#include "sysfs/root.hpp"

namespace ptagent {

namespace {
constexpr std::string_view kPrefix = "vfio_pci:";
constexpr std::string_view kGeneric = "vfio_pci";
// vfio-pci taken without a listed alias matches like its catch-all, every field a wildcard.
constexpr unsigned kCatchAllWildcards = 7;
}  // namespace

unsigned alias_wildcards(std::string_view pattern) {
  return static_cast<unsigned>(std::count(pattern.begin(), pattern.end(), '*'));
}

bool is_vfio_variant_driver(const Root& root, std::string_view driver) {
  if (driver.empty() || driver == "vfio-pci" || driver == "pci-stub") return false;
  std::string module = root.link_name(pci_driver_dir(driver) + "/module").value_or("");
  if (module.empty()) {
    module = std::string(driver);
    std::replace(module.begin(), module.end(), '-', '_');
  }
  if (module.find('/') != std::string::npos || module == "vfio_pci") return false;
  const std::string holders = module_dir("vfio_pci_core") + "/holders";
  if (root.is_dir(holders)) return root.exists(holders + "/" + module);
  auto dir = running_modules_dir(root);
  if (!dir) return false;
  auto text = root.read(*dir + "/modules.builtin.alias");
  return text && VfioAliases::parse(*text).has_module(module);
}

std::optional<std::string> vfio_device_cdev(const Root& root, const Device& d) {
  for (const auto& name : root.list(d.sysfs_link() + "/vfio-dev")) {
    if (name.size() > 4 && name.compare(0, 4, "vfio") == 0 &&
        std::all_of(name.begin() + 4, name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return "/dev/vfio/devices/" + name;
    }
  }
  return std::nullopt;
}

VfioAliases VfioAliases::parse(std::string_view text) {
  VfioAliases t;
  t.add(text);
  return t;
}

void VfioAliases::add(std::string_view text) {
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    auto line = text.substr(start, nl - start);
    start = nl + 1;
    auto words = split_words(line);
    if (words.size() != 3 || words[0] != "alias") continue;
    if (words[1].compare(0, kPrefix.size(), kPrefix) != 0) continue;
    const unsigned w = alias_wildcards(words[1]);
    aliases_.push_back({std::move(words[1]), std::move(words[2]), w});
  }
}

VfioAliases VfioAliases::load(const Root& root) {
  VfioAliases t;
  if (auto dir = running_modules_dir(root)) {
    if (auto text = root.read(*dir + "/modules.alias")) t.add(*text);
    if (auto text = root.read(*dir + "/modules.builtin.alias")) t.add(*text);
  }
  std::vector<std::string> modules;
  for (const auto& a : t.aliases_) {
    if (std::find(modules.begin(), modules.end(), a.module) == modules.end())
      modules.push_back(a.module);
  }
  // A loaded module names its PCI driver under /sys/module/<module>/drivers/pci:<name>.
  for (const auto& m : modules) {
    for (const auto& entry : root.list(module_dir(m) + "/drivers")) {
      if (entry.rfind("pci:", 0) == 0 && entry.size() > 4) t.set_driver(m, entry.substr(4));
    }
  }
  return t;
}

void VfioAliases::set_driver(std::string module, std::string driver) {
  drivers_[std::move(module)] = std::move(driver);
}

std::string VfioAliases::driver_of(std::string_view module) const {
  if (auto it = drivers_.find(module); it != drivers_.end()) return it->second;
  if (module == kGeneric) return "vfio-pci";
  return std::string(module);
}

bool VfioAliases::has_module(std::string_view module) const {
  return std::any_of(aliases_.begin(), aliases_.end(),
                     [&](const Alias& a) { return a.module == module; });
}

std::vector<VfioCandidate> VfioAliases::candidates(std::string_view modalias) const {
  std::vector<VfioCandidate> out;
  if (modalias.substr(0, 4) != "pci:") return out;
  const std::string subject = "vfio_" + std::string(modalias);
  for (const auto& a : aliases_) {
    if (fnmatch(a.pattern.c_str(), subject.c_str(), 0) != 0) continue;
    auto same = std::find_if(out.begin(), out.end(),
                             [&](const VfioCandidate& c) { return c.module == a.module; });
    if (same != out.end()) {
      // A module with several matching aliases ranks by its most specific one.
      if (a.wildcards < same->wildcards) {
        same->wildcards = a.wildcards;
        same->alias = a.pattern;
      }
      continue;
    }
    out.push_back({a.module, driver_of(a.module), a.pattern, a.wildcards});
  }
  if (std::none_of(out.begin(), out.end(),
                   [](const VfioCandidate& c) { return c.module == kGeneric; })) {
    out.push_back({std::string(kGeneric), driver_of(kGeneric), "", kCatchAllWildcards});
  }
  // Fewest wildcards first; equal ones keep file order.
  std::stable_sort(out.begin(), out.end(), [](const VfioCandidate& a, const VfioCandidate& b) {
    return a.wildcards < b.wildcards;
  });
  return out;
}

const VfioCandidate* VfioChoice::find(std::string_view name) const {
  for (const auto& c : candidates) {
    if (c.driver == name || c.module == name) return &c;
  }
  return nullptr;
}

std::string VfioChoice::names() const {
  std::string out;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (i) out += ", ";
    out += candidates[i].driver;
    if (i == 0 && candidates.size() > 1) out += " (best)";
  }
  return out;
}

VfioChoice vfio_choice(const Device& device, const VfioAliases& aliases) {
  VfioChoice c;
  if (is_infrastructure(device)) return c;
  c.candidates = aliases.candidates(device_modalias(device));
  if (device.driver && c.find(*device.driver)) c.current = device.driver;
  return c;
}

}  // namespace ptagent
