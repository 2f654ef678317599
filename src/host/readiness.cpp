#include "host/readiness.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include "host/config_audit.hpp"
#include "sysfs/parse.hpp"
#include "sysfs/procfs.hpp"
#include "sysfs/root.hpp"

namespace ptagent {

const char* check_status_name(CheckStatus status) {
  switch (status) {
    case CheckStatus::pass:
      return "PASS";
    case CheckStatus::warn:
      return "WARN";
    case CheckStatus::fail:
      return "FAIL";
    case CheckStatus::skip:
      return "SKIP";
  }
  return "SKIP";
}

CheckSummary summarize(const std::vector<Check>& checks) {
  CheckSummary s;
  for (const auto& c : checks) {
    switch (c.status) {
      case CheckStatus::pass:
        ++s.pass;
        break;
      case CheckStatus::warn:
        ++s.warn;
        break;
      case CheckStatus::fail:
        ++s.fail;
        break;
      case CheckStatus::skip:
        ++s.skip;
        break;
    }
  }
  return s;
}

// ---------------------------------------------------------------------------
// Pure helpers

namespace {

bool parse_small_int(std::string_view s, int& out) {
  if (s.empty() || s.size() > 6 || s.front() < '0' || s.front() > '9') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 10);
  return ec == std::errc() && p == s.data() + s.size();
}

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

std::string unquote(std::string_view v) {
  v = trim(v);
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    v = v.substr(1, v.size() - 2);
  }
  return std::string(v);
}

// A single path component that cannot climb out of its directory.
bool safe_component(std::string_view s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string_view::npos &&
         s.find('\0') == std::string_view::npos;
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

// ---------------------------------------------------------------------------
// Gathering facts from a tree

namespace {

// The EFI system partition directory of a distribution ("rhel" installs into EFI/redhat).
std::string efi_dir_for(const std::string& os_id) {
  return os_id == "rhel" ? "redhat" : os_id;
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

// ---------------------------------------------------------------------------
// Evaluation

namespace {

enum class BootLoader { grub, systemd_boot, unknown };
enum class Initramfs { update_initramfs, dracut, unknown };

// Everything the checks share, derived once from the facts.
struct HostView {
  explicit HostView(const HostFacts& facts) : f(facts) {}
  const HostFacts& f;
  // The IOMMU's vendor (iommu_vendor_of), else the CPU's.
  CpuVendor vendor = CpuVendor::other;
  CpuVendor cpu = CpuVendor::other;  // from /proc/cpuinfo; KVM's vmx/svm and the CPU check use it
  std::string vendor_id;
  std::string model_name;
  bool hypervisor = false;
  bool vmx = false;
  bool svm = false;
  std::optional<std::vector<std::string>> params;  // nullopt: /proc/cmdline unreadable
  std::string release;                             // "" when unknown
  std::optional<KernelVersion> kver;
  OsRelease os;
  OsFamily family = OsFamily::other;
  BootLoader loader = BootLoader::unknown;
  Initramfs initramfs = Initramfs::unknown;
  std::string grub_cfg;  // grub2-mkconfig target (RHEL-like)
  bool iommu_on = false;
  std::set<std::string> builtin;
  std::set<std::string> order;  // modules built as .ko (when modules.order is readable)
  std::set<std::string> loaded;
};

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

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

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

const char* kVmNoIommu =
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

Check make(std::string id, CheckStatus status, std::string title, std::string evidence,
           std::string fix = {}) {
  return Check{std::move(id), status, std::move(title), std::move(evidence),
               status == CheckStatus::pass ? std::string() : std::move(fix)};
}

// ---- the checks ----

Check check_cpu(const HostView& h) {
  const char* title = "CPU vendor";
  if (!h.f.cpuinfo) {
    return make("cpu", CheckStatus::skip, title,
                "cannot read /proc/cpuinfo: the advice below assumes an Intel CPU",
                proc_missing_fix("/proc/cpuinfo"));
  }
  std::string who = h.vendor_id.empty() ? std::string("no vendor_id") : h.vendor_id;
  if (!h.model_name.empty()) who += " (" + h.model_name + ")";
  const std::string vm = h.hypervisor ? "; runs as a virtual machine (hypervisor flag)" : "";
  if (h.vendor != h.cpu && h.vendor != CpuVendor::other && h.cpu != CpuVendor::other) {
    std::string units;
    for (const auto& u : h.f.iommu_units) units += (units.empty() ? "" : ", ") + u;
    return make("cpu", CheckStatus::pass, title,
                who + "; the IOMMU present is " + short_iommu_name(h) + " (" + units +
                    " under /sys/class/iommu), so its advice follows" + vm);
  }
  switch (h.cpu) {
    case CpuVendor::intel:
      return make("cpu", CheckStatus::pass, title,
                  who + ": Intel VT-d, enabled with intel_iommu=on" + vm);
    case CpuVendor::amd:
      return make("cpu", CheckStatus::pass, title,
                  who + ": AMD-Vi, on by default (amd_iommu=on is accepted but not needed)" + vm);
    case CpuVendor::other:
      break;
  }
  return make(
      "cpu", CheckStatus::warn, title,
      who + " in /proc/cpuinfo: neither Intel nor AMD, so the IOMMU advice below is generic" + vm,
      "enable the platform's IOMMU (on Arm: the SMMU) in the firmware and check the kernel "
      "documentation "
      "for its parameters");
}

Check check_bootloader(const HostView& h) {
  const char* title = "Boot loader and initramfs tool";
  std::string os =
      h.os.id.empty() ? std::string("unknown OS (no /etc/os-release)") : "ID=" + h.os.id;
  if (!h.os.id_like.empty()) os += " ID_LIKE=" + join(h.os.id_like, ",");
  const std::string fw = h.f.uefi ? "UEFI" : "BIOS";
  std::string initrd;
  switch (h.initramfs) {
    case Initramfs::update_initramfs:
      initrd = "initramfs: update-initramfs";
      break;
    case Initramfs::dracut:
      initrd = "initramfs: dracut";
      break;
    case Initramfs::unknown:
      initrd = "initramfs tool unknown";
      break;
  }
  switch (h.loader) {
    case BootLoader::grub: {
      std::string how;
      if (h.family == OsFamily::debian) {
        how = "GRUB_CMDLINE_LINUX_DEFAULT + update-grub";
      } else if (h.family == OsFamily::rhel) {
        how = "GRUB_CMDLINE_LINUX + grub2-mkconfig -o " + h.grub_cfg;
        if (h.f.uefi && h.grub_cfg == "/boot/grub2/grub.cfg") {
          how += " (one grub.cfg for BIOS and UEFI, as on RHEL 9 and Fedora 34+)";
        }
      } else {
        how = "GRUB_CMDLINE_LINUX_DEFAULT + grub-mkconfig -o /boot/grub/grub.cfg";
      }
      return make("bootloader", CheckStatus::pass, title,
                  "GRUB (/etc/default/grub), " + os + ", " + fw + ": kernel parameters via " + how +
                      "; " + initrd);
    }
    case BootLoader::systemd_boot:
      return make(
          "bootloader", CheckStatus::pass, title,
          "systemd-boot (/etc/kernel/cmdline), " + os + ", " + fw + ": kernel parameters via " +
              (h.f.proxmox_boot ? "proxmox-boot-tool refresh" : "kernel-install") + "; " + initrd);
    case BootLoader::unknown:
      break;
  }
  std::string fix = "set kernel parameters wherever this host's kernel command line comes from";
  if (h.hypervisor)
    fix +=
        " (this is a virtual machine: if its hypervisor boots the kernel directly, in the VM's "
        "configuration)";
  return make("bootloader", CheckStatus::warn, title,
              "no /etc/default/grub and no /etc/kernel/cmdline, " + os + ", " + fw +
                  ": cannot tell how this host's kernel command line is set; " + initrd,
              fix);
}

Check check_iommu_cmdline(const HostView& h) {
  const char* title = "IOMMU kernel parameters";
  if (!h.params) {
    return make("iommu-cmdline", CheckStatus::skip, title, "cannot read /proc/cmdline",
                proc_missing_fix("/proc/cmdline"));
  }
  std::vector<std::string> seen;
  for (const char* name : {"intel_iommu", "amd_iommu", "iommu", "intremap"}) {
    if (has_param(h, name)) seen.push_back(param_word(h, name));
  }
  const std::string shown = seen.empty() ? std::string("no IOMMU parameters") : join(seen, " ");
  const std::string pt =
      param_has_option(h, "iommu", "pt")
          ? std::string()
          : " (iommu=pt is not set: optional, it spares the host's own devices DMA translation)";
  const auto off = disabling_params(h);
  if (!off.empty()) {
    return make("iommu-cmdline", CheckStatus::fail, title,
                "/proc/cmdline has " + shown + ": " + join(off, " and ") + " turns the IOMMU off",
                cmdline_fix(h, wanted_params(h), off));
  }
  if (h.vendor == CpuVendor::intel && !param_has_option(h, "intel_iommu", "on")) {
    if (h.iommu_on) {
      return make("iommu-cmdline", CheckStatus::pass, title,
                  "/proc/cmdline has " + shown +
                      ": no intel_iommu=on, but this kernel enables VT-d by default" + pt);
    }
    return make("iommu-cmdline", CheckStatus::fail, title,
                "/proc/cmdline has " + shown +
                    ": intel_iommu=on is missing, and Intel VT-d is off without it",
                cmdline_fix(h, wanted_params(h), {}));
  }
  if (h.vendor == CpuVendor::intel) {
    return make("iommu-cmdline", CheckStatus::pass, title, "/proc/cmdline has " + shown + pt);
  }
  if (h.vendor == CpuVendor::amd) {
    return make(
        "iommu-cmdline", CheckStatus::pass, title,
        "/proc/cmdline has " + shown + ": nothing turns AMD-Vi off (it is on by default)" + pt);
  }
  return make("iommu-cmdline", CheckStatus::pass, title,
              "/proc/cmdline has " + shown + ": nothing turns the IOMMU off" + pt);
}

Check check_iommu(const HostView& h) {
  const char* title = "IOMMU enabled";
  const auto& units = h.f.iommu_units;
  if (h.iommu_on) {
    return make("iommu", CheckStatus::pass, title,
                std::string(units.size() == 1 ? "IOMMU unit " : "IOMMU units ") +
                    join(units, ", ") + " under /sys/class/iommu");
  }
  std::string seen;
  if (!units.empty()) {
    seen =
        "IOMMU hardware (" + join(units, ", ") + ") but no groups under /sys/kernel/iommu_groups";
  } else if (h.f.iommu_groups == 0) {
    seen = "no IOMMU: /sys/class/iommu and /sys/kernel/iommu_groups are empty";
  } else {
    seen = "no IOMMU: /sys/class/iommu is empty";
  }
  const auto off = disabling_params(h);
  if (!off.empty()) {
    return make("iommu", CheckStatus::fail, title,
                seen + "; " + join(off, " and ") + " on the kernel command line turns it off",
                cmdline_fix(h, wanted_params(h), off));
  }
  if (h.hypervisor)
    return make("iommu", CheckStatus::fail, title, seen + "; " + kVmNoIommu, vm_iommu_fix());
  const std::string firmware =
      std::string("enable ") + firmware_iommu_name(h) + " in the firmware setup";
  if (!h.params) {
    return make(
        "iommu", CheckStatus::fail, title, seen + " (cannot read /proc/cmdline to tell why)",
        firmware + ", and check the kernel command line: " + cmdline_fix(h, wanted_params(h), {}));
  }
  if (h.vendor == CpuVendor::intel && !param_has_option(h, "intel_iommu", "on")) {
    return make("iommu", CheckStatus::fail, title,
                seen + "; intel_iommu=on is not on the kernel command line",
                firmware + ", then " + cmdline_fix(h, wanted_params(h), {}));
  }
  const std::string allowed =
      h.vendor == CpuVendor::intel
          ? std::string(" although the kernel command line has intel_iommu=on")
          : std::string(" although nothing on the kernel command line turns it off");
  return make("iommu", CheckStatus::fail, title,
              seen + allowed + ": the firmware has " + short_iommu_name(h) +
                  " disabled, or the platform lacks it",
              firmware + " and reboot");
}

Check check_iommu_groups(const HostView& h) {
  const char* title = "IOMMU groups present";
  const std::size_t n = h.f.iommu_groups;
  if (n > 0 && !h.f.iommu_units.empty()) {
    return make("iommu-groups", CheckStatus::pass, title,
                std::to_string(n) + " IOMMU group" + (n == 1 ? "" : "s") +
                    " under /sys/kernel/iommu_groups");
  }
  if (n > 0) {
    return make(
        "iommu-groups", CheckStatus::fail, title,
        std::to_string(n) +
            " entries under /sys/kernel/iommu_groups but no IOMMU under /sys/class/iommu",
        "follow the fix of the iommu check: groups only isolate once an IOMMU is registered");
  }
  return make("iommu-groups", CheckStatus::fail, title,
              "no IOMMU groups under /sys/kernel/iommu_groups",
              "none until the IOMMU is on: follow the fix of the iommu check; the kernel creates "
              "the groups at boot");
}

// Where vfio_iommu_type1.allow_unsafe_interrupts is turned on, or nullopt when it is not.
std::optional<std::string> unsafe_interrupts_source(const HostView& h) {
  if (h.f.unsafe_interrupts_param) {
    const std::string& v = *h.f.unsafe_interrupts_param;
    if (v == "Y" || v == "y" || v == "1")
      return "allow_unsafe_interrupts=" + v + " in /sys/module/vfio_iommu_type1/parameters";
    return std::nullopt;  // the live value wins over the command line and modprobe.d
  }
  const std::string v = param_value(h, "vfio_iommu_type1.allow_unsafe_interrupts");
  if (v == "1" || v == "Y" || v == "y")
    return "vfio_iommu_type1.allow_unsafe_interrupts=" + v + " on the kernel command line";
  if (!h.f.modprobe_unsafe.empty())
    return "allow_unsafe_interrupts=1 in " + join(h.f.modprobe_unsafe, ", ");
  return std::nullopt;
}

std::size_t remapped_lines(std::string_view interrupts) {
  std::size_t n = 0;
  for (auto line : lines_of(interrupts)) {
    if (interrupts_show_remapping(line)) ++n;
  }
  return n;
}

Check check_interrupt_remapping(const HostView& h) {
  const char* title = "Interrupt remapping";
  if (!h.iommu_on) {
    return make("interrupt-remapping", CheckStatus::skip, title, "needs the IOMMU, which is off",
                "comes with the IOMMU: follow the fix of the iommu check");
  }
  if (!h.f.interrupts) {
    return make("interrupt-remapping", CheckStatus::skip, title, "cannot read /proc/interrupts",
                proc_missing_fix("/proc/interrupts"));
  }
  const std::size_t n = remapped_lines(*h.f.interrupts);
  if (n > 0) {
    return make("interrupt-remapping", CheckStatus::pass, title,
                std::to_string(n) + " interrupt" + (n == 1 ? "" : "s") +
                    " remapped (IR- entries in /proc/interrupts)");
  }
  if (param_has_option(h, "intremap", "off")) {
    return make("interrupt-remapping", CheckStatus::fail, title,
                "no IR- entries in /proc/interrupts: intremap=off on the kernel command line turns "
                "remapping off",
                cmdline_fix(h, {}, {param_word(h, "intremap")}));
  }
  std::string enable = std::string("enable interrupt remapping in the firmware setup (") +
                       (h.vendor == CpuVendor::amd ? "IOMMU / AMD-Vi" : "VT-d, with x2APIC") + ")";
  if (h.hypervisor) {
    enable =
        "give this VM's IOMMU interrupt remapping (QEMU: `intel-iommu,intremap=on` with "
        "`kernel-irqchip=split`)";
  }
  if (auto src = unsafe_interrupts_source(h)) {
    return make(
        "interrupt-remapping", CheckStatus::warn, title,
        "no IR- entries in /proc/interrupts; vfio accepts that only because of " + *src,
        enable +
            ", then drop allow_unsafe_interrupts (the unsafe-interrupts check explains the risk)");
  }
  return make("interrupt-remapping", CheckStatus::fail, title,
              "no IR- entries in /proc/interrupts: vfio_iommu_type1 refuses to assign devices "
              "without interrupt remapping",
              enable + "; if the platform has none: " +
                  cmdline_fix(h, {"vfio_iommu_type1.allow_unsafe_interrupts=1"}, {}) +
                  " (at the risk the unsafe-interrupts check explains)");
}

Check check_unsafe_interrupts(const HostView& h) {
  const char* title = "vfio unsafe interrupts not allowed";
  const auto src = unsafe_interrupts_source(h);
  if (!src) {
    if (!h.params && !h.f.unsafe_interrupts_param) {
      return make(
          "unsafe-interrupts", CheckStatus::skip, title,
          "cannot read /proc/cmdline, and vfio_iommu_type1 is not loaded to show its parameter",
          proc_missing_fix("/proc/cmdline"));
    }
    return make("unsafe-interrupts", CheckStatus::pass, title,
                h.f.unsafe_interrupts_param
                    ? "allow_unsafe_interrupts=" + *h.f.unsafe_interrupts_param +
                          " in /sys/module/vfio_iommu_type1/parameters"
                    : std::string("vfio_iommu_type1.allow_unsafe_interrupts is not set"));
  }
  const bool remapping = h.iommu_on && h.f.interrupts && remapped_lines(*h.f.interrupts) > 0;
  std::string fix =
      "risk: without interrupt remapping a guest can make its device write MSI messages that the "
      "host takes as "
      "interrupts of other devices (interrupt injection into the host and other guests); ";
  fix += remapping ? "this host has interrupt remapping, so the setting is not needed: "
                   : "it is needed only while this host has no interrupt remapping: assign devices "
                     "only to trusted "
                     "guests, or enable remapping and then ";
  std::vector<std::string> how;
  if (has_param(h, "vfio_iommu_type1.allow_unsafe_interrupts")) {
    how.push_back(cmdline_fix(h, {}, {param_word(h, "vfio_iommu_type1.allow_unsafe_interrupts")}));
  }
  for (const auto& file : h.f.modprobe_unsafe)
    how.push_back("delete allow_unsafe_interrupts=1 from " + file);
  if (how.empty()) {
    how.push_back(
        "find where it is set (`grep -r allow_unsafe_interrupts /etc/modprobe.d /proc/cmdline`) "
        "and remove it");
  } else if (!h.f.modprobe_unsafe.empty() && h.initramfs != Initramfs::unknown) {
    how.back() += " and run `" + std::string(initramfs_command(h)) + "`";
  }
  fix += join(how, "; ");
  return make("unsafe-interrupts", CheckStatus::warn, title, *src, fix);
}

Check check_acs_override(const HostView& h) {
  const char* title = "No ACS override";
  if (!h.params) {
    return make("acs-override", CheckStatus::skip, title, "cannot read /proc/cmdline",
                proc_missing_fix("/proc/cmdline"));
  }
  if (!has_param(h, "pcie_acs_override")) {
    return make("acs-override", CheckStatus::pass, title,
                "no pcie_acs_override on the kernel command line: the IOMMU groups reflect the "
                "hardware's isolation");
  }
  const std::string word = param_word(h, "pcie_acs_override");
  return make("acs-override", CheckStatus::warn, title,
              word +
                  " on the kernel command line (an out-of-tree kernel patch): the IOMMU groups "
                  "look smaller than "
                  "the real isolation",
              "groups are not real isolation here: devices split apart by the override can still "
              "reach each other "
              "by peer-to-peer DMA, so give such devices only to trusted guests; for real "
              "isolation, move the device "
              "to a slot behind an ACS-capable root port and " +
                  cmdline_fix(h, {}, {word}));
}

enum class ModState { builtin, loaded, missing };

ModState module_state(const HostView& h, const std::string& name) {
  if (h.builtin.count(name)) return ModState::builtin;
  if (h.loaded.count(name)) return ModState::loaded;
  return ModState::missing;
}

std::string describe_module(const std::string& name, ModState state) {
  switch (state) {
    case ModState::builtin:
      return name + " built in";
    case ModState::loaded:
      return name + " loaded";
    case ModState::missing:
      break;
  }
  return name + " missing";
}

// The modules vfio needs on this kernel, in load order.
std::vector<std::string> vfio_module_names(const HostView& h) {
  std::vector<std::string> names = {"vfio", "vfio_iommu_type1", "vfio_pci"};
  if (h.kver && kernel_has_vfio_virqfd(*h.kver)) names.insert(names.begin() + 1, "vfio_virqfd");
  return names;
}

// Load now, and at every boot (including from the initramfs).
std::string modules_fix(const HostView& h, const std::vector<std::string>& missing) {
  const std::vector<std::string> all = vfio_module_names(h);
  std::string out = "load now: `modprobe -a " + join(missing, " ") + "`; at every boot: list " +
                    join(all, ", ") + " one per line in /etc/modules-load.d/vfio.conf";
  switch (h.initramfs) {
    case Initramfs::update_initramfs:
      out += ", then run `update-initramfs -u -k all`";
      break;
    case Initramfs::dracut:
      out += ", put `add_drivers+=\" " + join(all, " ") +
             " \"` in /etc/dracut.conf.d/vfio.conf, then run `dracut -f`";
      break;
    case Initramfs::unknown:
      out += ", then rebuild the initramfs";
      break;
  }
  return out;
}

Check check_vfio_modules(const HostView& h) {
  const char* title = "vfio modules loaded or built in";
  std::vector<std::string> states, missing;
  for (const std::string name : {"vfio", "vfio_iommu_type1", "vfio_pci"}) {
    const ModState s = module_state(h, name);
    states.push_back(describe_module(name, s));
    if (s == ModState::missing) missing.push_back(name);
  }
  std::string evidence = join(states, ", ");
  if (missing.empty()) return make("vfio-modules", CheckStatus::pass, title, evidence);

  if (h.release.empty()) {
    evidence += " (no /proc/sys/kernel/osrelease: modules.builtin not consulted)";
  } else if (!h.f.modules_builtin) {
    evidence += " (no /lib/modules/" + h.release + "/modules.builtin to tell built-in modules)";
  }
  if (!h.release.empty() && !h.f.modules_dir) {
    return make(
        "vfio-modules", CheckStatus::fail, title, evidence,
        "this kernel (" + h.release + ") has no module tree at /lib/modules/" + h.release +
            ": install the modules of this kernel, or boot a kernel built with CONFIG_VFIO, "
            "CONFIG_VFIO_IOMMU_TYPE1 and CONFIG_VFIO_PCI");
  }
  if (h.f.modules_order) {
    std::vector<std::string> absent;
    for (const auto& m : missing) {
      if (!h.order.count(m)) absent.push_back(m);
    }
    if (!absent.empty()) {
      return make(
          "vfio-modules", CheckStatus::fail, title,
          evidence + "; this kernel was built without " + join(absent, ", "),
          "boot a kernel built with CONFIG_VFIO, CONFIG_VFIO_IOMMU_TYPE1 and CONFIG_VFIO_PCI");
    }
  }
  return make("vfio-modules", CheckStatus::fail, title, evidence, modules_fix(h, missing));
}

Check check_vfio_virqfd(const HostView& h) {
  const char* title = "vfio_virqfd module (kernels before 6.2)";
  if (!h.kver) {
    return make("vfio-virqfd", CheckStatus::skip, title,
                h.release.empty()
                    ? std::string("kernel release unknown (cannot read /proc/sys/kernel/osrelease)")
                    : "kernel release '" + h.release + "' not understood");
  }
  const std::string kernel = "kernel " + h.release;
  if (!kernel_has_vfio_virqfd(*h.kver)) {
    return make("vfio-virqfd", CheckStatus::skip, title,
                kernel + ": vfio_virqfd is part of vfio since 6.2");
  }
  const ModState s = module_state(h, "vfio_virqfd");
  if (s != ModState::missing) {
    return make("vfio-virqfd", CheckStatus::pass, title,
                kernel + ": " + describe_module("vfio_virqfd", s));
  }
  // vfio_pci cannot load without its vfio_virqfd dependency: present without it means this kernel
  // has virqfd inside vfio (a backport); so does a modules.order that lacks it.
  if (module_state(h, "vfio_pci") != ModState::missing) {
    return make("vfio-virqfd", CheckStatus::skip, title,
                kernel +
                    ": vfio_pci is present without a separate vfio_virqfd, so this kernel has it "
                    "inside vfio");
  }
  if (h.f.modules_order && !h.order.count("vfio_virqfd")) {
    return make("vfio-virqfd", CheckStatus::skip, title,
                kernel + ": modules.order has no vfio_virqfd, so this kernel has it inside vfio");
  }
  const std::string evidence = kernel + ": vfio_virqfd missing (vfio_pci needs it before 6.2)";
  if (!h.f.modules_dir) {
    return make("vfio-virqfd", CheckStatus::fail, title, evidence,
                "install the modules of this kernel (see the vfio-modules check)");
  }
  // Loading vfio_pci pulls vfio_virqfd in: one fix, given by vfio-modules, covers both.
  return make("vfio-virqfd", CheckStatus::fail, title, evidence,
              "loaded with vfio_pci as its dependency: follow the fix of the vfio-modules check, "
              "whose list "
              "includes vfio_virqfd");
}

Check check_vfio_device(const HostView& h) {
  const char* title = "/dev/vfio/vfio present";
  if (h.f.dev_vfio) return make("vfio-device", CheckStatus::pass, title, "/dev/vfio/vfio exists");
  if (module_state(h, "vfio") != ModState::missing) {
    return make("vfio-device", CheckStatus::fail, title,
                "/dev/vfio/vfio is missing although vfio is loaded or built in",
                "mount devtmpfs on /dev (`mount -t devtmpfs devtmpfs /dev`), or create the node: "
                "`mkdir -p /dev/vfio && mknod /dev/vfio/vfio c 10 196`");
  }
  return make("vfio-device", CheckStatus::fail, title,
              "/dev/vfio/vfio is missing: the vfio module is not loaded",
              "load vfio (see the vfio-modules check): it creates /dev/vfio/vfio");
}

Check check_kvm(const HostView& h) {
  const char* title = "/dev/kvm present";
  if (h.f.dev_kvm) return make("kvm", CheckStatus::pass, title, "/dev/kvm exists");
  const bool amd = h.cpu == CpuVendor::amd;
  const std::string flag = amd ? "svm" : "vmx";
  const bool has_flag = amd ? h.svm : h.vmx;
  std::string evidence = "/dev/kvm is missing";
  if (h.f.cpuinfo)
    evidence += "; the CPU flags " + std::string(has_flag ? "include " : "lack ") + flag;
  std::string fix;
  if (h.f.cpuinfo && !has_flag) {
    fix = h.hypervisor ? "enable nested virtualization for this VM on its host (kvm_intel nested=1 "
                         "or kvm_amd nested=1, "
                         "and <cpu mode='host-passthrough'/>), then "
                       : std::string("enable ") + (amd ? "AMD-V (SVM)" : "VT-x") +
                             " in the firmware setup, then ";
  }
  fix += std::string("load KVM: `modprobe ") + (amd ? "kvm_amd" : "kvm_intel") + "`";
  return make("kvm", CheckStatus::fail, title, evidence, fix);
}

Check check_hugepages(const HostView& h) {
  const char* title = "Hugepages (optional)";
  if (!h.f.meminfo) {
    return make("hugepages", CheckStatus::skip, title, "cannot read /proc/meminfo",
                proc_missing_fix("/proc/meminfo"));
  }
  const long long total = meminfo_value(*h.f.meminfo, "HugePages_Total");
  if (total < 0) {
    return make("hugepages", CheckStatus::skip, title,
                "no HugePages_Total in /proc/meminfo: this kernel has no hugetlbfs (optional for "
                "passthrough)");
  }
  const long long free = meminfo_value(*h.f.meminfo, "HugePages_Free");
  const long long size = meminfo_value(*h.f.meminfo, "Hugepagesize");
  const std::string size_text =
      size > 0 ? std::to_string(size) + " kB" : std::string("default-size");
  if (total == 0) {
    return make("hugepages", CheckStatus::pass, title,
                "none reserved (HugePages_Total 0, " + size_text +
                    " pages): optional, guests use normal memory");
  }
  return make("hugepages", CheckStatus::pass, title,
              std::to_string(total) + " hugepages of " + size_text +
                  " reserved (HugePages_Total), " + std::to_string(free < 0 ? 0 : free) + " free");
}

}  // namespace

std::vector<Check> evaluate_readiness(const HostFacts& facts) {
  const HostView h = make_view(facts);
  return {check_cpu(h),
          check_bootloader(h),
          check_iommu_cmdline(h),
          check_iommu(h),
          check_iommu_groups(h),
          check_interrupt_remapping(h),
          check_unsafe_interrupts(h),
          check_acs_override(h),
          check_vfio_modules(h),
          check_vfio_virqfd(h),
          check_vfio_device(h),
          check_kvm(h),
          check_hugepages(h)};
}

std::vector<Check> check_readiness(const Root& root) {
  std::vector<Check> checks = evaluate_readiness(gather_host_facts(root));
  for (auto& c : audit_boot_config(root)) checks.push_back(std::move(c));
  return checks;
}

}  // namespace ptagent
