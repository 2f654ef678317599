#include "ops/group_report.hpp"

#include <algorithm>

#include "error.hpp"
#include "pci/inventory.hpp"

namespace ptagent {

namespace {

// A refusal because of a companion ("it would have to go with ...") rather than the device.
bool refused_for_a_companion(const ResetAnalysis& r) {
  return r.reason.rfind("it would have to", 0) == 0;
}

}  // namespace

const ResetAnalysis& GroupReport::analysis(const PciAddress& member) const {
  for (const auto& r : analyses) {
    if (r.address == member) return r;
  }
  throw_not_found(member.to_string(), "not a member of IOMMU group " + std::to_string(id));
}

const ResetAnalysis* GroupReport::first_endpoint() const {
  for (const auto& r : analyses) {
    if (r.infrastructure == Infrastructure::none) return &r;
  }
  return nullptr;
}

GroupReport report_group(const Inventory& inv, const HostCritical& critical, unsigned id,
                         const std::vector<PciAddress>& members, const VfioHost& host) {
  GroupReport g;
  g.id = id;
  g.members = members;
  for (const auto& a : members) g.analyses.push_back(analyze_reset(inv, critical, a, host));

  bool infrastructure = false;
  for (std::size_t i = 0; i < g.analyses.size(); ++i) {
    const ResetAnalysis& r = g.analyses[i];
    if (r.infrastructure != Infrastructure::none) {
      infrastructure = infrastructure || r.infrastructure != Infrastructure::bus_bridge;
      continue;
    }
    g.endpoints.push_back(r.address);
    const Device& d = inv.get(r.address);
    if (d.driver && !d.on_vfio()) g.on_host_driver.push_back(r.address);
    // The root cause first: a device refused for itself rather than for a companion.
    if (r.verdict == Assignability::not_assignable &&
        (!g.refused ||
         (refused_for_a_companion(g.analyses[*g.refused]) && !refused_for_a_companion(r)))) {
      g.refused = i;
    }
  }
  const ResetAnalysis* first = g.first_endpoint();
  if (!first) {
    g.outcome = infrastructure ? GroupOutcome::infrastructure_only : GroupOutcome::bridges_only;
    return g;
  }
  g.viable = first->group.all_on_vfio();
  g.outcome = g.refused  ? GroupOutcome::refused
              : g.viable ? GroupOutcome::ready
                         : GroupOutcome::needs_binding;
  return g;
}

std::vector<GroupReport> report_groups(const Inventory& inv, const HostCritical& critical,
                                       const VfioHost& host) {
  std::vector<GroupReport> out;
  for (const auto& [id, members] : inv.groups())
    out.push_back(report_group(inv, critical, id, members, host));
  return out;
}

const ResetAnalysis& HostAssessment::analysis(const PciAddress& address) const {
  for (const auto& g : groups) {
    for (const auto& r : g.analyses) {
      if (r.address == address) return r;
    }
  }
  for (const auto& r : ungrouped) {
    if (r.address == address) return r;
  }
  throw_not_found(address.to_string(), "no such PCI device on this host");
}

const GroupReport* HostAssessment::group(unsigned id) const {
  for (const auto& g : groups) {
    if (g.id == id) return &g;
  }
  return nullptr;
}

HostAssessment assess_host(const Inventory& inv, const HostCritical& critical,
                           const VfioHost& host) {
  HostAssessment h;
  h.groups = report_groups(inv, critical, host);
  for (const auto& d : inv.devices()) {
    if (!d.iommu_group) h.ungrouped.push_back(analyze_reset(inv, critical, d.address, host));
  }
  return h;
}

PassthroughTally tally_passthrough(const HostAssessment& h) {
  PassthroughTally t;
  for (const auto& g : h.groups) {
    t.endpoints += g.endpoints.size();
    if (g.outcome == GroupOutcome::refused) {
      t.blocks.push_back({&g.analyses[*g.refused], g.endpoints});
      continue;
    }
    for (const auto& e : g.endpoints) {
      if (g.analysis(e).verdict != Assignability::not_assignable) t.assignable.push_back(e);
    }
  }
  for (const auto& r : h.ungrouped) {
    if (r.infrastructure != Infrastructure::none) continue;
    ++t.endpoints;
    if (r.verdict == Assignability::not_assignable) {
      t.blocks.push_back({&r, {r.address}});
    } else {
      t.assignable.push_back(r.address);
    }
  }
  std::sort(t.assignable.begin(), t.assignable.end());
  return t;
}

const char* group_outcome_name(GroupOutcome outcome) {
  switch (outcome) {
    case GroupOutcome::infrastructure_only:
      return "infrastructure only";
    case GroupOutcome::bridges_only:
      return "bridges only";
    case GroupOutcome::refused:
      return "refused";
    case GroupOutcome::ready:
      return "ready";
    case GroupOutcome::needs_binding:
      return "needs binding";
  }
  return "?";
}

}  // namespace ptagent
