#include "ops/reset_probe.hpp"

#include <algorithm>

#include "host/critical.hpp"
#include "pci/inventory.hpp"

namespace ptagent {

namespace {
bool has_method(const ResetAnalysis& r, const char* m) {
  return std::find(r.kernel_methods.begin(), r.kernel_methods.end(), m) != r.kernel_methods.end();
}

std::string join(const std::vector<PciAddress>& list) {
  std::string out;
  for (const auto& a : list) out += (out.empty() ? "" : ", ") + a.to_string();
  return out;
}
}  // namespace

std::string reset_means_name(ResetMeans means) {
  switch (means) {
    case ResetMeans::vfio_driver: return "vfio-pci (resets at open)";
    case ResetMeans::flr: return "function level reset";
    case ResetMeans::pm: return "PM reset (D3hot)";
    case ResetMeans::bus: return "secondary bus reset";
    case ResetMeans::none: return "none";
  }
  return "?";
}

std::string assignability_name(Assignability verdict) {
  switch (verdict) {
    case Assignability::alone: return "assignable alone";
    case Assignability::together: return "assignable together with";
    case Assignability::not_assignable: return "not assignable";
  }
  return "?";
}

ResetAnalysis analyze_reset(const Inventory& inv, const HostCritical& critical, const PciAddress& address) {
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
  r.bus_sharers = inv.bus_siblings(d);
  r.host_critical = critical.reason(address);
  const PciAddress self[] = {address};
  r.group = assess_group(inv, address, self);

  std::vector<PciAddress> together;
  if (d.driver && *d.driver == "vfio-pci") {
    r.means = ResetMeans::vfio_driver;
  } else if (r.flr) {
    r.means = ResetMeans::flr;
  } else if (r.pm_reset) {
    r.means = ResetMeans::pm;
  } else if (!r.on_root_bus) {
    r.means = ResetMeans::bus;
    together = r.bus_sharers;  // a bus reset hits every function on the bus
  }

  for (const auto& b : r.group.blockers()) {
    if (std::find(together.begin(), together.end(), b) == together.end()) together.push_back(b);
  }
  std::sort(together.begin(), together.end());
  r.together_with = together;

  if (r.host_critical) {
    r.verdict = Assignability::not_assignable;
    r.reason = address.to_string() + " " + *r.host_critical;
    return r;
  }
  if (!r.group.group) {
    r.verdict = Assignability::not_assignable;
    r.reason = "it has no IOMMU group: the IOMMU is off (run 'ptagent check')";
    return r;
  }
  if (r.means == ResetMeans::none) {
    r.verdict = Assignability::not_assignable;
    r.reason = "no FLR, PM reset or bus reset available: it sits on the root bus without FLR or PM reset";
    return r;
  }
  for (const auto& t : together) {
    if (auto why = critical.reason(t)) {
      r.verdict = Assignability::not_assignable;
      r.reason = "it would have to be assigned together with " + t.to_string() + ", which " + *why;
      return r;
    }
  }
  if (together.empty()) {
    r.verdict = Assignability::alone;
    r.reason = "reset by " + reset_means_name(r.means) + "; " + r.group.explain();
  } else {
    r.verdict = Assignability::together;
    std::string why;
    if (r.means == ResetMeans::bus && !r.bus_sharers.empty()) {
      why = "only a secondary bus reset is available and it also resets " + join(r.bus_sharers);
    }
    if (!r.group.blockers().empty()) {
      why += std::string(why.empty() ? "" : "; ") + "IOMMU group " + std::to_string(*r.group.group) +
             " also holds " + join(r.group.blockers());
    }
    r.reason = why;
  }
  return r;
}

}  // namespace ptagent
