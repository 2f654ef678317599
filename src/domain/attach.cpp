#include "domain/attach.hpp"

#include <algorithm>

#include "domain/effects.hpp"
#include "domain/libvirt_holders.hpp"
#include "error.hpp"
#include "ops/journal.hpp"
#include "ops/vfio_bind.hpp"
#include "pci/inventory.hpp"
#include "pci/iommu_group.hpp"
#include "xml/domain.hpp"
#include "xml/hostdev.hpp"

namespace ptagent {

namespace {

bool domain_has(const DomainInfo& info, const PciAddress& a) {
  return std::any_of(info.pci.begin(), info.pci.end(),
                     [&](const PciHostdev& h) { return h.address == a; });
}

std::string format_seconds(double s) {
  std::string t = std::to_string(s);
  t.erase(t.find_last_not_of('0') + 1);
  if (!t.empty() && t.back() == '.') t.pop_back();
  return t;
}

// Connects and reads the domain's XML as the change will see it: the definition for a --config
// change (or a current one of a stopped domain), else the live one.
DomainInfo open_domain(LibvirtClient& libvirt, const AttachRequest& r, bool& active) {
  libvirt.connect(r.uri, r.timeout);
  libvirt.lookup_domain(r.domain);
  active = libvirt.domain_is_active(r.domain);
  const bool inactive_view = r.affect == Affect::config || (r.affect == Affect::current && !active);
  return parse_domain_xml(libvirt.domain_xml(r.domain, inactive_view));
}

}  // namespace

std::string attach_hostdev_xml(const PciAddress& address, bool managed) {
  HostdevSpec spec;
  spec.source = HostdevPciSource{address, managed ? YesNo::yes : YesNo::no, false, std::nullopt};
  return hostdev_xml(spec);
}

std::vector<std::string> check_attach(const Inventory& inventory, const AttachRequest& r) {
  std::vector<std::string> warnings;
  const bool config_only = r.affect == Affect::config;
  for (const auto& a : r.devices) {
    GroupVerdict v = assess_group(inventory, a, r.devices);
    if (v.viable || r.force) continue;
    if (config_only) {
      warnings.push_back(a.to_string() + ": " + v.explain() +
                         " (the guest will not start like this)");
    } else {
      throw_refused(a.to_string(), v.explain(),
                    v.group ? "add the other devices to this call, or --force"
                            : "enable the IOMMU first (run 'ptagent check'), or use --config to "
                              "only change the definition");
    }
  }
  return warnings;
}

AttachResult attach_devices(const Root& root, Effects& effects, const AttachRequest& r) {
  LibvirtClient& libvirt = effects.libvirt;
  bool active = false;
  const DomainInfo info = open_domain(libvirt, r, active);
  for (const auto& a : r.devices) {
    if (domain_has(info, a)) {
      throw_refused(
          a.to_string(), "is already a host device of domain '" + r.domain + "'",
          "nothing to do; 'ptagent detach-from " + r.domain + " " + a.to_string() + "' removes it");
    }
  }
  refuse_held_devices(libvirt, r.devices, "attach", info.uuid);

  AttachResult result;
  Journal journal(root, kStateDir, effects.journal_fault);
  const bool managed = !r.unmanaged;
  if (r.unmanaged) {
    BindRequest req;
    req.devices = r.devices;
    req.guard = r.force ? CriticalGuard::force : CriticalGuard::refuse;
    req.partial = r.force ? PartialGroup::checked_by_caller : PartialGroup::refuse;
    bind_devices(root, effects.sysfs, journal, plan_bind(root, journal, req, PlanMode::execute));
    for (const auto& a : r.devices) {
      result.log.push_back(a.to_string() + ": bound to vfio-pci (ptagent)");
    }
  }
  std::vector<PciAddress> attached;
  for (const auto& a : r.devices) {
    try {
      libvirt.attach_device(r.domain, attach_hostdev_xml(a, managed), r.affect);
    } catch (const Error& e) {
      for (const auto& b : attached) {
        try {
          libvirt.detach_device(r.domain, attach_hostdev_xml(b, managed), r.affect);
        } catch (const Error&) {
        }
      }
      if (r.unmanaged) restore_devices(root, effects.sysfs, journal, r.devices);
      throw Error(
          e.kind(), e.reason(), e.object(),
          e.cause() + (attached.empty() && !r.unmanaged ? std::string("; nothing was changed")
                                                        : std::string("; rolled back")),
          e.hint());
    }
    attached.push_back(a);
    result.log.push_back(a.to_string() + ": attached to " + r.domain);
  }
  return result;
}

AttachResult detach_from_domain(const Root& root, Effects& effects, const AttachRequest& r) {
  LibvirtClient& libvirt = effects.libvirt;
  bool active = false;
  const DomainInfo info = open_domain(libvirt, r, active);
  for (const auto& a : r.devices) {
    if (!domain_has(info, a)) {
      throw_not_found(a.to_string(), "is not a host device of domain '" + r.domain + "'",
                      "see 'virsh dumpxml " + r.domain + "'");
    }
  }
  AttachResult result;
  const bool live = affects_live(r.affect, active);
  const auto wait = std::chrono::milliseconds(static_cast<long long>(r.wait_seconds * 1000));
  std::vector<PciAddress> gone;
  for (const auto& a : r.devices) {
    auto it = std::find_if(info.pci.begin(), info.pci.end(),
                           [&](const PciHostdev& h) { return h.address == a; });
    libvirt.detach_device(r.domain, attach_hostdev_xml(a, it->managed), r.affect);
    if (live && !wait_hostdev_gone(libvirt, effects.clock, r.domain, a, wait)) {
      result.pending.push_back(a);
      result.log.push_back(a.to_string() + ": unplug requested from " + r.domain +
                           ", still pending: the guest has not released it after " +
                           format_seconds(r.wait_seconds) + " s");
      continue;
    }
    gone.push_back(a);
    result.log.push_back(a.to_string() + ": detached from " + r.domain);
  }
  // Devices ptagent bound for an unmanaged hostdev go back to their host drivers, once the
  // guest has let go of them.
  Journal journal(root, kStateDir, effects.journal_fault);
  std::vector<PciAddress> ours;
  for (const auto& c : journal.load()) {
    if (c.kind != ChangeKind::bind || !c.address) continue;
    if (std::find(gone.begin(), gone.end(), *c.address) != gone.end()) ours.push_back(*c.address);
    if (std::find(result.pending.begin(), result.pending.end(), *c.address) !=
        result.pending.end()) {
      result.pending_ours.push_back(*c.address);
    }
  }
  if (!ours.empty() && r.affect != Affect::config) {
    for (const auto& d : restore_devices(root, effects.sysfs, journal, ours)) {
      result.log.push_back(d.address.to_string() + ": back on " +
                           d.driver_after.value_or("no driver"));
    }
  }
  return result;
}

}  // namespace ptagent
