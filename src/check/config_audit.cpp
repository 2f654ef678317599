#include "check/config_audit.hpp"

#include <algorithm>

#include "error.hpp"
#include "host/critical.hpp"
#include "pci/inventory.hpp"
#include "setup/initramfs_tool.hpp"
#include "setup/kernel_cmdline.hpp"
#include "setup/modprobe_conf.hpp"
#include "setup/setup_plan.hpp"
#include "setup/setup_status.hpp"
#include "setup/udev_rule.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/root.hpp"
#include "util/join.hpp"

namespace ptagent {

namespace {

struct IdsSource {
  std::string where;  // "/etc/modprobe.d/vfio.conf line 3"
  std::string ids;    // "10de:1b80,10de:10f0"
};

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto c = s.find(',', start);
    if (c == std::string::npos) c = s.size();
    if (c > start) out.push_back(s.substr(start, c - start));
    start = c + 1;
  }
  return out;
}

// "10de:1b80" or "10de:1b80:ffffffff:ffffffff…" matches the device's vendor and device.
bool id_matches(const std::string& id, const Device& d) {
  std::string lower = id;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  return lower.rfind(d.ids(), 0) == 0;
}

std::string module_of(const Root& root, const Device& d) {
  if (!d.driver) return {};
  if (auto m = root.link_name(pci_driver_dir(*d.driver) + "/module")) {
    return normalize_module(*m);
  }
  return normalize_module(*d.driver);
}

}  // namespace

std::vector<Check> audit_boot_config(const Root& root) {
  std::vector<Check> out;
  const auto directives = read_modprobe_config(root);
  std::vector<std::pair<std::string, std::string>> cmdline_sources;  // (file, text)
  if (auto c = root.read(kProcCmdline)) cmdline_sources.emplace_back(kProcCmdline, *c);
  if (auto c = root.read(kKernelCmdline)) cmdline_sources.emplace_back(kKernelCmdline, *c);

  std::vector<IdsSource> ids;
  std::vector<std::pair<std::string, std::string>> blacklists;  // (where, module)
  for (const auto& d : directives) {
    const std::string where = d.file + " line " + std::to_string(d.line);
    if (d.keyword == "options" && d.module == "vfio_pci") {
      for (const auto& a : d.args) {
        if (a.rfind("ids=", 0) == 0) ids.push_back({where, a.substr(4)});
      }
    }
    if (d.keyword == "blacklist") blacklists.emplace_back(where + " (blacklist)", d.module);
    if (install_disables(d))
      blacklists.emplace_back(where + " (install " + d.args[0] + ")", d.module);
  }
  for (const auto& [file, text] : cmdline_sources) {
    for (const auto& w : split_kernel_words(text)) {
      const auto name = kernel_param_name(w);
      const auto value = kernel_param_value(w);
      if (name == "vfio_pci.ids") ids.push_back({file + " (vfio-pci.ids=)", value});
      if (name == "modprobe.blacklist" || name == "rd.driver.blacklist") {
        for (const auto& m : split_commas(value)) {
          blacklists.emplace_back(file + " (" + name + "=)", normalize_module(m));
        }
      }
    }
  }

  // Host-critical devices taken at the next boot.
  const Inventory inv = Inventory::scan(root, DeviceDetail::listing);
  const HostCritical critical = HostCritical::scan(root, inv);
  std::vector<std::string> hits;
  for (const auto& [addr, reasons] : critical.all()) {
    const Device* d = inv.find(addr);
    if (!d) continue;
    const std::string why = *critical.reason(addr);
    for (const auto& src : ids) {
      for (const auto& id : split_commas(src.ids)) {
        if (id_matches(id, *d)) {
          hits.push_back(src.where + ": ids " + id + " takes " + addr.to_string() + " (" + why +
                         ")");
        }
      }
    }
    const std::string module = module_of(root, *d);
    for (const auto& [where, m] : blacklists) {
      if (!module.empty() && m == module) {
        hits.push_back(where + ": " + m + " is the driver of " + addr.to_string() + " (" + why +
                       ")");
      }
    }
  }
  for (const auto& o : read_boot_overrides(root)) {
    if (auto why = critical.reason(o.address)) {
      hits.push_back(o.file + " line " + std::to_string(o.line) + ": overrides " +
                     o.address.to_string() + " to " + o.driver + " (" + *why + ")");
    }
  }
  std::string hit_text = join(hits, "; ");
  if (!hits.empty()) {
    out.push_back(
        {"boot-critical", CheckStatus::fail,
         "Boot configuration leaves host-critical devices alone", hit_text,
         "remove those IDs, blacklists or overrides (or bind the other device by address: "
         "'ptagent setup bind DEVICE --by-address'), then rebuild the initramfs; the "
         "next boot would take the device away from the host"});
  } else {
    out.push_back({"boot-critical",
                   CheckStatus::pass,
                   "Boot configuration leaves host-critical devices alone",
                   std::to_string(ids.size()) + " vfio-pci ids= and " +
                       std::to_string(blacklists.size()) +
                       " blacklists read (modprobe.d, kernel command line): none takes a "
                       "host-critical device",
                   {}});
  }

  // vfio_virqfd listed on a kernel that no longer has it.
  const auto release = root.read_value(kKernelOsrelease);
  const auto kernel = release ? parse_kernel_release(*release) : std::nullopt;
  std::vector<std::string> virqfd;
  for (const auto& e : read_boot_modules(root)) {
    if (e.module == "vfio_virqfd") virqfd.push_back(e.file + " line " + std::to_string(e.line));
  }
  if (kernel && !kernel_has_vfio_virqfd(*kernel) && !virqfd.empty()) {
    std::string where = join(virqfd, ", ");
    out.push_back({"boot-virqfd", CheckStatus::warn, "No vfio_virqfd on Linux >= 6.2",
                   "vfio_virqfd is listed to load at boot (" + where + ") but Linux " + *release +
                       " folded it into vfio: systemd-modules-load fails at boot",
                   "remove the vfio_virqfd line(s)"});
  } else {
    out.push_back({"boot-virqfd",
                   CheckStatus::pass,
                   "No vfio_virqfd on Linux >= 6.2",
                   virqfd.empty() ? "vfio_virqfd is not listed to load at boot"
                                  : "vfio_virqfd is listed and this kernel still has it",
                   {}});
  }

  // ids= needs vfio-pci in the initramfs, or the host drivers there win.
  const InitramfsTool tool = detect_initramfs_tool(root);
  if (!ids.empty()) {
    const bool in = initramfs_includes(root, tool, "vfio_pci");
    out.push_back({"boot-initramfs", in ? CheckStatus::pass : CheckStatus::warn,
                   "vfio-pci in the initramfs for ids=",
                   in ? std::string("vfio_pci is in the initramfs configuration (") +
                            initramfs_tool_name(tool) + ")"
                      : "vfio-pci ids= is set (" + ids.front().where +
                            ") but vfio_pci is not in the initramfs configuration (" +
                            initramfs_tool_name(tool) +
                            "): a host driver there claims the device first",
                   in ? std::string() : "run 'ptagent setup modules --initramfs'"});
  } else {
    out.push_back(
        {"boot-initramfs",
         CheckStatus::pass,
         "vfio-pci in the initramfs for ids=",
         "no vfio-pci ids= configured (modprobe.d, kernel command line): nothing must be in it",
         {}});
  }

  // What ptagent setup configured that waits for a reboot.
  try {
    const SetupHost host = read_setup_host(root);
    std::vector<std::string> pending;
    for (const auto& l : setup_status(root, host, inv)) {
      if (l.state == SetupItemState::pending_reboot)
        pending.push_back(l.item + " (" + l.what + ")");
    }
    if (!pending.empty()) {
      std::string text = join(pending, ", ");
      out.push_back({"boot-pending", CheckStatus::warn, "Boot configuration in effect",
                     "configured, not active until reboot: " + text, "reboot"});
    } else {
      out.push_back({"boot-pending",
                     CheckStatus::pass,
                     "Boot configuration in effect",
                     "nothing ptagent setup configured waits for a reboot",
                     {}});
    }
  } catch (const Error& e) {
    out.push_back(
        {"boot-pending", CheckStatus::warn, "Boot configuration in effect", e.what(), e.hint()});
  }
  return out;
}

}  // namespace ptagent
