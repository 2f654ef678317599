// ptagent attach / detach-from: a host device into a libvirt domain in one checked step, and back.
#include <algorithm>
#include <chrono>

#include "agent/commands.hpp"
#include "agent/device_args.hpp"
#include "agent/render.hpp"
#include "error.hpp"
#include "host/critical.hpp"
#include "ops/journal.hpp"
#include "ops/sysfs_writer.hpp"
#include "ops/vfio_bind.hpp"
#include "pci/inventory.hpp"
#include "pci/iommu_group.hpp"
#include "virt/domain_holders.hpp"
#include "virt/domain_ops.hpp"
#include "xml/domain.hpp"
#include "xml/hostdev.hpp"

namespace ptagent::cli {

namespace {

struct AttachOptions {
  std::vector<std::string> positional;
  bool live = false, config = false, unmanaged = false, force = false;
  double timeout = 30;
  double wait = 5;
};

virt::Affect affect_of(const AttachOptions& o) {
  if (o.live && o.config) return virt::Affect::live_and_config;
  if (o.live) return virt::Affect::live;
  if (o.config) return virt::Affect::config;
  return virt::Affect::current;
}

std::string hostdev_for(const PciAddress& a, YesNo managed) {
  HostdevSpec spec;
  spec.source = HostdevPciSource{a, managed, false};
  return hostdev_xml(spec);
}

std::string format_seconds(double s) {
  std::string t = std::to_string(s);
  t.erase(t.find_last_not_of('0') + 1);
  if (!t.empty() && t.back() == '.') t.pop_back();
  return t;
}

bool domain_has(const DomainInfo& info, const PciAddress& a) {
  return std::any_of(info.pci.begin(), info.pci.end(),
                     [&](const PciHostdev& h) { return h.address == a; });
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
  const std::string domain = o.positional.front();
  const std::vector<std::string> device_args(o.positional.begin() + 1, o.positional.end());

  const Root& root = ctx.root();
  // Checked here, acted on the real host: refused before anything else (a dry run acts on nothing).
  if (!ctx.global.dry_run) require_explicit_connect(ctx, name);
  Inventory inv = Inventory::scan(root, Naming::ids_only);
  auto devices = resolve_devices(inv, device_args, GroupExpansion::none);

  if (attach) {
    HostCritical critical = HostCritical::scan(root, inv);
    guard_host_critical(critical, devices, o.force ? Force::yes : Force::no, "attach");
    // A definition-only change touches no device now: the group is checked when the guest starts
    // (libvirt, and ptagent's hook), so it is a warning then, a refusal for a live attach.
    const bool config_only = o.config && !o.live;
    for (const auto& a : devices) {
      GroupVerdict v = assess_group(inv, a, devices);
      if (v.viable || o.force) continue;
      if (config_only) {
        ctx.warn(a.to_string() + ": " + v.explain() + " (the guest will not start like this)");
      } else {
        throw_refused(a.to_string(), v.explain(),
                      v.group ? "add the other devices to this call, or --force"
                              : "enable the IOMMU first (run 'ptagent check'), or use --config to "
                                "only change the definition");
      }
    }
  }

  const YesNo managed = o.unmanaged ? YesNo::no : YesNo::yes;
  if (ctx.global.dry_run) {
    ctx.out << "Plan (dry run, nothing changed; libvirt " << ctx.global.connect << "):\n";
    for (const auto& a : devices) {
      if (attach && o.unmanaged)
        ctx.out << "  bind " << a.to_string() << " to vfio-pci (ptagent, journaled)\n";
      ctx.out << "  " << (attach ? "attach to " : "detach from ") << domain << ":\n"
              << hostdev_for(a, managed);
    }
    return 0;
  }

  virt::Connection conn = virt::Connection::open(
      ctx.global.connect, std::chrono::milliseconds(static_cast<long long>(o.timeout * 1000)));
  virt::Domain dom = virt::Domain::lookup(conn, domain);
  const virt::Affect affect = affect_of(o);
  const bool active = virt::domain_is_active(conn, dom);
  const bool inactive_view =
      affect == virt::Affect::config || (affect == virt::Affect::current && !active);
  DomainInfo info = parse_domain_xml(virt::domain_xml(conn, dom, inactive_view));
  std::vector<std::string> log;
  std::vector<PciAddress> pending;       // live unplugs the guest has not completed
  std::vector<PciAddress> pending_ours;  // … of devices ptagent bound (restored once gone)

  if (attach) {
    for (const auto& a : devices) {
      if (domain_has(info, a)) {
        throw_refused(
            a.to_string(), "is already a host device of domain '" + domain + "'",
            "nothing to do; 'ptagent detach-from " + domain + " " + a.to_string() + "' removes it");
      }
    }
    virt::refuse_held_devices(conn, devices, "attach", info.uuid);
    Journal journal(root);
    RealSysfsWriter writer(root);
    if (o.unmanaged) {
      BindRequest req;
      req.devices = devices;
      req.guard = o.force ? CriticalGuard::force : CriticalGuard::refuse;
      req.partial = o.force ? PartialGroup::checked_by_caller : PartialGroup::refuse;
      bind_devices(root, writer, journal, req);
      for (const auto& a : devices) log.push_back(a.to_string() + ": bound to vfio-pci (ptagent)");
    }
    std::vector<PciAddress> attached;
    for (const auto& a : devices) {
      try {
        virt::attach_device(conn, dom, hostdev_for(a, managed), affect);
      } catch (const Error& e) {
        for (const auto& b : attached) {
          try {
            virt::detach_device(conn, dom, hostdev_for(b, managed), affect);
          } catch (const Error&) {
          }
        }
        if (o.unmanaged) restore_devices(root, writer, journal, devices);
        throw Error(
            e.kind(), e.reason(), e.object(),
            e.cause() + (attached.empty() && !o.unmanaged ? std::string("; nothing was changed")
                                                          : std::string("; rolled back")),
            e.hint());
      }
      attached.push_back(a);
      log.push_back(a.to_string() + ": attached to " + domain);
    }
  } else {
    for (const auto& a : devices) {
      if (!domain_has(info, a)) {
        throw_not_found(a.to_string(), "is not a host device of domain '" + domain + "'",
                        "see 'virsh dumpxml " + domain + "'");
      }
    }
    const bool live = virt::affects_live(affect, active);
    const auto wait = std::chrono::milliseconds(static_cast<long long>(o.wait * 1000));
    std::vector<PciAddress> gone;
    for (const auto& a : devices) {
      auto it = std::find_if(info.pci.begin(), info.pci.end(),
                             [&](const PciHostdev& h) { return h.address == a; });
      virt::detach_device(conn, dom, hostdev_for(a, it->managed ? YesNo::yes : YesNo::no), affect);
      if (live && !virt::wait_hostdev_gone(conn, dom, a, wait)) {
        pending.push_back(a);
        log.push_back(a.to_string() + ": unplug requested from " + domain +
                      ", still pending: the guest has not released it after " +
                      format_seconds(o.wait) + " s");
        continue;
      }
      gone.push_back(a);
      log.push_back(a.to_string() + ": detached from " + domain);
    }
    // Devices ptagent bound for an unmanaged hostdev go back to their host drivers, once the
    // guest has let go of them.
    Journal journal(root);
    std::vector<PciAddress> ours;
    for (const auto& c : journal.load()) {
      if (c.kind == ChangeKind::bind && c.address &&
          std::find(gone.begin(), gone.end(), *c.address) != gone.end()) {
        ours.push_back(*c.address);
      }
      if (c.kind == ChangeKind::bind && c.address &&
          std::find(pending.begin(), pending.end(), *c.address) != pending.end()) {
        pending_ours.push_back(*c.address);
      }
    }
    if (!ours.empty() && affect != virt::Affect::config) {
      RealSysfsWriter writer(root);
      for (const auto& r : restore_devices(root, writer, journal, ours)) {
        log.push_back(r.address.to_string() + ": back on " + r.driver_after.value_or("no driver"));
      }
    }
  }

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
