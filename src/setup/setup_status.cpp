#include "setup/setup_status.hpp"

#include <algorithm>

#include "pci/inventory.hpp"
#include "setup/kernel_cmdline.hpp"
#include "setup/modprobe_conf.hpp"
#include "setup/udev_rule.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/root.hpp"
#include "util/join.hpp"

namespace ptagent {

const char* setup_item_state_text(SetupItemState state) {
  switch (state) {
    case SetupItemState::active:
      return "active";
    case SetupItemState::pending_reboot:
      return "configured, not active until reboot";
    case SetupItemState::not_persisted:
      return "active but not persisted";
    case SetupItemState::drifted:
      return "configured, but not in effect now";
  }
  return "?";
}

const char* setup_item_state_id(SetupItemState state) {
  switch (state) {
    case SetupItemState::active:
      return "active";
    case SetupItemState::pending_reboot:
      return "pending-reboot";
    case SetupItemState::not_persisted:
      return "not-persisted";
    case SetupItemState::drifted:
      return "drifted";
  }
  return "?";
}

namespace {

bool module_present(const Root& root, const std::string& m) {
  return root.is_dir(module_dir(m));
}

}  // namespace

std::vector<SetupStatusLine> setup_status(const Root& root, const SetupHost& host,
                                          const Inventory& inv) {
  std::vector<SetupStatusLine> out;
  const SetupState& s = host.state;
  const auto running = kernel_params(root.read(kProcCmdline).value_or(""));
  auto on_cmdline = [&](const std::string& w) {
    const auto name = kernel_param_name(w);
    const auto value = kernel_param_value(w);
    return std::any_of(running.begin(), running.end(), [&](const std::string& r) {
      if (kernel_param_name(r) != name) return false;
      // One of its comma-separated options ("intel_iommu=sm_on,on"), not a substring ("nopt").
      const std::string v = "," + kernel_param_value(r) + ",";
      return v.find("," + value + ",") != std::string::npos;
    });
  };
  // IOMMU parameters.
  const auto wanted = iommu_params_for(host.vendor);
  if (!s.iommu_added.empty()) {
    const bool all = std::all_of(s.iommu_added.begin(), s.iommu_added.end(), on_cmdline);
    out.push_back({"iommu", join(s.iommu_added, " "), host.boot.description,
                   all ? SetupItemState::active : SetupItemState::pending_reboot,
                   std::string(kProcCmdline) + ": " + join(running, " ")});
  } else {
    // Active but not persisted: on the running command line, yet nothing configures it for the
    // next boot (given at the boot prompt, say). Only ptagent's own items are known for sure.
    const bool all = std::all_of(wanted.begin(), wanted.end(), on_cmdline);
    if (host.boot.config == BootConfig::unknown) {
      // No boot loader configuration to compare with (a VM booted with -kernel, a container):
      // what runs is all there is to say.
      if (all) {
        out.push_back({"iommu", join(wanted, " "), "", SetupItemState::not_persisted,
                       "on /proc/cmdline; ptagent cannot tell how this host boots (" +
                           host.boot.description + ")"});
      }
    } else {
      const SetupPlan would = plan_setup_iommu(root, host, Conflicts::keep);
      const bool configured = would.files.empty() && would.commands.empty();
      if (all && !configured) {
        out.push_back({"iommu", join(wanted, " "), "", SetupItemState::not_persisted,
                       "on /proc/cmdline, but not in " + host.boot.description});
      }
    }
  }
  // vfio modules.
  const auto boot_modules = read_boot_modules(root);
  auto listed = [&](const std::string& m) {
    return std::any_of(boot_modules.begin(), boot_modules.end(),
                       [&](const ModuleListEntry& e) { return e.module == m; });
  };
  const auto modules = boot_vfio_modules(host);
  if (s.modules || !s.binds.empty()) {
    std::vector<std::string> missing;
    for (const auto& m : modules) {
      if (!module_present(root, m)) missing.push_back(m);
    }
    out.push_back({"modules", join(modules, " "),
                   std::string(kModulesLoad) + (s.modules_initramfs ? " + initramfs" : ""),
                   missing.empty() ? SetupItemState::active : SetupItemState::pending_reboot,
                   missing.empty() ? "all in /sys/module" : "not loaded: " + join(missing, " ")});
  } else {
    std::vector<std::string> loaded_unlisted;
    for (const auto& m : {"vfio", "vfio_iommu_type1", "vfio_pci"}) {
      if (module_present(root, m) && !listed(m)) {
        loaded_unlisted.push_back(m);
      }
    }
    if (!loaded_unlisted.empty()) {
      out.push_back({"modules", join(loaded_unlisted, " "), "", SetupItemState::not_persisted,
                     "loaded now, listed in no modules-load.d file nor /etc/modules"});
    }
  }
  // Devices on vfio-pci at boot.
  for (const auto& b : s.binds) {
    const Device* d = inv.find(b.address);
    std::string what = std::string("vfio-pci ") + bind_method_name(b.method);
    if (b.method == BindMethod::by_id) what += " " + b.ids;
    const std::string where = b.method == BindMethod::by_id
                                  ? kModprobeConf
                                  : (b.driverctl ? driverctl_file(b.address) : kVfioRules);
    if (!d) {
      out.push_back({"bind:" + b.address.to_string(), what, where, SetupItemState::drifted,
                     "the device is not on the host now"});
      continue;
    }
    const bool on = d->driver == std::optional<std::string>("vfio-pci");
    out.push_back({"bind:" + b.address.to_string(), what, where,
                   on ? SetupItemState::active : SetupItemState::pending_reboot,
                   "driver now: " + d->driver.value_or("none")});
  }
  for (const auto& d : inv.devices()) {
    if (d.driver != std::optional<std::string>("vfio-pci")) continue;
    const bool persisted = std::any_of(s.binds.begin(), s.binds.end(),
                                       [&](const BootBind& b) { return b.address == d.address; });
    if (!persisted) {
      out.push_back({"bind:" + d.address.to_string(), "vfio-pci", "", SetupItemState::not_persisted,
                     "on vfio-pci now; gone after a reboot unless something else binds it"});
    }
  }
  // SR-IOV.
  for (const auto& v : s.sriov) {
    const Device* d = inv.find(v.pf);
    const unsigned now = d && d->sriov ? d->sriov->num_vfs : 0;
    out.push_back({"sriov:" + v.pf.to_string(), std::to_string(v.vfs) + " VFs", kSriovRules,
                   now == v.vfs ? SetupItemState::active : SetupItemState::pending_reboot,
                   "sriov_numvfs now: " + std::to_string(now)});
  }
  for (const auto& d : inv.devices()) {
    if (!d.sriov || d.sriov->num_vfs == 0) continue;
    const bool persisted = std::any_of(s.sriov.begin(), s.sriov.end(),
                                       [&](const BootSriov& v) { return v.pf == d.address; });
    if (!persisted) {
      out.push_back({"sriov:" + d.address.to_string(), std::to_string(d.sriov->num_vfs) + " VFs",
                     "", SetupItemState::not_persisted, "sriov_numvfs is set now only"});
    }
  }
  // Kept powered.
  for (const auto& p : s.power) {
    const Device* d = inv.find(p.address);
    if (!d) {
      out.push_back({"power:" + p.address.to_string(), "kept out of D3cold", kPowerRules,
                     SetupItemState::drifted, "the device is not on the host now"});
      continue;
    }
    // The listing read leaves power attributes out: read the two files.
    const std::string dir = d->sysfs_link();
    const auto allowed = root.read_value(dir + "/d3cold_allowed");
    const auto control = root.read_value(dir + "/power/control");
    const bool on =
        allowed != std::optional<std::string>("1") && control != std::optional<std::string>("auto");
    out.push_back({"power:" + p.address.to_string(), "kept out of D3cold", kPowerRules,
                   on ? SetupItemState::active : SetupItemState::pending_reboot,
                   "d3cold_allowed now: " + allowed.value_or("-") +
                       ", power/control now: " + control.value_or("-")});
  }
  // reset_method.
  for (const auto& r : s.reset_methods) {
    const Device* d = inv.find(r.address);
    const std::string want = join(r.methods, " ");
    if (!d || !d->reset_methods) {
      out.push_back(
          {"reset-method:" + r.address.to_string(), want, kResetMethodRules,
           SetupItemState::drifted,
           d ? "the device has no reset_method now" : "the device is not on the host now"});
      continue;
    }
    const bool same = *d->reset_methods == r.methods;
    out.push_back({"reset-method:" + r.address.to_string(), want, kResetMethodRules,
                   same ? SetupItemState::active : SetupItemState::pending_reboot,
                   "reset_method now: " + join(*d->reset_methods, " ")});
  }
  // mdevs.
  for (const auto& m : s.mdevs) {
    const bool exists = root.exists(mdev_device_dir(m.uuid));
    out.push_back({"mdev:" + m.uuid, m.type + " on " + m.parent,
                   mdevctl_file(m.parent, m.uuid) + " (mdevctl, auto)",
                   exists ? SetupItemState::active : SetupItemState::pending_reboot,
                   exists ? "exists in /sys/bus/mdev/devices" : "not created yet"});
  }
  for (const auto& uuid : root.list(kMdevDevicesDir)) {
    const bool ours = std::any_of(s.mdevs.begin(), s.mdevs.end(),
                                  [&](const BootMdev& m) { return m.uuid == uuid; });
    if (ours) continue;
    bool defined = false;
    for (const auto& parent : root.list(kMdevctlDir)) {
      if (root.exists(mdevctl_file(parent, uuid))) defined = true;
    }
    if (!defined) {
      out.push_back({"mdev:" + uuid, "mdev", "", SetupItemState::not_persisted,
                     "exists now, defined neither by ptagent nor in /etc/mdevctl.d"});
    }
  }
  return out;
}

}  // namespace ptagent
