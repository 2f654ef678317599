#include "host/host_text.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include "sysfs/parse.hpp"
#include "sysfs/procfs.hpp"

namespace ptagent {

namespace {

bool parse_small_int(std::string_view s, int& out) {
  if (s.empty() || s.size() > 6 || s.front() < '0' || s.front() > '9') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 10);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string unquote(std::string_view v) {
  v = trim(v);
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    v = v.substr(1, v.size() - 2);
  }
  return std::string(v);
}

}  // namespace

CpuVendor cpu_vendor_of(std::string_view vendor_id) {
  vendor_id = trim(vendor_id);
  if (vendor_id == "GenuineIntel") return CpuVendor::intel;
  if (vendor_id == "AuthenticAMD" || vendor_id == "HygonGenuine") return CpuVendor::amd;
  return CpuVendor::other;
}

CpuVendor iommu_vendor_of(const std::vector<std::string>& iommu_units, CpuVendor cpu) {
  for (const auto& unit : iommu_units) {
    if (unit.rfind("dmar", 0) == 0) return CpuVendor::intel;
    if (unit.rfind("ivhd", 0) == 0) return CpuVendor::amd;
  }
  return cpu;
}

std::optional<KernelVersion> parse_kernel_release(std::string_view release) {
  release = trim(release);
  auto dot = release.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::size_t end = dot + 1;
  while (end < release.size() && release[end] >= '0' && release[end] <= '9') ++end;
  KernelVersion v;
  if (!parse_small_int(release.substr(0, dot), v.major) ||
      !parse_small_int(release.substr(dot + 1, end - dot - 1), v.minor)) {
    return std::nullopt;
  }
  // After "MAJOR.MINOR" only ".", "-", "+" or the end may follow ("6.1.0-13", "6.2-rc1").
  if (end < release.size() && release[end] != '.' && release[end] != '-' && release[end] != '+') {
    return std::nullopt;
  }
  return v;
}

bool kernel_has_vfio_virqfd(KernelVersion v) {
  return v.major < 6 || (v.major == 6 && v.minor < 2);
}

std::string module_name_of(std::string_view path) {
  path = trim(path);
  auto slash = path.rfind('/');
  if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  for (std::string_view ext : {".ko", ".o"}) {
    auto pos = path.find(ext);
    // ".ko" at the end or followed by a compression suffix (".ko.xz", ".ko.zst").
    if (pos != std::string_view::npos &&
        (pos + ext.size() == path.size() || path[pos + ext.size()] == '.')) {
      path = path.substr(0, pos);
      break;
    }
  }
  std::string out(path);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

std::vector<std::string> parse_module_list(std::string_view text) {
  std::vector<std::string> out;
  for (auto line : lines_of(text)) {
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    std::string name = module_name_of(line);
    if (!name.empty()) out.push_back(std::move(name));
  }
  return out;
}

std::vector<std::string> kernel_params(std::string_view cmdline) {
  auto all = parse_cmdline(cmdline);
  all.erase(std::find(all.begin(), all.end(), "--"), all.end());
  return all;
}

OsRelease parse_os_release(std::string_view text) {
  OsRelease os;
  for (auto line : lines_of(text)) {
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    auto key = line.substr(0, eq);
    std::string value = unquote(line.substr(eq + 1));
    if (key == "ID") {
      os.id = value;
    } else if (key == "ID_LIKE") {
      os.id_like = split_words(value);
    } else if (key == "PRETTY_NAME") {
      os.pretty_name = value;
    }
  }
  return os;
}

OsFamily os_family(const OsRelease& os) {
  static const std::set<std::string, std::less<>> debian = {"debian", "ubuntu"};
  static const std::set<std::string, std::less<>> rhel = {"rhel", "fedora", "centos"};
  auto is = [&](const std::set<std::string, std::less<>>& family) {
    if (family.count(os.id)) return true;
    for (const auto& like : os.id_like) {
      if (family.count(like)) return true;
    }
    return false;
  };
  if (is(debian)) return OsFamily::debian;
  if (is(rhel)) return OsFamily::rhel;
  return OsFamily::other;
}

std::string grub_variable_with(std::string_view grub_default, std::string_view param) {
  std::string found;
  for (auto line : lines_of(grub_default)) {
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    auto key = trim(line.substr(0, eq));
    if (key != "GRUB_CMDLINE_LINUX" && key != "GRUB_CMDLINE_LINUX_DEFAULT") continue;
    for (const auto& word : split_words(unquote(line.substr(eq + 1)))) {
      if (word == param) found = std::string(key);
    }
  }
  return found;
}

// The EFI system partition directory of a distribution ("rhel" installs into EFI/redhat).
std::string efi_dir_for(const std::string& os_id) {
  if (os_id.empty()) return "fedora";
  return os_id == "rhel" ? "redhat" : os_id;
}

}  // namespace ptagent
