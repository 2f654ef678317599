// ptagent setup iommu|modules|bind|sriov|mdev|power|reset-method|status|revert: the host prepared
// for passthrough at every boot, shown as a diff before it is written, undoable. The planning is
// src/setup's.
#include <nlohmann/json.hpp>

#include "agent/commands.hpp"
#include "agent/device_args.hpp"
#include "error.hpp"
#include "ops/reset_method.hpp"
#include "pci/inventory.hpp"
#include "setup/command_runner.hpp"
#include "setup/setup_apply.hpp"
#include "setup/setup_plan.hpp"
#include "setup/setup_status.hpp"
#include "setup/unified_diff.hpp"
#include "sysfs/root.hpp"

namespace ptagent::cli {

namespace {

const char* kDetails =
    "Actions:\n"
    "  iommu [--replace-conflicting]   the IOMMU parameters on the next boot's kernel command "
    "line\n"
    "                                  (GRUB drop-in or marked line, grubby, /etc/kernel/cmdline)\n"
    "  modules [--initramfs]           vfio, vfio_iommu_type1, vfio_pci loaded at boot\n"
    "  bind DEVICE… [--by-id|--by-address] [--group] [--force]\n"
    "                                  vfio-pci from boot: ids= + softdep, or driver_override at\n"
    "                                  device add (driverctl's saved override when it is "
    "installed)\n"
    "  sriov PF --vfs N [--force]      the PF's VF count set when its driver binds at boot\n"
    "  mdev --uuid U --parent P --type T   an mdev defined with mdevctl, started at boot\n"
    "  power DEVICE                    kept out of D3cold from boot, its bridge too (udev rules)\n"
    "  reset-method DEVICE METHOD…     its reset_method set when it is added at boot\n"
    "  status [--json]                 what ptagent persisted, what is active, the difference\n"
    "  revert [ITEM]                   remove what ptagent wrote (iommu, modules, bind[:DEV],\n"
    "                                  sriov[:PF], mdev[:UUID], power[:DEV], reset-method[:DEV];\n"
    "                                  everything without ITEM)\n"
    "Every change: --dry-run prints each file's unified diff and the commands; foreign files are\n"
    "backed up under /etc/ptagent/backup; what ptagent persisted is in /etc/ptagent/setup.json.\n"
    "The initramfs and boot loader are regenerated once at the end; if that fails, every file is\n"
    "put back. Under --root DIR no program runs unless --commands-path DIR names where to find\n"
    "them (tests put stubs there); the commands are listed instead.\n";

const char* kSystemPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

nlohmann::json plan_json(const SetupPlan& plan) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : plan.files) {
    files.push_back({{"path", f.path},
                     {"action", !f.before  ? "create"
                                : !f.after ? "remove"
                                           : "edit"},
                     {"foreign", f.foreign},
                     {"diff", unified_diff(f.path, f.before, f.after)}});
  }
  nlohmann::json commands = nlohmann::json::array();
  for (const auto& c : plan.commands) commands.push_back(command_text(c.argv));
  return {
      {"changes", plan.changes}, {"notes", plan.notes}, {"files", files}, {"commands", commands}};
}

int carry_out(Context& ctx, const SetupPlan& plan, const std::string& commands_path) {
  const bool dry = ctx.global.dry_run;
  if (ctx.global.json && dry) {
    auto j = plan_json(plan);
    j["dry_run"] = true;
    ctx.out << j.dump(2) << "\n";
    return 0;
  }
  if (!ctx.global.json) {
    for (const auto& c : plan.changes) ctx.out << (dry ? "would: " : "change: ") << c << "\n";
    for (const auto& n : plan.notes) ctx.out << "note: " << n << "\n";
  }
  if (dry) {
    ctx.out << describe_plan(plan);
    if (plan.empty()) ctx.out << "nothing to change\n";
    return 0;
  }
  if (plan.empty()) {
    if (ctx.global.json) {
      auto j = plan_json(plan);
      j["dry_run"] = false;
      ctx.out << j.dump(2) << "\n";
    } else {
      ctx.out << "nothing to change\n";
    }
    return 0;
  }
  std::unique_ptr<ProcessRunner> runner;
  const Root& root = ctx.root();
  if (!commands_path.empty()) {
    runner = std::make_unique<ProcessRunner>(commands_path);
  } else if (root.is_system_root()) {
    runner = std::make_unique<ProcessRunner>(kSystemPath);
  }
  const ApplyReport r = apply_setup(root, plan, runner.get());
  if (ctx.global.json) {
    auto j = plan_json(plan);
    j["dry_run"] = false;
    j["written"] = r.written;
    j["backups"] = r.backups;
    j["ran"] = r.ran;
    j["not_run"] = r.not_run;
    j["warnings"] = r.warnings;
    ctx.out << j.dump(2) << "\n";
    return 0;
  }
  for (const auto& b : r.backups) ctx.out << "backup: " << root.host_path(b) << "\n";
  for (const auto& w : r.written) ctx.out << "wrote: " << root.host_path(w) << "\n";
  for (const auto& c : r.ran) ctx.out << "ran: " << c << "\n";
  for (const auto& w : r.warnings) ctx.out << "warning: " << w << "\n";
  for (const auto& c : r.not_run) {
    ctx.out << "not run (simulated host; --commands-path DIR runs stubs): " << c << "\n";
  }
  return 0;
}

int show_status(Context& ctx) {
  const Root& root = ctx.root();
  const SetupHost host = read_setup_host(root);
  const Inventory inv = Inventory::scan(root, DeviceDetail::listing);
  const auto lines = setup_status(root, host, inv);
  if (ctx.global.json) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& l : lines) {
      items.push_back({{"item", l.item},
                       {"what", l.what},
                       {"persisted_in", l.where},
                       {"state", setup_item_state_id(l.state)},
                       {"text", setup_item_state_text(l.state)},
                       {"evidence", l.evidence}});
    }
    ctx.out << nlohmann::json({{"boot", host.boot.description},
                               {"initramfs", initramfs_tool_name(host.initramfs)},
                               {"items", items}})
                   .dump(2)
            << "\n";
    return 0;
  }
  ctx.out << "boot: " << host.boot.description
          << "\ninitramfs: " << initramfs_tool_name(host.initramfs) << "\n";
  if (lines.empty())
    ctx.out << "nothing persisted by ptagent, nothing active that is not persisted\n";
  for (const auto& l : lines) {
    ctx.out << l.item << ": " << l.what << ": " << setup_item_state_text(l.state);
    if (!l.where.empty()) ctx.out << " (" << l.where << ")";
    ctx.out << "; " << l.evidence << "\n";
  }
  return 0;
}

}  // namespace

int cmd_setup(Context& ctx, const Args& args) {
  std::string verb, commands_path, uuid, parent, type;
  std::vector<std::string> rest;
  bool replace = false, initramfs = false, by_id = false, by_address = false, group = false,
       force = false;
  int vfs = -1;
  po::options_description desc("Options");
  desc.add_options()("action", po::value(&verb),
                     "iommu, modules, bind, sriov, mdev, power, reset-method, status or revert")(
      "arg", po::value(&rest)->multitoken(),
      "devices (bind), the PF (sriov), the device (power; reset-method, then its methods) or the "
      "item (revert)")(
      "replace-conflicting", po::bool_switch(&replace),
      "iommu: remove a conflicting intel_iommu=off / amd_iommu=off / iommu=… word")(
      "initramfs", po::bool_switch(&initramfs), "modules: also put them into the initramfs")(
      "by-id", po::bool_switch(&by_id),
      "bind: options vfio-pci ids= + softdep (every device with the IDs)")(
      "by-address", po::bool_switch(&by_address), "bind: driver_override at device add (default)")(
      "group", po::bool_switch(&group),
      "bind: every other endpoint of each device's IOMMU group too")(
      "force", po::bool_switch(&force), "allow a host-critical device")(
      "vfs", po::value(&vfs), "sriov: the VF count at boot (0 removes it)")(
      "uuid", po::value(&uuid), "mdev: its UUID")(
      "parent", po::value(&parent), "mdev: the parent device")("type", po::value(&type),
                                                               "mdev: the mdev type")(
      "commands-path", po::value(&commands_path),
      "run update-grub, update-initramfs, … only from these directories (PATH form)");
  po::positional_options_description pos;
  pos.add("action", 1).add("arg", -1);
  po::variables_map vm;
  if (!parse_options(ctx, command("setup"), desc, pos, args, vm, kDetails)) return 0;

  auto no_args = [&] {
    if (!rest.empty())
      throw_usage("ptagent setup " + verb + " " + rest.front(), "takes no argument",
                  "see ptagent setup --help");
  };
  const Root& root = ctx.root();
  if (verb == "status") {
    no_args();
    return show_status(ctx);
  }
  SetupHost host = read_setup_host(root);
  SetupPlan plan;
  if (verb == "iommu") {
    no_args();
    plan = plan_setup_iommu(root, host, replace ? Conflicts::replace : Conflicts::keep);
  } else if (verb == "modules") {
    no_args();
    plan = plan_setup_modules(root, host,
                              initramfs ? ModulesInitramfs::include : ModulesInitramfs::leave);
  } else if (verb == "bind") {
    if (by_id && by_address)
      throw_usage("ptagent setup bind", "takes --by-id or --by-address, not both", "choose one");
    if (rest.empty())
      throw_usage("ptagent setup bind", "needs at least one DEVICE",
                  "e.g. ptagent setup bind 0000:01:00.0");
    Inventory inv = Inventory::scan(root, Naming::ids_only);
    SetupBindRequest req;
    req.devices =
        resolve_devices(inv, rest, group ? GroupExpansion::whole_group : GroupExpansion::none);
    req.method = by_id ? BindMethod::by_id : BindMethod::by_address;
    req.guard = force ? CriticalGuard::force : CriticalGuard::refuse;
    plan = plan_setup_bind(root, host, inv, req);
  } else if (verb == "sriov") {
    if (rest.size() != 1 || vfs < 0)
      throw_usage("ptagent setup sriov", "needs one PF and --vfs N",
                  "e.g. ptagent setup sriov 0000:03:00.0 --vfs 4");
    Inventory inv = Inventory::scan(root, Naming::ids_only);
    const auto pf = resolve_devices(inv, rest, GroupExpansion::none);
    if (pf.size() != 1)
      throw_usage(rest.front(), "names more than one function", "name the PF, e.g. 0000:03:00.0");
    plan = plan_setup_sriov(root, host, inv, pf.front(), static_cast<unsigned>(vfs),
                            force ? CriticalGuard::force : CriticalGuard::refuse);
  } else if (verb == "power" || verb == "reset-method") {
    if (rest.empty() || (verb == "power" && rest.size() != 1))
      throw_usage("ptagent setup " + verb,
                  verb == "power" ? "needs one DEVICE" : "needs one DEVICE and its methods",
                  verb == "power"
                      ? "e.g. ptagent setup power 0000:04:00.0"
                      : "e.g. ptagent setup reset-method 0000:03:00.0 device_specific bus");
    Inventory inv = Inventory::scan(root, Naming::ids_only);
    const PciAddress device = resolve_one_device(inv, parse_device_spec(rest.front()), verb);
    if (verb == "power") {
      plan = plan_setup_power(root, host, inv, device);
    } else {
      const std::vector<std::string> methods =
          parse_reset_methods(std::vector<std::string>(rest.begin() + 1, rest.end()));
      plan = plan_setup_reset_method(root, host, inv, device, methods);
    }
  } else if (verb == "mdev") {
    no_args();
    if (uuid.empty())
      throw_usage("ptagent setup mdev", "needs --uuid, --parent and --type",
                  "e.g. --uuid $(uuidgen) --parent 0000:00:02.0 --type i915-GVTg_V5_4");
    plan = plan_setup_mdev(root, host, {uuid, parent, type});
  } else if (verb == "revert") {
    if (rest.size() > 1)
      throw_usage("ptagent setup revert", "takes at most one ITEM",
                  "e.g. ptagent setup revert bind:0000:01:00.0");
    plan = plan_setup_revert(root, host, rest.empty() ? std::string() : rest.front());
  } else {
    throw_usage("ptagent setup " + verb, verb.empty() ? "needs an action" : "unknown action",
                "use iommu, modules, bind, sriov, mdev, power, reset-method, status or revert");
  }
  return carry_out(ctx, plan, commands_path);
}

}  // namespace ptagent::cli
