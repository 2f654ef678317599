#include "domain/admission.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "domain/domain_name.hpp"
#include "domain/holders.hpp"
#include "error.hpp"
#include "host/critical.hpp"
#include "host/device_findings.hpp"
#include "host/vfio_host.hpp"
#include "ops/journal.hpp"
#include "pci/inventory.hpp"
#include "pci/iommu_group.hpp"
#include "sysfs/root.hpp"
#include "util/join.hpp"

namespace ptagent::domain {

namespace {

// Blocking findings refuse; a warning refuses unless the domain accepts it by code.
void check_findings(const Inventory& inv, const VfioHost& host, const PassthroughMetadata& meta,
                    const Device& d, std::vector<std::string>& accepted) {
  const std::string a = d.address.to_string();
  for (const auto& f : device_findings(d, d.upstream ? inv.find(*d.upstream) : nullptr, host)) {
    if (f.blocks()) throw_refused(a, f.evidence, f.fix);
    if (f.severity != Severity::warning) continue;
    if (meta.accepts(d.address, f.code)) {
      accepted.push_back(f.code + ": " + f.evidence);
    } else {
      throw_refused(a, f.evidence + " [" + f.code + "]",
                    f.fix + "; or, to start anyway, add <ptagent:accept address=\"" + a +
                        "\" finding=\"" + f.code + "\"/> to the domain's ptagent metadata");
    }
  }
}

}  // namespace

std::string owner_of(const std::string& domain_uuid) {
  return "domain:" + domain_uuid;
}

StartPlan admit(const Root& root, const Inventory& inv, const DeviceHolders& holders,
                const Journal& journal, const DomainInfo& info, const PassthroughMetadata& meta) {
  StartPlan plan{info, meta, {}, {}, {}, {}};
  const std::string self = owner_of(info.uuid);
  HostCritical critical = HostCritical::scan(root, inv);
  const VfioHost host = read_vfio_host(root);

  // The devices this guest takes, managed ones included (libvirt detaches those itself).
  std::vector<PciAddress> assigned;
  auto add = [&](const PciAddress& a) {
    if (std::find(assigned.begin(), assigned.end(), a) == assigned.end()) assigned.push_back(a);
  };
  for (const auto& h : info.pci) add(h.address);
  for (const auto& p : meta.pci) {
    const Device* d = inv.find(p.address);
    if (!d)
      throw_not_found(p.address.to_string(),
                      "is named in the ptagent metadata but is not on this host",
                      "fix the <ptagent:pci address=…> entry of the domain");
    add(p.address);
    if (p.group == GroupPolicy::whole && d->iommu_group) {
      for (const auto& m : inv.group_members(*d->iommu_group)) {
        if (!is_infrastructure(inv.get(m))) add(m);
      }
    }
  }
  for (const auto& a : assigned) {
    const Device* d = inv.find(a);
    if (!d) {
      throw_not_found(a.to_string(), "is a <hostdev> of this domain but is not on this host",
                      "remove it from the domain or check the address ('ptagent list')");
    }
    if (is_infrastructure(*d)) {
      throw_refused(a.to_string(), infrastructure_cause(*d),
                    "remove this <hostdev> from the domain");
    }
    if (auto why = critical.reason(a)) {
      throw_refused(a.to_string(), *why + ": the host needs it",
                    "remove this <hostdev> from the domain");
    }
    // What would make vfio-pci or QEMU fail on it (D3cold, config space all ones, denylist, a
    // framebuffer in a BAR, ...), and the same blocking findings of its group companions.
    check_findings(inv, host, meta, *d, plan.accepted);
    if (d->iommu_group) {
      for (const auto& m : inv.group_members(*d->iommu_group)) {
        if (m == a || is_infrastructure(inv.get(m)) ||
            std::find(assigned.begin(), assigned.end(), m) != assigned.end())
          continue;
        const Device& c = inv.get(m);
        for (const auto& f :
             device_findings(c, c.upstream ? inv.find(*c.upstream) : nullptr, host)) {
          if (f.blocks()) {
            throw_refused(a.to_string(),
                          "shares IOMMU group " + std::to_string(*d->iommu_group) + " with " +
                              m.to_string() + ", and " + f.evidence,
                          f.fix);
          }
        }
      }
    }
    GroupVerdict v = assess_group(inv, a, assigned);
    if (!v.group) {
      throw_refused(a.to_string(), "has no IOMMU group: the IOMMU is off on this host",
                    "enable it (run 'ptagent check' for the exact steps)");
    }
    if (!v.viable && v.blockers().empty()) {
      throw_refused(a.to_string(), "IOMMU group " + std::to_string(*v.group) + " is " + v.explain(),
                    "remove this <hostdev> from the domain: its group stays with the host");
    }
    if (!v.viable) {
      throw_refused(
          a.to_string(),
          "IOMMU group " + std::to_string(*v.group) + " is not viable: it also holds " +
              join(v.blockers(), ", ") + " on host drivers",
          "add them to this domain, add group=\"whole\" to its <ptagent:pci> entry, or bind them "
          "to vfio-pci first ('ptagent bind --group " +
              a.to_string() + "')");
    }
  }
  for (const auto& p : meta.pci) {
    auto it = std::find_if(info.pci.begin(), info.pci.end(),
                           [&](const PciHostdev& h) { return h.address == p.address; });
    if (it != info.pci.end() && it->managed) {
      throw_refused(p.address.to_string(),
                    "is managed='yes': libvirt detaches it itself, ptagent must not bind it",
                    "set managed='no' on the <hostdev>, or drop its <ptagent:pci> entry");
    }
  }

  // In use by another running domain: the journal and libvirt's status files.
  for (const auto& a : assigned) {
    for (const auto& h : holders.of_pci(a, info.uuid)) {
      if (h.via != Hold::Via::journal) continue;
      throw_refused(
          a.to_string(), "is in use: ptagent bound it for " + h.who,
          "stop that domain first, or 'ptagent restore " + a.to_string() + "' if it is gone");
    }
    for (const auto& h : holders.of_pci(a, info.uuid)) {
      if (h.via != Hold::Via::running_domain) continue;
      throw_refused(a.to_string(),
                    "is in use by the running domain '" + printable_name(h.who) + "'",
                    "shut that domain down first");
    }
  }
  std::set<std::string> meta_uuids;
  for (const auto& m : meta.mdevs) meta_uuids.insert(m.uuid.to_string());
  auto check_mdev_free = [&](const std::string& uuid) {
    const std::vector<Hold> held = holders.of_mdev(uuid, info.uuid);
    for (const auto& h : held) {
      if (h.via != Hold::Via::running_domain) continue;
      throw_refused("mdev " + uuid,
                    "is in use by the running domain '" + printable_name(h.who) + "'",
                    "give this domain its own mdev UUID");
    }
    // An mdev made beforehand ('ptagent mdev create', owner "cli") is the documented virsh
    // workflow: the domain may name it, and it stays when the domain stops (the hook did not
    // create it, so no entry of this domain undoes it). One the hook created for another domain
    // goes away when that domain stops: not this domain's to take.
    for (const auto& h : held) {
      if (h.via != Hold::Via::journal || h.who.rfind("domain:", 0) != 0) continue;
      throw_refused("mdev " + uuid,
                    "was created by ptagent for " + h.who + ", which removes it when it stops",
                    "give this domain its own mdev UUID");
    }
  };
  for (const auto& m : info.mdevs) {
    check_mdev_free(m.uuid);
    if (!meta_uuids.count(m.uuid) && !find_mdev(root, m.uuid)) {
      throw_not_found(
          "mdev " + m.uuid,
          "does not exist and the domain's ptagent metadata does not say how to create it",
          "add <ptagent:mdev uuid=\"" + m.uuid +
              "\" parent=\"…\" type=\"…\"/> to the domain's "
              "metadata ('ptagent gen-xml --mdev … --metadata'), or create it ('ptagent mdev "
              "create')");
    }
  }
  for (const auto& m : meta.mdevs) {
    const std::string uuid = m.uuid.to_string();
    check_mdev_free(uuid);
    plan.mdevs.push_back(plan_mdev_create(root, m.parent, m.type, uuid));
  }
  // Two mdevs of one type on one parent need two free instances.
  std::map<std::pair<std::string, std::string>, unsigned> wanted;
  for (const auto& p : plan.mdevs) {
    if (!p.reuse) ++wanted[{p.parent, p.type}];
  }
  for (const auto& p : plan.mdevs) {
    auto need = wanted[{p.parent, p.type}];
    if (!p.reuse && p.available_before && *p.available_before < need) {
      throw_refused("mdev type " + p.type + " on " + p.parent,
                    "this domain needs " + std::to_string(need) + " instances but only " +
                        std::to_string(*p.available_before) + " are free",
                    "stop a guest that uses one, or pick another type ('ptagent mdev types')");
    }
  }

  // Unmanaged devices to bind: the metadata's, plus their group companions for group="whole".
  for (const auto& p : meta.pci) {
    auto consider = [&](const PciAddress& a) {
      const Device& d = inv.get(a);
      // On vfio-pci or a variant driver already: nothing to do, nothing to undo.
      if (d.on_vfio_driver()) return;
      if (std::find(plan.bind.begin(), plan.bind.end(), a) == plan.bind.end())
        plan.bind.push_back(a);
    };
    consider(p.address);
    const Device& d = inv.get(p.address);
    if (p.group == GroupPolicy::whole && d.iommu_group) {
      for (const auto& m : inv.group_members(*d.iommu_group)) {
        if (!is_infrastructure(inv.get(m))) consider(m);
      }
    }
  }
  if (!plan.bind.empty()) {
    plan.bind_plan = plan_bind(root, inv, journal, bind_request(plan), PlanMode::execute);
  }
  return plan;
}

BindRequest bind_request(const StartPlan& plan) {
  BindRequest req;
  req.devices = plan.bind;
  req.owner = owner_of(plan.info.uuid);
  req.partial = PartialGroup::checked_by_caller;  // admit() counted every device of the domain
  return req;
}

}  // namespace ptagent::domain
