#include "ops/reset_probe.hpp"

#include <algorithm>

#include "host/critical.hpp"
#include "host/device_findings.hpp"
#include "pci/inventory.hpp"
#include "util/join.hpp"

namespace ptagent {

namespace {
bool has_method(const ResetAnalysis& r, const char* m) {
  return std::find(r.kernel_methods.begin(), r.kernel_methods.end(), m) != r.kernel_methods.end();
}

std::string with_drivers(const Inventory& inv, const std::vector<PciAddress>& list) {
  std::string out;
  for (const auto& a : list) {
    out += (out.empty() ? "" : ", ") + a.to_string() + " (" +
           inv.get(a).driver.value_or("no driver") + ")";
  }
  return out;
}

// The one assignability verdict (shown by show, probe and groups; bind follows the same group
// rule): the group is the unit, infrastructure and host-critical devices stay with the host.
// `reset_together` are the devices the reset means also hits.
void decide_verdict(const Inventory& inv, const HostCritical& critical, const VfioHost& host,
                    const Device& d, std::vector<PciAddress> together, ResetAnalysis& r) {
  const PciAddress& address = d.address;
  r.infrastructure = infrastructure_kind(d);
  r.unit = r.group.group ? r.group.endpoints() : std::vector<PciAddress>{};
  if (r.unit.empty()) r.unit.push_back(address);
  for (const auto& c : r.group.companions()) {
    if (std::find(together.begin(), together.end(), c) == together.end()) together.push_back(c);
  }
  std::sort(together.begin(), together.end());
  together.erase(std::unique(together.begin(), together.end()), together.end());
  std::erase(together, address);
  r.together_with = together;
  r.verdict = Assignability::not_assignable;

  if (r.infrastructure != Infrastructure::none) {
    r.reason = infrastructure_refusal(d);
    return;
  }
  if (r.host_critical) {
    r.reason = address.to_string() + " " + *r.host_critical;
    return;
  }
  // A device that does not answer (or a group companion that does not) is not assignable,
  // whatever its group and reset say.
  for (const auto& f : r.health) {
    if (f.blocks()) {
      r.reason = f.evidence;
      r.advice = f.fix;
      return;
    }
  }
  for (const auto& e : r.unit) {
    if (e == address) continue;
    const Device& ed = inv.get(e);
    for (const auto& f :
         device_findings(ed, ed.upstream ? inv.find(*ed.upstream) : nullptr, host)) {
      if (f.blocks()) {
        r.reason =
            "it would have to be assigned together with " + e.to_string() + ", and " + f.evidence;
        r.advice = f.fix;
        return;
      }
    }
  }
  if (!r.group.group) {
    r.reason = "it has no IOMMU group: the IOMMU is off (run 'ptagent check')";
    r.advice = "enable the IOMMU (run 'ptagent check' for the exact steps on this host)";
    return;
  }
  if (const auto stuck = r.group.stuck_infrastructure(); !stuck.empty()) {
    const Device& s = inv.get(stuck.front());
    r.reason = "IOMMU group " + std::to_string(*r.group.group) + " also holds " +
               stuck.front().to_string() + " (" + infrastructure_name(infrastructure_kind(s)) +
               ", driver " + s.driver.value_or("?") +
               "), host infrastructure that stays with the host, so no device of the group can be "
               "assigned";
    return;
  }
  if (r.means == ResetMeans::none && !r.bus_reset_shared) {
    if (!r.kernel_methods_known) {
      r.reason =
          "no FLR, PM reset or bus reset available: it sits on the root bus without FLR or PM "
          "reset";
    } else if (r.kernel_methods.empty()) {
      r.reason = "the kernel has no reset method for it (reset_method is empty)";
    } else {
      r.reason = "the kernel would refuse every reset method it lists (" + r.means_note + ")";
    }
    return;
  }
  for (const auto& t : together) {
    if (auto why = critical.reason(t)) {
      r.reason = "it would have to be assigned together with " + t.to_string() + ", which " + *why;
      return;
    }
    if (const Device* td = inv.find(t); td && is_infrastructure(*td)) {
      r.reason = "it would have to be assigned together with " + infrastructure_refusal(*td);
      return;
    }
  }
  std::vector<PciAddress> host_bound;
  for (const auto& e : r.unit) {
    const Device& ed = inv.get(e);
    if (ed.driver && !ed.on_vfio()) host_bound.push_back(e);
  }
  if (together.empty()) {
    r.verdict = Assignability::alone;
    r.reason = "reset by " + reset_means_name(r.means) + "; " + r.group.explain();
    return;
  }
  r.verdict = Assignability::together;
  std::string why;
  if (r.unit.size() > 1) {
    why = "IOMMU group " + std::to_string(*r.group.group) +
          " is the unit of assignment: " + together_phrase(r.unit);
  }
  if (r.bus_reset_shared && r.means == ResetMeans::bus) {
    why += std::string(why.empty() ? "" : "; ") +
           "only a secondary bus reset is available and it also resets " +
           join(r.bus_sharers, ", ");
  } else if (r.bus_reset_shared) {
    why += std::string(why.empty() ? "" : "; ") + "the kernel cannot reset it alone (" +
           r.means_note + "): only a secondary bus reset, which also resets " +
           join(r.bus_sharers, ", ");
  }
  if (r.group.all_on_vfio()) {
    why += std::string(why.empty() ? "" : "; ") +
           "viable: every endpoint of the group is on vfio-pci or has no driver";
  } else {
    why += std::string(why.empty() ? "" : "; ") +
           "not viable yet: " + with_drivers(inv, host_bound) +
           (host_bound.size() == 1 ? " is" : " are") + " on host drivers";
  }
  r.reason = why;
  std::vector<PciAddress> all{address};
  all.insert(all.end(), together.begin(), together.end());
  r.advice = "assign all of " + join(all, " ") + " to the same guest (e.g. 'ptagent gen-xml " +
             join(all, " ") + "')";
  if (!host_bound.empty()) {
    r.advice += ", or bind the whole group to vfio-pci first ('ptagent bind --group " +
                address.to_string() + "')";
  }
}
}  // namespace

std::string reset_means_name(ResetMeans means) {
  switch (means) {
    case ResetMeans::vfio_driver:
      return "vfio-pci (resets at open)";
    case ResetMeans::device_specific:
      return "device-specific reset";
    case ResetMeans::acpi:
      return "ACPI _RST";
    case ResetMeans::flr:
      return "function level reset";
    case ResetMeans::pm:
      return "PM reset (D3hot)";
    case ResetMeans::bus:
      return "secondary bus reset";
    case ResetMeans::none:
      return "none";
  }
  return "?";
}

std::string assignability_name(Assignability verdict) {
  switch (verdict) {
    case Assignability::alone:
      return "assignable alone";
    case Assignability::together:
      return "assignable together with";
    case Assignability::not_assignable:
      return "not assignable";
  }
  return "?";
}

ResetAnalysis analyze_reset(const Inventory& inv, const HostCritical& critical,
                            const PciAddress& address, const VfioHost& host) {
  const Device& d = inv.get(address);
  ResetAnalysis r;
  r.address = address;
  if (d.reset_methods) {
    r.kernel_methods = *d.reset_methods;
    r.kernel_methods_known = true;
  }
  r.flr = d.config.pcie_flr || d.config.af_flr || has_method(r, "flr") || has_method(r, "af_flr");
  r.pm_reset = (d.config.has_pm && !d.config.pm_no_soft_reset) || has_method(r, "pm");
  r.on_root_bus = !d.upstream.has_value();
  r.has_subordinate = d.is_bridge;
  r.bus_sharers = inv.bus_siblings(d);
  r.host_critical = critical.reason(address);
  r.health = device_findings(d, d.upstream ? inv.find(*d.upstream) : nullptr, host);
  const PciAddress self[] = {address};
  r.group = assess_group(inv, address, self);

  // pci_parent_bus_reset (Linux 6.1): ENOTTY on a root bus, for a function with a subordinate
  // bus, and whenever any other function (VFs included) is on the bus.
  r.bus_reset_alone = !r.on_root_bus && !r.has_subordinate && r.bus_sharers.empty();
  if (r.on_root_bus) {
    r.bus_reset = "impossible (root bus)";
  } else if (r.has_subordinate) {
    r.bus_reset =
        "impossible (it is a bridge: the kernel resets a bus only below an endpoint's bridge)";
  } else if (!r.bus_sharers.empty()) {
    r.bus_reset = "not possible alone: " + join(r.bus_sharers, ", ") +
                  (r.bus_sharers.size() == 1 ? " shares" : " share") +
                  " the bus (the kernel refuses it, ENOTTY); only together with " +
                  (r.bus_sharers.size() == 1 ? "it" : "them");
  } else {
    r.bus_reset = "possible, nobody else on the bus";
  }

  std::vector<PciAddress> together;
  if (d.on_vfio_driver()) {
    r.means = ResetMeans::vfio_driver;
  } else if (r.kernel_methods_known) {
    // The kernel tries the listed methods in order; the first that succeeds is the reset.
    std::string passed;
    auto pass = [&](const std::string& m, const std::string& why) {
      passed += (passed.empty() ? "" : "; ") + m + ": " + why;
    };
    for (const auto& m : r.kernel_methods) {
      if (m == "device_specific") {
        r.means = ResetMeans::device_specific;
      } else if (m == "acpi") {
        r.means = ResetMeans::acpi;
      } else if (m == "flr" || m == "af_flr") {
        r.means = ResetMeans::flr;
      } else if (m == "pm") {
        if (d.config.valid && d.config.has_pm && d.config.pm_no_soft_reset) {
          pass(m, "refused, it keeps its state from D3hot (No_Soft_Reset)");
          continue;
        }
        r.means = ResetMeans::pm;
      } else if (m == "bus") {
        if (!r.bus_reset_alone) {
          pass(m, "refused (ENOTTY), " +
                      (r.on_root_bus ? std::string("it is on the root bus")
                       : r.has_subordinate
                           ? std::string("it is a bridge")
                           : join(r.bus_sharers, ", ") +
                                 (r.bus_sharers.size() == 1 ? " shares" : " share") + " the bus"));
          continue;
        }
        r.means = ResetMeans::bus;
      } else {
        pass(m, "not a method this analysis knows");
        continue;
      }
      break;
    }
    r.means_note = passed;
    if (r.means == ResetMeans::none && has_method(r, "bus") && !r.on_root_bus &&
        !r.has_subordinate && !r.bus_sharers.empty()) {
      r.bus_reset_shared = true;
      together = r.bus_sharers;  // only a reset of the whole bus, which hits every function on it
    }
  } else if (r.flr) {
    r.means = ResetMeans::flr;
  } else if (r.pm_reset) {
    r.means = ResetMeans::pm;
  } else if (!r.on_root_bus) {
    // libvirt's own secondary bus reset: it hits every function on the bus.
    r.means = ResetMeans::bus;
    r.bus_reset_shared = !r.bus_sharers.empty();
    together = r.bus_sharers;
  }

  decide_verdict(inv, critical, host, d, together, r);
  return r;
}

}  // namespace ptagent
