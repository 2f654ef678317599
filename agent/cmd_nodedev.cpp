// ptagent detach / reattach / reset: libvirt's node-device API, guarded, in libvirt's order.
#include <chrono>
#include <nlohmann/json.hpp>

#include "agent/commands.hpp"
#include "agent/device_args.hpp"
#include "agent/render.hpp"
#include "domain/node_devices.hpp"
#include "error.hpp"
#include "host/critical.hpp"
#include "pci/inventory.hpp"

namespace ptagent::cli {

namespace {

using Op = NodedevOp;

struct NodedevOptions {
  std::vector<std::string> devices;
  bool group = false;
  bool force = false;
  double timeout = 30;
};

std::chrono::milliseconds bound(double seconds) {
  if (!(seconds > 0 && seconds <= 3600))
    throw_usage("--timeout", "must be between 0 and 3600 seconds");
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

int run_nodedev(Context& ctx, const Args& args, Op op) {
  const char* name = nodedev_op_name(op);
  NodedevOptions o;
  po::options_description desc("Options");
  desc.add_options()("device", po::value(&o.devices)->multitoken(),
                     "devices (any address form; 01:00 = every function of the slot)");
  if (op == Op::detach)
    desc.add_options()("group", po::bool_switch(&o.group),
                       "also every other endpoint of each device's IOMMU group");
  if (op != Op::reattach)
    desc.add_options()(
        "force", po::bool_switch(&o.force),
        "allow a host-critical device (root disk, default-route NIC, boot VGA, keyboard)");
  desc.add_options()("timeout", po::value(&o.timeout),
                     "seconds to wait for libvirtd per call (default 30)");
  po::positional_options_description pos;
  pos.add("device", -1);
  po::variables_map vm;
  const std::string details =
      op == Op::detach ? "Detaches each device from its host driver to vfio-pci with "
                         "virNodeDeviceDetachFlags(…, \"vfio\"),\n"
                         "then resets each (virNodeDeviceReset), like libvirt's managed hostdevs: "
                         "check all, detach all,\n"
                         "reset all. A failure reattaches what was detached.\n"
      : op == Op::reattach
          ? "Gives each device back to its host driver (virNodeDeviceReAttach). Only devices on "
            "vfio-pci or\n"
            "pci-stub are accepted. A failure detaches again what was reattached.\n"
          : "Resets each device through libvirt (virNodeDeviceReset): FLR, else PM reset, else "
            "secondary bus\n"
            "reset. A device that reads vendor 0xffff afterwards is wedged (an SR-IOV VF, whose "
            "IDs always read\n"
            "0xffff in config space: its class and status registers): reboot needed.\n";
  const std::string details_all = details + kRootNeedsConnect;
  if (!parse_options(ctx, command(name), desc, pos, args, vm, details_all)) return 0;
  const auto timeout = bound(o.timeout);

  NodedevRequest req;
  req.op = op;
  req.uri = ctx.global.connect;
  req.timeout = timeout;

  const Root& root = ctx.root();
  // Checked here, acted on the real host: refused before anything else (a dry run acts on nothing).
  if (!ctx.global.dry_run) require_explicit_connect(ctx, name);
  Inventory inv = Inventory::scan(root, Naming::ids_only);
  req.devices =
      resolve_devices(inv, o.devices, o.group ? GroupExpansion::whole_group : GroupExpansion::none);
  const auto& devices = req.devices;
  HostCritical critical = HostCritical::scan(root, inv);
  if (op != Op::reattach)
    guard_host_critical(critical, devices, o.force ? Force::yes : Force::no, name);
  check_node_devices(inv, req);

  if (ctx.global.dry_run) {
    ctx.out << "Plan (dry run, nothing changed; libvirt " << ctx.global.connect << "):\n";
    for (const auto& a : devices) {
      const Device& d = inv.get(a);
      if (op == Op::detach)
        ctx.out << "  detach " << a.to_string() << " from " << d.driver.value_or("no driver")
                << " to vfio-pci\n";
      if (op == Op::reattach)
        ctx.out << "  reattach " << a.to_string() << " from " << d.driver.value_or("?")
                << " to its host driver\n";
    }
    if (op != Op::reattach) {
      for (const auto& a : devices) ctx.out << "  reset " << a.to_string() << "\n";
    }
    return 0;
  }

  const ActionLog log = run_node_devices(root, ctx.effects(), req);
  if (ctx.global.json) {
    nlohmann::json j = {{"operation", name}, {"actions", log}};
    nlohmann::json devs = nlohmann::json::array();
    for (const auto& a : devices) devs.push_back(a.to_string());
    j["devices"] = devs;
    ctx.out << j.dump(2) << "\n";
  } else {
    for (const auto& line : log) ctx.out << line << "\n";
  }
  return 0;
}

}  // namespace

int cmd_detach(Context& ctx, const Args& args) {
  return run_nodedev(ctx, args, Op::detach);
}
int cmd_reattach(Context& ctx, const Args& args) {
  return run_nodedev(ctx, args, Op::reattach);
}
int cmd_reset(Context& ctx, const Args& args) {
  return run_nodedev(ctx, args, Op::reset);
}

}  // namespace ptagent::cli
