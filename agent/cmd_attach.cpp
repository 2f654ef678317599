// ptagent attach / detach-from: a host device into a libvirt domain in one checked step, and back.
#include <chrono>
#include <nlohmann/json.hpp>

#include "agent/commands.hpp"
#include "agent/device_args.hpp"
#include "agent/render.hpp"
#include "domain/attach.hpp"
#include "error.hpp"
#include "host/critical.hpp"
#include "pci/inventory.hpp"

namespace ptagent::cli {

namespace {

struct AttachOptions {
  std::vector<std::string> positional;
  bool live = false, config = false, unmanaged = false, force = false;
  double timeout = 30;
  double wait = 5;
};

Affect affect_of(const AttachOptions& o) {
  if (o.live && o.config) return Affect::live_and_config;
  if (o.live) return Affect::live;
  if (o.config) return Affect::config;
  return Affect::current;
}

int run(Context& ctx, const Args& args, bool attach) {
  const char* name = attach ? "attach" : "detach-from";
  AttachOptions o;
  po::options_description desc("Options");
  desc.add_options()("args", po::value(&o.positional)->multitoken(), "DOMAIN then DEVICE…")(
      "live", po::bool_switch(&o.live), "change the running guest")(
      "config", po::bool_switch(&o.config), "change the persistent definition");
  if (attach) {
    desc.add_options()("unmanaged", po::bool_switch(&o.unmanaged),
                       "bind to vfio-pci with ptagent first and write managed='no'")(
        "force", po::bool_switch(&o.force),
        "allow a host-critical device or a non-viable IOMMU group");
  }
  if (!attach) {
    desc.add_options()("wait", po::value(&o.wait),
                       "seconds to wait for the guest to release each device after a live detach "
                       "(default 5; 0: only look once)");
  }
  desc.add_options()("timeout", po::value(&o.timeout),
                     "seconds to wait for libvirtd per call (default 30)");
  po::positional_options_description pos;
  pos.add("args", -1);
  po::variables_map vm;
  const std::string details = attach ? "Checks the host-critical guard, IOMMU group viability "
                                       "(counting all DEVICEs together) and that\n"
                                       "no other running domain uses the device, then calls "
                                       "virDomainAttachDeviceFlags with a\n"
                                       "<hostdev managed='yes'> (libvirt detaches the device "
                                       "itself). Neither --live nor --config:\n"
                                       "the domain's current state.\n"
                                     : "Calls virDomainDetachDeviceFlags for each device; a device "
                                       "ptagent bound for an unmanaged\n"
                                       "hostdev goes back to its original driver.\n"
                                       "A live detach is only a request to the guest, which must "
                                       "release the device (PCI hotplug):\n"
                                       "ptagent waits up to --wait seconds for it to leave the "
                                       "domain's live XML. A device still there\n"
                                       "is reported as 'unplug requested, still pending' and the "
                                       "exit status is 3; it stays assigned\n"
                                       "until the guest lets go (check 'virsh dumpxml DOMAIN'; run "
                                       "detach-from again, or shut down).\n";
  if (!parse_options(ctx, command(name), desc, pos, args, vm, details + kRootNeedsConnect))
    return 0;
  if (o.positional.size() < 2) {
    throw_usage(std::string("ptagent ") + name, "needs a DOMAIN and at least one DEVICE",
                std::string("e.g. ptagent ") + name + " win10 0000:01:00.0 --config");
  }
  if (!(o.timeout > 0 && o.timeout <= 3600))
    throw_usage("--timeout", "must be between 0 and 3600 seconds");
  if (!(o.wait >= 0 && o.wait <= 3600)) throw_usage("--wait", "must be between 0 and 3600 seconds");
  AttachRequest req;
  req.domain = o.positional.front();
  req.affect = affect_of(o);
  req.unmanaged = o.unmanaged;
  req.force = o.force;
  req.uri = ctx.global.connect;
  req.timeout = std::chrono::milliseconds(static_cast<long long>(o.timeout * 1000));
  req.wait_seconds = o.wait;
  const std::string& domain = req.domain;

  const Root& root = ctx.root();
  // Checked here, acted on the real host: refused before anything else (a dry run acts on nothing).
  if (!ctx.global.dry_run) require_explicit_connect(ctx, name);
  Inventory inv = Inventory::scan(root, Naming::ids_only);
  req.devices =
      resolve_devices(inv, {o.positional.begin() + 1, o.positional.end()}, GroupExpansion::none);
  if (attach) {
    HostCritical critical = HostCritical::scan(root, inv);
    guard_host_critical(critical, req.devices, o.force ? Force::yes : Force::no, "attach");
    for (const auto& w : check_attach(inv, req)) ctx.warn(w);
  }

  if (ctx.global.dry_run) {
    ctx.out << "Plan (dry run, nothing changed; libvirt " << ctx.global.connect << "):\n";
    for (const auto& a : req.devices) {
      if (attach && o.unmanaged)
        ctx.out << "  bind " << a.to_string() << " to vfio-pci (ptagent, journaled)\n";
      ctx.out << "  " << (attach ? "attach to " : "detach from ") << domain << ":\n"
              << attach_hostdev_xml(a, !o.unmanaged);
    }
    return 0;
  }

  const AttachResult result = attach ? attach_devices(root, ctx.effects(), req)
                                     : detach_from_domain(root, ctx.effects(), req);
  const auto& log = result.log;
  const auto& pending = result.pending;
  const auto& pending_ours = result.pending_ours;

  if (ctx.global.json) {
    nlohmann::json j = {{"operation", name}, {"domain", domain}, {"actions", log}};
    if (!attach) {
      nlohmann::json p = nlohmann::json::array();
      for (const auto& a : pending) p.push_back(a.to_string());
      j["pending"] = p;
    }
    ctx.out << j.dump(2) << "\n";
  } else {
    for (const auto& l : log) ctx.out << l << "\n";
  }
  if (!pending.empty()) {
    std::string list;
    for (const auto& a : pending) list += (list.empty() ? "" : " ") + a.to_string();
    ctx.err << "ptagent: the guest has not completed the unplug of " << list
            << "; it is still assigned to '" << domain << "'\n"
            << "  fix: the guest must release it (PCI hotplug support, the device not in use "
               "inside the guest): "
               "check 'virsh dumpxml "
            << domain << "', wait longer (--wait SECONDS), or shut the guest down\n";
    for (const auto& a : pending_ours) {
      ctx.err << "  then: 'ptagent restore " << a.to_string()
              << "' gives it back to its host driver (ptagent bound it to vfio-pci)\n";
    }
    return 3;
  }
  return 0;
}

}  // namespace

int cmd_attach(Context& ctx, const Args& args) {
  return run(ctx, args, true);
}
int cmd_detach_from(Context& ctx, const Args& args) {
  return run(ctx, args, false);
}

}  // namespace ptagent::cli
