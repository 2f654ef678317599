// ptagent bind / restore: vfio binding through driver_override, undone from the journal.
#include <nlohmann/json.hpp>

#include "agent/commands.hpp"
#include "agent/device_args.hpp"
#include "domain/effects.hpp"
#include "error.hpp"
#include "ops/journal.hpp"
#include "ops/restore.hpp"
#include "ops/vfio_bind.hpp"
#include "pci/inventory.hpp"
#include "sysfs/root.hpp"
#include "sysfs/sysfs_writer.hpp"

namespace ptagent::cli {

namespace {

nlohmann::json opt(const std::optional<std::string>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

std::string shown(const std::optional<std::string>& v) {
  return v.value_or("no driver");
}

void print_steps(Context& ctx, const std::vector<std::string>& steps) {
  ctx.out << "Plan (dry run, nothing changed):\n";
  for (std::size_t i = 0; i < steps.size(); ++i)
    ctx.out << "  " << (i + 1) << ". " << steps[i] << "\n";
}

// Restore takes addresses of devices that may be gone from the host: only the slot shorthand needs
// the inventory.
std::vector<PciAddress> restore_targets(const Root& root, const std::vector<std::string>& args) {
  std::vector<DeviceSpec> specs;
  for (const auto& a : args) specs.push_back(parse_device_spec(a));
  std::vector<PciAddress> out;
  std::optional<Inventory> inv;
  for (const auto& s : specs) {
    std::vector<PciAddress> found{s.address};
    if (s.whole_slot) {
      if (!inv) inv = Inventory::scan(root, Naming::ids_only);
      found = inv->expand(s);
    }
    for (const auto& a : found) {
      if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
    }
  }
  return out;
}

}  // namespace

int cmd_bind(Context& ctx, const Args& args) {
  SysfsWriter& writer = ctx.effects().sysfs;
  std::vector<std::string> devices;
  std::string driver = kBestVfioDriver;
  bool group = false, force = false;
  po::options_description desc("Options");
  desc.add_options()("device", po::value(&devices)->multitoken(),
                     "devices (any address form; 01:00 = every function of the slot)")(
      "driver", po::value(&driver),
      "the VFIO driver to bind to: vfio-pci or a variant driver that matches the device "
      "(mlx5_vfio_pci, ...; 'ptagent show' lists them), or pci-stub (default: each device's "
      "best, as libvirt >= 10 picks it)")(
      "group", po::bool_switch(&group),
      "also every other non-bridge endpoint of each device's IOMMU group")(
      "force", po::bool_switch(&force),
      "allow a host-critical device (root disk, default-route NIC, boot VGA, keyboard)");
  po::positional_options_description pos;
  pos.add("device", -1);
  po::variables_map vm;
  const std::string details =
      "Records each device's driver and driver_override in the journal (/run/ptagent), then writes "
      "the\n"
      "driver to driver_override, unbinds the device from its driver, writes its address to\n"
      "/sys/bus/pci/drivers_probe and checks the result. Never uses new_id. A failure at any step "
      "puts\n"
      "every device back. 'ptagent restore DEVICE' undoes it.\n"
      "Without --driver each device goes to its best VFIO driver: the variant driver whose\n"
      "vfio_pci: alias in /lib/modules/$(uname -r)/modules.alias matches its modalias with the\n"
      "fewest wildcards (libvirt's rule), else vfio-pci.\n";
  if (!parse_options(ctx, command("bind"), desc, pos, args, vm, details)) return 0;
  if (devices.empty())
    throw_usage("ptagent bind", "needs at least one DEVICE", "e.g. ptagent bind 0000:01:00.0");

  const Root& root = ctx.root();
  Inventory inv = Inventory::scan(root, Naming::ids_only);
  BindRequest request;
  request.devices = resolve_devices(inv, devices, GroupExpansion::none);
  request.driver = driver;
  request.group = group ? GroupMode::whole_group : GroupMode::named_only;
  request.guard = force ? CriticalGuard::force : CriticalGuard::refuse;
  request.owner = "cli";
  Journal journal = ctx.journal();

  const bool dry = ctx.global.dry_run;
  BindPlan plan = dry ? plan_bind(root, journal, request, PlanMode::dry_run)
                      : bind_devices(root, writer, journal,
                                     plan_bind(root, journal, request, PlanMode::execute));
  for (const auto& w : plan.warnings) ctx.warn(w);

  if (ctx.global.json) {
    nlohmann::json j;
    j["dry_run"] = dry;
    // The driver every changed device went to (each device's best when none was named): null
    // when they differ, see each device's driver_after.
    std::string common = plan.driver;
    for (const auto& b : plan.devices) {
      if (common.empty()) common = b.driver_after;
      if (b.driver_after != common) {
        common.clear();
        break;
      }
    }
    j["driver"] = common.empty() ? nlohmann::json(nullptr) : nlohmann::json(common);
    j["devices"] = nlohmann::json::array();
    for (const auto& b : plan.devices) {
      j["devices"].push_back(
          {{"address", b.address.to_string()},
           {"driver_before", opt(b.driver_before)},
           {"override_before", opt(b.override_before)},
           {"driver_after", dry ? nlohmann::json(nullptr) : nlohmann::json(b.driver_after)},
           {"named", b.named}});
    }
    j["already_bound"] = nlohmann::json::array();
    for (const auto& a : plan.already_bound) j["already_bound"].push_back(a.to_string());
    j["steps"] = plan.steps;
    j["warnings"] = plan.warnings;
    j["journal"] = journal.dir() + "/journal.json";
    ctx.out << j.dump(2) << "\n";
    return 0;
  }
  if (dry) {
    print_steps(ctx, plan.steps);
  } else {
    std::string all;
    for (const auto& b : plan.devices) {
      ctx.out << b.address.to_string() << ": " << shown(b.driver_before) << " -> " << b.driver_after
              << "\n";
      all += " " + b.address.to_string();
    }
    if (!all.empty()) {
      ctx.out << "Recorded in " << journal.dir() << "/journal.json; undo with: ptagent restore"
              << all << "\n";
    }
  }
  for (const auto& a : plan.already_bound) {
    ctx.out << a.to_string() << ": already on " << shown(inv.get(a).driver) << ", left as it is\n";
  }
  return 0;
}

int cmd_restore(Context& ctx, const Args& args) {
  SysfsWriter& writer = ctx.effects().sysfs;
  std::vector<std::string> devices;
  bool all = false;
  po::options_description desc("Options");
  desc.add_options()("device", po::value(&devices)->multitoken(),
                     "devices ptagent bound (any address form)")(
      "all", po::bool_switch(&all),
      "undo everything the journal holds, newest first (after a crash)");
  po::positional_options_description pos;
  pos.add("device", -1);
  po::variables_map vm;
  const std::string details =
      "Puts each device back on the driver (and driver_override) recorded when ptagent bound it:\n"
      "driver_override back, unbind, reprobe, check; then drops its journal entry. --all also "
      "removes\n"
      "the mdevs and SR-IOV VFs ptagent created. A failure leaves the devices as they were.\n";
  if (!parse_options(ctx, command("restore"), desc, pos, args, vm, details)) return 0;
  if (all && !devices.empty()) {
    throw_usage("ptagent restore", "takes either DEVICE… or --all, not both",
                "e.g. ptagent restore --all");
  }
  if (!all && devices.empty()) {
    throw_usage("ptagent restore", "needs DEVICE… or --all", "e.g. ptagent restore 0000:01:00.0");
  }
  const Root& root = ctx.root();
  Journal journal = ctx.journal();
  const bool dry = ctx.global.dry_run;

  if (all) {
    if (dry) {
      const auto entries = journal.load();
      std::vector<std::string> steps;
      for (auto it = entries.rbegin(); it != entries.rend(); ++it)
        steps.push_back("undo " + describe_change(*it));
      if (ctx.global.json) {
        ctx.out << nlohmann::json{{"dry_run", true}, {"steps", steps}}.dump(2) << "\n";
      } else if (steps.empty()) {
        ctx.out << "Nothing to restore: the journal is empty.\n";
      } else {
        print_steps(ctx, steps);
      }
      return 0;
    }
    const auto outcomes = restore_all(root, writer, journal);
    int failed = 0;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& o : outcomes) {
      if (!o.undone) ++failed;
      list.push_back({{"id", o.change.id},
                      {"kind", change_kind_name(o.change.kind)},
                      {"description", describe_change(o.change)},
                      {"undone", o.undone},
                      {"error", o.undone ? nlohmann::json(nullptr) : nlohmann::json(o.error)}});
      if (!ctx.global.json) {
        if (o.undone) {
          ctx.out << "undone: " << describe_change(o.change) << "\n";
        } else {
          ctx.err << "ptagent: error: not undone: " << describe_change(o.change) << ": " << o.error
                  << "\n";
        }
      }
    }
    if (ctx.global.json) {
      ctx.out << nlohmann::json{{"dry_run", false}, {"entries", list}}.dump(2) << "\n";
    } else if (outcomes.empty()) {
      ctx.out << "Nothing to restore: the journal is empty.\n";
    } else if (failed) {
      ctx.out << failed << " of " << outcomes.size()
              << " entries could not be undone and stay in the journal.\n";
    }
    return failed ? 1 : 0;
  }

  const auto targets = restore_targets(root, devices);
  std::vector<DeviceRestore> done;
  std::vector<std::string> steps;
  if (dry) {
    const RestorePlan plan = plan_restore(root, journal.load(), targets);
    done = plan.devices;
    steps = plan.steps;
  } else {
    done = restore_devices(root, writer, journal, targets);
  }
  if (ctx.global.json) {
    nlohmann::json j;
    j["dry_run"] = dry;
    j["devices"] = nlohmann::json::array();
    for (const auto& d : done) {
      j["devices"].push_back({{"address", d.address.to_string()},
                              {"driver_before", opt(d.driver_before)},
                              {"driver_after", opt(d.driver_after)},
                              {"override_after", opt(d.override_after)},
                              {"bound_by", d.owner}});
    }
    j["steps"] = steps;
    ctx.out << j.dump(2) << "\n";
    return 0;
  }
  if (dry) {
    print_steps(ctx, steps);
    return 0;
  }
  for (const auto& d : done) {
    ctx.out << d.address.to_string() << ": " << shown(d.driver_before) << " -> "
            << shown(d.driver_after) << "\n";
  }
  return 0;
}

}  // namespace ptagent::cli
