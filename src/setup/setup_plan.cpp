#include "setup/setup_plan.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "error.hpp"
#include "host/critical.hpp"
#include "ops/power.hpp"
#include "ops/reset_method.hpp"
#include "pci/inventory.hpp"
#include "pci/iommu_group.hpp"
#include "pci/modalias.hpp"
#include "setup/grub_config.hpp"
#include "setup/modprobe_conf.hpp"
#include "setup/udev_rule.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/root.hpp"
#include "util/join.hpp"
#include "uuid.hpp"

namespace ptagent {

namespace {

const char* const kHeader =
    "# Written by ptagent setup; 'ptagent setup revert' removes this file.\n";

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

bool any_by_id(const SetupState& s) {
  return std::any_of(s.binds.begin(), s.binds.end(),
                     [](const BootBind& b) { return b.method == BindMethod::by_id; });
}
bool needs_modules(const SetupState& s) {
  return s.modules || !s.binds.empty();
}
bool needs_initramfs(const SetupState& s) {
  return s.modules_initramfs || any_by_id(s);
}

// Content of every file ptagent manages, for a state. `base` holds contents already edited in
// this plan (foreign files), used instead of the disk's.
struct Renderer {
  const Root& root;
  const SetupHost& host;
  const std::map<std::string, std::string>& base;

  std::optional<std::string> current(const std::string& path) const {
    auto it = base.find(path);
    if (it != base.end()) return it->second;
    return root.read(path);
  }

  std::vector<std::string> paths(const SetupState& s) const {
    std::vector<std::string> out = {kModulesLoad, kModprobeConf, kVfioRules,
                                    kSriovRules,  kPowerRules,   kResetMethodRules};
    if (host.boot.config == BootConfig::grub_dropin) out.push_back(kGrubDropin);
    if (host.boot.config == BootConfig::grub_default) out.push_back(kGrubDefault);
    if (host.initramfs == InitramfsTool::initramfs_tools) out.push_back(kInitramfsModules);
    if (host.initramfs == InitramfsTool::dracut) out.push_back(kDracutConf);
    for (const auto& b : s.binds) {
      if (b.driverctl) out.push_back(driverctl_file(b.address));
    }
    for (const auto& [path, text] : base) out.push_back(path);
    return out;
  }

  std::optional<std::string> render(const SetupState& s, const std::string& path) const {
    const std::vector<std::string> modules = boot_vfio_modules(host);
    if (path == kGrubDropin) {
      if (s.iommu_added.empty()) return std::nullopt;
      return std::string(kHeader) +
             grub_append_line(host.boot.grub_variable, s.iommu_added, false) + "\n";
    }
    if (path == kGrubDefault && host.boot.config == BootConfig::grub_default) {
      auto text = current(path);
      if (!text) return std::nullopt;
      std::string out = strip_marked_lines(*text, kGrubMarker);
      if (!s.iommu_added.empty()) {
        out = append_line(out, grub_append_line(host.boot.grub_variable, s.iommu_added, true));
      }
      return out;
    }
    if (path == kModulesLoad) {
      if (!needs_modules(s)) return std::nullopt;
      std::string out = kHeader;
      for (const auto& m : modules) out += m + "\n";
      return out;
    }
    if (path == kModprobeConf) {
      std::vector<std::string> ids, softdeps;
      for (const auto& b : s.binds) {
        if (b.method != BindMethod::by_id) continue;
        add_unique(ids, b.ids);
        if (!b.host_module.empty()) add_unique(softdeps, b.host_module);
      }
      if (ids.empty()) return std::nullopt;
      std::string out = kHeader;
      out += "# vfio-pci claims these IDs at boot; the host drivers below load after it.\n";
      out += "options vfio-pci ids=" + join(ids, ",") + "\n";
      for (const auto& m : softdeps) out += "softdep " + m + " pre: vfio-pci\n";
      return out;
    }
    if (path == kVfioRules) {
      std::vector<std::string> lines;
      for (const auto& b : s.binds) {
        if (b.method == BindMethod::by_address && !b.driverctl) {
          lines.push_back(override_rule(b.address, "vfio-pci"));
        }
      }
      return rules_file(lines);
    }
    if (path == kSriovRules) {
      std::vector<std::string> lines;
      for (const auto& v : s.sriov) lines.push_back(sriov_rule(v.pf, v.vfs));
      return rules_file(lines);
    }
    if (path == kPowerRules) {
      std::vector<std::string> lines;
      for (const auto& p : s.power) {
        lines.push_back(power_rule(p.address, false));
        if (p.bridge) add_unique(lines, power_rule(*p.bridge, true));
      }
      return rules_file(lines);
    }
    if (path == kResetMethodRules) {
      std::vector<std::string> lines;
      for (const auto& r : s.reset_methods) {
        for (auto& l : reset_method_rules(r.address, r.methods)) lines.push_back(std::move(l));
      }
      return rules_file(lines);
    }
    if (path == kInitramfsModules) {
      auto text = current(path);
      const bool needed = needs_initramfs(s);
      if (!text && !needed) return std::nullopt;
      return with_block(text.value_or(""), needed ? modules : std::vector<std::string>{});
    }
    if (path == kDracutConf) {
      if (!needs_initramfs(s)) return std::nullopt;
      return dracut_conf(modules);
    }
    if (path.rfind(std::string(kDriverctlDir) + "/", 0) == 0) {
      for (const auto& b : s.binds) {
        if (b.driverctl && driverctl_file(b.address) == path) return std::string("vfio-pci\n");
      }
      return std::nullopt;
    }
    // A foreign file edited in place by this plan.
    return current(path);
  }
};

bool is_foreign(const std::string& path) {
  return path == kGrubDefault || path == kInitramfsModules || path == kKernelCmdline ||
         (path.rfind(std::string(kGrubDropinDir) + "/", 0) == 0 && path != kGrubDropin);
}

// Renders the files for `next`, compares them with the host, adds the state file and the
// regeneration commands.
void finish(const Root& root, const SetupHost& host, const SetupState& next,
            const std::map<std::string, std::string>& base, SetupPlan& plan) {
  Renderer r{root, host, base};
  std::vector<std::string> paths = r.paths(host.state);
  for (auto& p : r.paths(next)) paths.push_back(p);
  std::set<std::string> seen;
  bool boot = false, initramfs = false, udev = false;
  for (const auto& path : paths) {
    if (!seen.insert(path).second) continue;
    const auto before = root.read(path);
    auto after = r.render(next, path);
    if (before == after) continue;
    plan.files.push_back({path, before, after, is_foreign(path)});
    if (path == kGrubDropin || path == kGrubDefault || path == kKernelCmdline ||
        path.rfind(kGrubDefault, 0) == 0) {
      boot = true;
    }
    if (path == kModprobeConf || path == kInitramfsModules || path == kDracutConf ||
        (path == kModulesLoad && host.initramfs == InitramfsTool::dracut)) {
      initramfs = true;
    }
    if (path == kVfioRules || path == kSriovRules || path == kPowerRules ||
        path == kResetMethodRules) {
      udev = true;
    }
  }
  if (initramfs) {
    if (host.initramfs == InitramfsTool::none) {
      plan.notes.push_back(
          "no initramfs tool found (neither /etc/initramfs-tools nor dracut): rebuild the "
          "initramfs by hand so that it holds vfio-pci and /etc/modprobe.d/ptagent.conf");
    } else {
      plan.commands.push_back({initramfs_regenerate(host.initramfs), {}, true});
    }
  }
  if (boot && host.boot.config != BootConfig::grubby) {
    for (const auto& cmd : host.boot.regenerate) plan.commands.push_back({cmd, {}, true});
  }
  if (udev) plan.commands.push_back({{"udevadm", "control", "--reload"}, {}, false, true});
  if (!(next == host.state)) {
    const auto before = root.read(kSetupStateFile);
    std::optional<std::string> after;
    if (!next.empty()) after = render_setup_state(next);
    if (before != after) plan.files.push_back({kSetupStateFile, before, after, false});
  }
  if (!plan.empty() && (boot || initramfs || udev)) {
    plan.notes.push_back(
        "reboot for the change to take effect; 'ptagent setup status' shows "
        "what is configured and what is active");
  }
}

// Foreign words of GRUB's defaults (without ptagent's own line or drop-in), and where each
// assignment to a command-line variable is.
struct GrubWords {
  std::vector<std::string> words;
  struct Where {
    std::string file;
    std::size_t line;
    std::string value;
  };
  std::vector<Where> assignments;  // GRUB_CMDLINE_LINUX{,_DEFAULT}, in reading order
};

GrubWords grub_words(const Root& root, const std::map<std::string, std::string>& base) {
  GrubWords g;
  std::map<std::string, std::string> vars;
  std::vector<std::string> files = {kGrubDefault};
  for (auto& f : dropin_files(root, {kGrubDropinDir}, ".cfg")) {
    if (f != kGrubDropin) files.push_back(f);
  }
  for (const auto& f : files) {
    auto it = base.find(f);
    std::optional<std::string> text = it != base.end() ? std::optional(it->second) : root.read(f);
    if (!text) continue;
    const std::string mine = strip_marked_lines(*text, kGrubMarker);
    for (const auto& a : read_shell_assignments(mine, vars)) {
      if (a.name == "GRUB_CMDLINE_LINUX" || a.name == "GRUB_CMDLINE_LINUX_DEFAULT") {
        g.assignments.push_back({f, a.line, a.value});
      }
    }
  }
  for (const char* v : {"GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT"}) {
    for (auto& w : split_kernel_words(vars[v])) g.words.push_back(w);
  }
  return g;
}

// The options every BLS entry's kernel gets (grubby), else the running command line.
std::vector<std::string> bls_words(const Root& root) {
  std::optional<std::vector<std::string>> common;
  for (const auto& name : root.list("/boot/loader/entries")) {
    auto text = root.read("/boot/loader/entries/" + name);
    if (!text) continue;
    std::vector<std::string> words;
    for (const auto& line : parse_module_list_file(*text, name)) {
      if (line.module == "options") words = line.args;
    }
    if (!common) {
      common = words;
    } else {
      std::vector<std::string> both;
      for (auto& w : *common) {
        if (std::find(words.begin(), words.end(), w) != words.end()) both.push_back(w);
      }
      common = both;
    }
  }
  if (common) return *common;
  return kernel_params(root.read(kProcCmdline).value_or(""));
}

void record_foreign(SetupState& s, const std::string& item, const std::string& path,
                    const std::string& before, const std::string& after) {
  for (auto& f : s.foreign) {
    if (f.path == path && f.item == item) {
      f.after = after;
      return;
    }
  }
  s.foreign.push_back({item, path, before, after});
}

void describe_cmdline(const CmdlineEdit& edit, const std::string& where, SetupPlan& plan) {
  for (const auto& a : edit.add) plan.changes.push_back("add " + a + " to " + where);
  for (const auto& r : edit.remove) plan.changes.push_back("remove " + r + " from " + where);
  for (const auto& p : edit.present) {
    plan.notes.push_back(p + " is already on the next boot's command line (" + where + ")");
  }
  for (const auto& b : edit.blocked) {
    plan.notes.push_back(b + " (" + where +
                         ") conflicts with what ptagent would add and was "
                         "kept; add --replace-conflicting to remove it");
  }
}

std::string host_module_of(const Root& root, const Device& d, const ModuleAliases& aliases) {
  if (d.driver && !d.on_vfio()) {
    if (auto m = root.link_name(pci_driver_dir(*d.driver) + "/module")) {
      return normalize_module(*m);
    }
    return normalize_module(*d.driver);
  }
  for (const auto& m : aliases.match(d.modalias)) {
    const std::string n = normalize_module(m);
    if (n != "vfio_pci" && n.rfind("vfio", 0) != 0 && n != "pci_stub") return n;
  }
  return {};
}

// Puts `entry` into `list` in place of the entry for the same device; false when that entry is
// `entry` already (nothing to change).
template <typename Entry>
bool put_entry(std::vector<Entry>& list, const Entry& entry) {
  auto it = std::find_if(list.begin(), list.end(),
                         [&](const Entry& e) { return e.address == entry.address; });
  if (it != list.end() && *it == entry) return false;
  if (it != list.end()) {
    *it = entry;
  } else {
    list.push_back(entry);
  }
  return true;
}

// What revert keeps of a list of per-device entries: those of other devices than `only` (none
// when `only` is empty); each entry taken out adds "DEVICE: `gone`" to the plan's changes.
template <typename Entry, typename AddressOf>
std::vector<Entry> take_out(const std::vector<Entry>& list, const std::optional<PciAddress>& only,
                            AddressOf address_of, const std::string& gone, SetupPlan& plan,
                            bool& found) {
  std::vector<Entry> kept;
  for (const auto& e : list) {
    if (only && address_of(e) != *only) {
      kept.push_back(e);
    } else {
      found = true;
      plan.changes.push_back(address_of(e).to_string() + ": " + gone);
    }
  }
  return kept;
}

}  // namespace

std::vector<std::string> boot_vfio_modules(const SetupHost& host) {
  std::vector<std::string> m = {"vfio", "vfio_iommu_type1", "vfio_pci"};
  // vfio_virqfd was folded into vfio in 6.2: listing it fails systemd-modules-load there.
  bool all_old = false;
  if (!host.installed.empty()) {
    all_old = std::all_of(host.installed.begin(), host.installed.end(),
                          [](const KernelVersion& k) { return kernel_has_vfio_virqfd(k); });
  } else if (host.kernel) {
    all_old = kernel_has_vfio_virqfd(*host.kernel);
  }
  if (all_old) m.push_back("vfio_virqfd");
  return m;
}

SetupHost read_setup_host(const Root& root) {
  SetupHost h;
  h.boot = detect_boot_target(root);
  h.initramfs = detect_initramfs_tool(root);
  h.vendor = cpu_vendor_of([&] {
    const auto text = root.read(kProcCpuinfo).value_or("");
    const auto pos = text.find("vendor_id");
    if (pos == std::string::npos) return std::string();
    const auto colon = text.find(':', pos);
    const auto nl = text.find('\n', pos);
    if (colon == std::string::npos || colon > nl) return std::string();
    std::string v = text.substr(colon + 1, nl - colon - 1);
    v.erase(0, v.find_first_not_of(" \t"));
    return v;
  }());
  // An IOMMU already on names itself (the nested bench host: an AMD CPU model, VT-d).
  h.vendor = iommu_vendor_of(root.list(kIommuClassDir), h.vendor);
  if (auto rel = root.read_value(kKernelOsrelease)) h.kernel = parse_kernel_release(*rel);
  for (const auto& v : root.list("/lib/modules")) {
    if (auto k = parse_kernel_release(v)) h.installed.push_back(*k);
  }
  h.mdevctl = host_has_program(root, "mdevctl");
  h.state = load_setup_state(root);
  return h;
}

SetupPlan plan_setup_iommu(const Root& root, const SetupHost& host, Conflicts conflicts) {
  SetupPlan plan;
  SetupState next = host.state;
  std::map<std::string, std::string> base;
  const auto wanted = iommu_params_for(host.vendor);
  switch (host.boot.config) {
    case BootConfig::grub_dropin:
    case BootConfig::grub_default: {
      GrubWords g = grub_words(root, base);
      CmdlineEdit edit = plan_cmdline_edit(g.words, wanted, conflicts);
      // Words ptagent already contributes stay, unless the host now has them itself.
      std::vector<std::string> added;
      for (const auto& w : host.state.iommu_added) {
        if (std::find(edit.present.begin(), edit.present.end(), w) == edit.present.end()) {
          add_unique(added, w);
        }
      }
      for (const auto& w : edit.add) add_unique(added, w);
      for (const auto& word : edit.remove) {
        bool done = false;
        for (auto it = g.assignments.rbegin(); it != g.assignments.rend() && !done; ++it) {
          const std::string text =
              base.count(it->file) ? base[it->file] : root.read(it->file).value_or("");
          if (auto edited = remove_word_from_assignment(text, it->line, word)) {
            base[it->file] = *edited;
            record_foreign(next, "iommu", it->file, root.read(it->file).value_or(""), *edited);
            plan.changes.push_back("remove " + word + " from " + it->file + " line " +
                                   std::to_string(it->line));
            add_unique(next.iommu_removed, word);
            done = true;
          }
        }
        if (!done) {
          throw_refused(word,
                        "is on GRUB's command line but not as a literal word ptagent can "
                        "remove (set through another variable?)",
                        "remove it by hand from /etc/default/grub or /etc/default/grub.d/, then "
                        "run 'ptagent setup iommu' again");
        }
      }
      // Fix up the foreign record's `before`: the content before ptagent's first edit.
      for (auto& f : next.foreign) {
        for (const auto& old : host.state.foreign) {
          if (old.path == f.path && old.item == f.item) f.before = old.before;
        }
      }
      const std::string where = host.boot.grub_variable + " in " + host.boot.file;
      for (const auto& a : edit.add) plan.changes.push_back("add " + a + " to " + where);
      for (const auto& p : edit.present) {
        if (std::find(host.state.iommu_added.begin(), host.state.iommu_added.end(), p) ==
            host.state.iommu_added.end()) {
          plan.notes.push_back(p + " is already on GRUB's command line (" + kGrubDefault + ")");
        }
      }
      for (const auto& b : edit.blocked) {
        plan.notes.push_back(b +
                             " is on GRUB's command line and conflicts with what ptagent "
                             "would add: kept; add --replace-conflicting to remove it");
      }
      next.iommu_added = added;
      break;
    }
    case BootConfig::grubby: {
      CmdlineEdit edit = plan_cmdline_edit(bls_words(root), wanted, conflicts);
      describe_cmdline(edit, "every kernel's entry (grubby)", plan);
      if (!edit.add.empty()) {
        const std::string args = "--args=" + join(edit.add, " ");
        plan.commands.push_back(
            {{"grubby", "--update-kernel=ALL", args},
             {"grubby", "--update-kernel=ALL", "--remove-args=" + join(edit.add, " ")},
             false});
      }
      if (!edit.remove.empty()) {
        plan.commands.push_back(
            {{"grubby", "--update-kernel=ALL", "--remove-args=" + join(edit.remove, " ")},
             {"grubby", "--update-kernel=ALL", "--args=" + join(edit.remove, " ")},
             false});
      }
      for (const auto& a : edit.add) add_unique(next.iommu_added, a);
      for (const auto& r : edit.remove) add_unique(next.iommu_removed, r);
      break;
    }
    case BootConfig::kernel_cmdline: {
      const auto existing = root.read(kKernelCmdline);
      std::string text;
      if (existing) {
        text = *existing;
      } else {
        // kernel-install reads /proc/cmdline when the file is absent: start from it.
        std::vector<std::string> words;
        for (auto& w : kernel_params(root.read(kProcCmdline).value_or(""))) {
          if (w.rfind("BOOT_IMAGE=", 0) != 0 && w.rfind("initrd=", 0) != 0) words.push_back(w);
        }
        text = join(words, " ") + "\n";
      }
      CmdlineEdit edit = plan_cmdline_edit(split_kernel_words(text), wanted, conflicts);
      describe_cmdline(edit, kKernelCmdline, plan);
      if (!edit.empty()) {
        const std::string after = edit_cmdline_text(text, edit.add, edit.remove);
        base[kKernelCmdline] = after;
        std::string before = existing.value_or("");
        for (const auto& old : host.state.foreign) {
          if (old.path == kKernelCmdline) before = old.before;
        }
        record_foreign(next, "iommu", kKernelCmdline, before, after);
        if (!existing) {
          plan.notes.push_back(std::string(kKernelCmdline) +
                               " did not exist: created from the running command line");
        }
        for (const auto& a : edit.add) add_unique(next.iommu_added, a);
        for (const auto& r : edit.remove) add_unique(next.iommu_removed, r);
      }
      break;
    }
    case BootConfig::unknown:
      throw_refused("boot loader",
                    "cannot tell how this host boots (" + host.boot.description + ")",
                    "add " + join(wanted, " ") +
                        " to the kernel command line wherever it comes from on this host");
  }
  finish(root, host, next, base, plan);
  if (plan.empty() && plan.changes.empty()) {
    plan.notes.push_back("the IOMMU parameters are already configured for the next boot (" +
                         host.boot.description + ")");
  }
  return plan;
}

SetupPlan plan_setup_modules(const Root& root, const SetupHost& host, ModulesInitramfs initramfs) {
  SetupPlan plan;
  SetupState next = host.state;
  next.modules = true;
  if (initramfs == ModulesInitramfs::include) next.modules_initramfs = true;
  const auto modules = boot_vfio_modules(host);
  if (!needs_modules(host.state)) {
    plan.changes.push_back("load " + join(modules, ", ") + " at boot (" + kModulesLoad + ")");
  }
  if (initramfs == ModulesInitramfs::include && !needs_initramfs(host.state)) {
    plan.changes.push_back(
        "put " + join(modules, ", ") + " into the initramfs (" +
        (host.initramfs == InitramfsTool::dracut ? kDracutConf : kInitramfsModules) + ")");
  }
  if (std::find(modules.begin(), modules.end(), "vfio_virqfd") == modules.end()) {
    plan.notes.push_back(
        "vfio_virqfd is not listed: it is part of vfio since Linux 6.2 (and "
        "loads as a dependency of vfio_pci before)");
  }
  finish(root, host, next, {}, plan);
  if (plan.empty()) plan.notes.push_back("the vfio modules are already configured for boot");
  return plan;
}

SetupPlan plan_setup_bind(const Root& root, const SetupHost& host, const Inventory& inv,
                          const SetupBindRequest& request) {
  if (request.devices.empty()) {
    throw_usage("DEVICE", "no device given", "name at least one device, e.g. 0000:01:00.0");
  }
  SetupPlan plan;
  SetupState next = host.state;
  for (const auto& a : request.devices) inv.get(a);
  if (request.guard == CriticalGuard::refuse) {
    HostCritical critical = HostCritical::scan(root, inv);
    for (const auto& a : request.devices) {
      if (auto why = critical.reason(a)) {
        throw_refused(a.to_string(), *why + ": refusing to bind it to vfio-pci at every boot",
                      "the host would boot without it" +
                          where_spelled(Input::force, "; add " + mention(Input::force) +
                                                          " only if you are sure the host does "
                                                          "not need it"));
      }
    }
  }
  const ModuleAliases aliases = ModuleAliases::load(root);
  const auto overrides = read_boot_overrides(root);
  for (const auto& a : request.devices) {
    const Device& d = inv.get(a);
    if (is_infrastructure(d)) {
      throw_refused(a.to_string(), infrastructure_cause(d),
                    "name the endpoints of its group instead");
    }
    if (d.iommu_group) {
      const GroupVerdict verdict = assess_group(inv, a, request.devices);
      std::vector<std::string> others;
      for (const auto& c : verdict.blockers()) others.push_back(c.to_string());
      if (!others.empty()) {
        throw_refused(
            a.to_string(),
            "IOMMU group " + std::to_string(*d.iommu_group) + " also holds " + join(others, ", ") +
                " on host drivers: vfio-pci would own part of the group at boot",
            "name them too" +
                where_spelled(Input::whole_group, ", or add " + mention(Input::whole_group) +
                                                      " to bind the whole group at boot"));
      }
    } else {
      plan.notes.push_back(a.to_string() +
                           " has no IOMMU group yet: vfio-pci takes it only once "
                           "the IOMMU is on ('ptagent setup iommu', then reboot)");
    }
  }
  for (const auto& a : request.devices) {
    const Device& d = inv.get(a);
    BootBind b;
    b.address = a;
    b.method = request.method;
    if (request.method == BindMethod::by_id) {
      b.ids = d.ids();
      std::vector<std::string> unnamed;
      for (const auto& o : inv.devices()) {
        if (o.vendor_id == d.vendor_id && o.device_id == d.device_id &&
            std::find(request.devices.begin(), request.devices.end(), o.address) ==
                request.devices.end()) {
          unnamed.push_back(o.address.to_string());
        }
      }
      if (!unnamed.empty()) {
        throw_refused(
            a.to_string(),
            "its ID " + b.ids + " is also the ID of " + join(unnamed, ", ") +
                ", which vfio-pci ids= would take at boot as well",
            "bind by address instead" +
                where_spelled(Input::by_address, " (" + mention(Input::by_address) + ")") +
                ", or name those devices too");
      }
      b.host_module = host_module_of(root, d, aliases);
    } else {
      for (const auto& o : overrides) {
        if (o.address != a || o.file == kVfioRules) continue;
        const bool ours =
            std::any_of(host.state.binds.begin(), host.state.binds.end(),
                        [&](const BootBind& x) { return x.address == a && x.driverctl; });
        if (ours) continue;
        if (o.driver != "vfio-pci") {
          throw_refused(a.to_string(),
                        o.file + " line " + std::to_string(o.line) + " already overrides it to " +
                            o.driver + " at boot",
                        o.file.rfind(kDriverctlDir, 0) == 0
                            ? "run 'driverctl unset-override " + a.to_string() + "' first"
                            : "remove that rule first");
        }
      }
      // A new bind is ptagent's own rule even when driverctl is installed: systemd starts
      // driverctl@.service only after udev has processed the device's add event, whose module
      // load lets the host driver bind first; the rule sets driver_override before that.
      // A state written when binds went through driverctl keeps them there (revert removes it).
      const auto earlier = std::find_if(host.state.binds.begin(), host.state.binds.end(),
                                        [&](const BootBind& x) { return x.address == a; });
      b.driverctl = earlier != host.state.binds.end() && earlier->driverctl &&
                    earlier->method == BindMethod::by_address;
      if (!b.driverctl) {
        const auto saved = root.read_value(driverctl_file(a));
        if (saved && *saved == "vfio-pci") {
          plan.notes.push_back(a.to_string() + ": driverctl already persists it on " + *saved +
                               " (" + driverctl_file(a) + "): left to driverctl");
          continue;
        }
      }
    }
    auto it = std::find_if(next.binds.begin(), next.binds.end(),
                           [&](const BootBind& x) { return x.address == a; });
    if (it != next.binds.end()) {
      if (*it == b) {
        plan.notes.push_back(a.to_string() + " is already bound to vfio-pci at boot " +
                             bind_method_name(b.method));
        continue;
      }
      plan.changes.push_back(a.to_string() + ": bind at boot " + bind_method_name(b.method) +
                             " instead of " + bind_method_name(it->method));
      *it = b;
    } else {
      const std::string how =
          b.method == BindMethod::by_id
              ? "options vfio-pci ids=" + b.ids +
                    (b.host_module.empty() ? ""
                                           : " + softdep " + b.host_module + " pre: vfio-pci") +
                    " in " + kModprobeConf
              : (b.driverctl ? "driverctl's saved override " + driverctl_file(a)
                             : "driver_override at device add (" + std::string(kVfioRules) + ")");
      plan.changes.push_back(a.to_string() + ": vfio-pci from boot, " + how);
      next.binds.push_back(b);
    }
  }
  if (!needs_modules(host.state) && !next.binds.empty()) {
    plan.changes.push_back("load " + join(boot_vfio_modules(host), ", ") + " at boot (" +
                           kModulesLoad + ")");
  }
  if (any_by_id(next) && !needs_initramfs(host.state)) {
    plan.changes.push_back(
        "put the vfio modules into the initramfs, so that vfio-pci claims the "
        "IDs before the host drivers");
  }
  finish(root, host, next, {}, plan);
  return plan;
}

SetupPlan plan_setup_sriov(const Root& root, const SetupHost& host, const Inventory& inv,
                           const PciAddress& pf, unsigned vfs, CriticalGuard guard) {
  const Device& d = inv.get(pf);
  if (!d.sriov) {
    throw_refused(pf.to_string(), "is not an SR-IOV physical function (no sriov_totalvfs)",
                  "name the PF; 'ptagent list' marks SR-IOV PFs");
  }
  if (vfs > d.sriov->total_vfs) {
    throw_usage(std::to_string(vfs),
                "is more than the PF's sriov_totalvfs (" + std::to_string(d.sriov->total_vfs) + ")",
                "choose 1 to " + std::to_string(d.sriov->total_vfs));
  }
  if (guard == CriticalGuard::refuse) {
    if (auto why = HostCritical::scan(root, inv).reason(pf)) {
      throw_refused(
          pf.to_string(), *why + ": refusing to change its VFs at every boot",
          where_spelled(Input::force, "add " + mention(Input::force) + " only if you are sure"));
    }
  }
  SetupPlan plan;
  SetupState next = host.state;
  auto it = std::find_if(next.sriov.begin(), next.sriov.end(),
                         [&](const BootSriov& s) { return s.pf == pf; });
  if (vfs == 0) {
    if (it != next.sriov.end()) {
      next.sriov.erase(it);
      plan.changes.push_back(pf.to_string() + ": no VFs set at boot any more");
    }
  } else if (it != next.sriov.end()) {
    if (it->vfs != vfs) {
      plan.changes.push_back(pf.to_string() + ": " + std::to_string(vfs) +
                             " VFs at boot instead of " + std::to_string(it->vfs));
      it->vfs = vfs;
    }
  } else {
    next.sriov.push_back({pf, vfs});
    plan.changes.push_back(pf.to_string() + ": " + std::to_string(vfs) +
                           " VFs when its driver binds at boot (" + kSriovRules + ")");
  }
  finish(root, host, next, {}, plan);
  if (plan.empty()) plan.notes.push_back(pf.to_string() + ": already configured");
  return plan;
}

SetupPlan plan_setup_power(const Root& root, const SetupHost& host, const Inventory& inv,
                           const PciAddress& address) {
  inv.get(address);  // Error(not_found) for a device the host does not have
  // The runtime rule's own read and check (a device without runtime PM is refused there).
  const PowerState power = read_power(root, address);
  plan_power(power, PowerMode::keep_on);
  const std::optional<PciAddress> bridge =
      power.bridge ? std::optional<PciAddress>(power.bridge->address) : std::nullopt;
  SetupPlan plan;
  SetupState next = host.state;
  if (!put_entry(next.power, BootPower{address, bridge})) {
    plan.notes.push_back(address.to_string() + " is already kept powered from boot");
    return plan;
  }
  plan.changes.push_back(
      address.to_string() + ": kept out of D3cold from boot (d3cold_allowed=0, power/control=on" +
      (bridge ? "; bridge " + bridge->to_string() + " d3cold_allowed=0" : std::string()) + ", " +
      kPowerRules + ")");
  plan.notes.push_back("for now, without a reboot: ptagent power " + address.to_string() +
                       " --keep-on");
  finish(root, host, next, {}, plan);
  return plan;
}

SetupPlan plan_setup_reset_method(const Root& root, const SetupHost& host, const Inventory& inv,
                                  const PciAddress& address,
                                  const std::vector<std::string>& methods) {
  inv.get(address);                   // Error(not_found) for a device the host does not have
  read_reset_methods(root, address);  // refused without a reset_method attribute
  if (methods.empty()) {
    throw_usage(address.to_string(), "no reset method named",
                "name the methods in order, e.g. device_specific bus");
  }
  SetupPlan plan;
  SetupState next = host.state;
  if (!put_entry(next.reset_methods, BootResetMethod{address, methods})) {
    plan.notes.push_back(address.to_string() + ": reset_method is already set at boot");
    return plan;
  }
  plan.changes.push_back(address.to_string() + ": reset_method '" + join(methods, " ") +
                         "' when the device is added at boot (" + kResetMethodRules + ")");
  if (std::find(methods.begin(), methods.end(), "device_specific") != methods.end()) {
    plan.notes.push_back(
        "device_specific exists once vendor-reset is loaded: the rules set it again when the "
        "vendor_reset module appears");
  }
  plan.notes.push_back(
      "try it now first (the kernel refuses a method the device lacks): "
      "ptagent reset-method " +
      address.to_string() + " " + join(methods, " "));
  finish(root, host, next, {}, plan);
  return plan;
}

SetupPlan plan_setup_mdev(const Root& root, const SetupHost& host, const BootMdev& m) {
  const std::string uuid = parse_uuid(m.uuid, mention(Input::mdev_uuid)).to_string();
  if (!host.mdevctl) {
    throw_refused("mdevctl", "is not installed; mdevs at boot are mdevctl's job",
                  "apt-get install mdevctl, then run this again");
  }
  if (m.parent.empty() || m.type.empty()) {
    throw_usage("setup mdev",
                "needs " + mention(Input::mdev_parent) + " and " + mention(Input::mdev_type),
                "e.g. " + mention(Input::mdev_parent) + " 0000:00:02.0 " +
                    mention(Input::mdev_type) + " i915-GVTg_V5_4");
  }
  if (!root.is_dir(mdev_type_dir(m.parent, m.type))) {
    throw_not_found(m.parent + " " + m.type, "is not an mdev type of that parent",
                    "list the types with 'ptagent mdev types'");
  }
  SetupPlan plan;
  SetupState next = host.state;
  BootMdev entry{uuid, m.parent, m.type};
  for (const auto& e : host.state.mdevs) {
    if (e.uuid == uuid) {
      if (e == entry) {
        plan.notes.push_back(uuid + " is already defined to start at boot");
        return plan;
      }
      throw_refused(uuid, "ptagent already defined it with another parent or type",
                    "'ptagent setup revert mdev:" + uuid + "' first");
    }
  }
  if (root.exists(mdevctl_file(m.parent, uuid))) {
    throw_refused(uuid, "mdevctl already defines it (/etc/mdevctl.d/" + m.parent + "/" + uuid + ")",
                  "it is mdevctl's: manage it with mdevctl");
  }
  next.mdevs.push_back(entry);
  plan.changes.push_back(uuid + ": mdev " + m.type + " on " + m.parent +
                         " defined with mdevctl, started when the parent appears at boot");
  plan.commands.push_back(
      {{"mdevctl", "define", "--auto", "--uuid", uuid, "--parent", m.parent, "--type", m.type},
       {"mdevctl", "undefine", "--uuid", uuid},
       false});
  finish(root, host, next, {}, plan);
  return plan;
}

SetupPlan plan_setup_revert(const Root& root, const SetupHost& host, const std::string& item) {
  const auto colon = item.find(':');
  const std::string kind = item.substr(0, colon);
  const std::string arg = colon == std::string::npos ? "" : item.substr(colon + 1);
  static const std::set<std::string> kinds = {"",      "iommu", "modules", "bind",
                                              "sriov", "mdev",  "power",   "reset-method"};
  if (!kinds.count(kind) || (colon != std::string::npos && arg.empty()) ||
      ((kind == "iommu" || kind == "modules" || kind.empty()) && !arg.empty())) {
    throw_usage(item, "is not an item of ptagent setup",
                "use iommu, modules, bind, bind:DEVICE, sriov, sriov:PF, mdev, mdev:UUID, power, "
                "power:DEVICE, reset-method, reset-method:DEVICE, or nothing for everything");
  }
  const bool all = kind.empty();
  SetupPlan plan;
  SetupState next = host.state;
  std::map<std::string, std::string> base;
  bool found = false;
  if (all || kind == "iommu") {
    if (!host.state.iommu_added.empty() || !host.state.iommu_removed.empty()) found = true;
    if (host.boot.config == BootConfig::grubby) {
      if (!host.state.iommu_added.empty()) {
        plan.commands.push_back(
            {{"grubby", "--update-kernel=ALL",
              "--remove-args=" + join(host.state.iommu_added, " ")},
             {"grubby", "--update-kernel=ALL", "--args=" + join(host.state.iommu_added, " ")},
             false});
      }
      if (!host.state.iommu_removed.empty()) {
        plan.commands.push_back(
            {{"grubby", "--update-kernel=ALL", "--args=" + join(host.state.iommu_removed, " ")},
             {"grubby", "--update-kernel=ALL",
              "--remove-args=" + join(host.state.iommu_removed, " ")},
             false});
      }
    }
    for (const auto& a : host.state.iommu_added)
      plan.changes.push_back("remove " + a + " (added by ptagent)");
    for (const auto& r : host.state.iommu_removed) plan.changes.push_back("put " + r + " back");
    std::vector<ForeignEdit> kept;
    for (const auto& f : host.state.foreign) {
      if (f.item != "iommu") {
        kept.push_back(f);
        continue;
      }
      found = true;
      const auto now = root.read(f.path).value_or("");
      if (now == f.after) {
        base[f.path] = f.before;
      } else if (f.path == kKernelCmdline) {
        // Changed since: take out exactly ptagent's words, put back what it removed.
        base[f.path] = edit_cmdline_text(now, host.state.iommu_removed, host.state.iommu_added);
      } else {
        plan.notes.push_back(f.path + " changed since ptagent edited it: left as it is; put " +
                             join(host.state.iommu_removed, " ") + " back by hand if wanted");
      }
    }
    next.foreign = kept;
    next.iommu_added.clear();
    next.iommu_removed.clear();
  }
  if (all || kind == "modules") {
    if (host.state.modules || host.state.modules_initramfs) found = true;
    next.modules = false;
    next.modules_initramfs = false;
  }
  std::optional<PciAddress> only;
  if (!arg.empty() && kind != "mdev") only = parse_pci_address(arg);
  auto address = [](const auto& e) { return e.address; };
  if (all || kind == "bind") {
    next.binds = take_out(host.state.binds, only, address, "no longer bound to vfio-pci at boot",
                          plan, found);
  }
  if (all || kind == "sriov") {
    next.sriov = take_out(
        host.state.sriov, only, [](const BootSriov& s) { return s.pf; }, "no VF count set at boot",
        plan, found);
  }
  if (all || kind == "power") {
    next.power =
        take_out(host.state.power, only, address, "no longer kept powered at boot", plan, found);
  }
  if (all || kind == "reset-method") {
    next.reset_methods =
        take_out(host.state.reset_methods, only, address,
                 "reset_method no longer set at boot (the kernel's default)", plan, found);
  }
  if (all || kind == "mdev") {
    std::vector<BootMdev> kept;
    for (const auto& m : host.state.mdevs) {
      if (!arg.empty() && m.uuid != arg) {
        kept.push_back(m);
        continue;
      }
      found = true;
      plan.changes.push_back(m.uuid +
                             ": undefined in mdevctl (a running instance stays until "
                             "stopped)");
      plan.commands.push_back({{"mdevctl", "undefine", "--uuid", m.uuid},
                               {"mdevctl", "define", "--auto", "--uuid", m.uuid, "--parent",
                                m.parent, "--type", m.type},
                               false});
    }
    next.mdevs = kept;
  }
  if (!found) {
    throw_not_found(item.empty() ? "ptagent setup" : item, "ptagent did not persist it",
                    "'ptagent setup status' lists what ptagent persisted");
  }
  finish(root, host, next, base, plan);
  return plan;
}

}  // namespace ptagent
