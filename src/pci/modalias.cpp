#include "pci/modalias.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <cstdio>

#include "pci/device.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/parse.hpp"
#include "sysfs/root.hpp"

namespace ptagent {

namespace {
bool literal_vendor(std::string_view pattern) {
  if (pattern.size() < 13 || pattern.substr(0, 5) != "pci:v") return false;
  for (char c : pattern.substr(5, 8)) {
    if (c == '*' || c == '?' || c == '[') return false;
  }
  return true;
}
}  // namespace

std::string device_modalias(const Device& d) {
  if (!d.modalias.empty()) return d.modalias;
  char buf[64];
  std::snprintf(buf, sizeof buf, "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X",
                unsigned{d.vendor_id}, unsigned{d.device_id}, unsigned{d.subsys_vendor_id},
                unsigned{d.subsys_device_id}, (d.class_code >> 16) & 0xffu,
                (d.class_code >> 8) & 0xffu, d.class_code & 0xffu);
  return buf;
}

ModuleAliases ModuleAliases::parse(std::string_view text) {
  ModuleAliases t;
  t.add(text);
  return t;
}

void ModuleAliases::add(std::string_view text) {
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    auto line = text.substr(start, nl - start);
    start = nl + 1;
    if (line.substr(0, 10) != "alias pci:") continue;
    auto words = split_words(line);
    if (words.size() != 3) continue;
    Alias a{words[1], words[2]};
    if (literal_vendor(a.pattern)) {
      by_vendor_[a.pattern.substr(5, 8)].push_back(std::move(a));
    } else {
      wildcard_.push_back(std::move(a));
    }
  }
  cache_.clear();
}

std::optional<std::string> running_modules_dir(const Root& root) {
  auto release = root.read_value(kKernelOsrelease);
  if (!release || release->empty() || release->find('/') != std::string::npos || *release == "." ||
      *release == "..") {
    return std::nullopt;
  }
  return "/lib/modules/" + *release;
}

ModuleAliases ModuleAliases::load(const Root& root) {
  ModuleAliases t;
  auto dir = running_modules_dir(root);
  if (!dir) return t;
  if (auto text = root.read(*dir + "/modules.alias")) t.add(*text);
  if (auto text = root.read(*dir + "/modules.builtin.alias")) t.add(*text);
  return t;
}

std::vector<std::string> ModuleAliases::match(const std::string& modalias) const {
  if (auto it = cache_.find(modalias); it != cache_.end()) return it->second;
  std::vector<std::string> out;
  auto consider = [&](const std::vector<Alias>& list) {
    for (const auto& a : list) {
      if (fnmatch(a.pattern.c_str(), modalias.c_str(), 0) == 0 &&
          std::find(out.begin(), out.end(), a.module) == out.end()) {
        out.push_back(a.module);
      }
    }
  };
  if (modalias.size() >= 13 && modalias.compare(0, 5, "pci:v") == 0) {
    if (auto it = by_vendor_.find(modalias.substr(5, 8)); it != by_vendor_.end())
      consider(it->second);
  }
  consider(wildcard_);
  cache_.emplace(modalias, out);
  return out;
}

}  // namespace ptagent
