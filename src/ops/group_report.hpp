// Each IOMMU group as a whole, from its members' own verdicts (analyze_reset): the unit of
// assignment, whether it can go to a guest, and if not which member is the root cause. `groups`
// prints it, the topology tree and picture mark it, the host summary counts it.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "ops/reset_probe.hpp"
#include "pci/address.hpp"

namespace ptagent {

class Inventory;
class HostCritical;

enum class GroupOutcome {
  infrastructure_only,  // no endpoint, host infrastructure among the members: stays with the host
  bridges_only,         // no endpoint, only bridges
  refused,              // an endpoint is not assignable, so neither is the group
  ready,                // assignable: every endpoint is on vfio-pci or has no driver
  needs_binding,        // assignable once its endpoints on host drivers are bound (or managed)
};

struct GroupReport {
  unsigned id = 0;
  std::vector<PciAddress> members;      // sorted
  std::vector<ResetAnalysis> analyses;  // one per member, same order
  std::vector<PciAddress> endpoints;    // the unit of assignment (no bridges, no infrastructure)
  GroupOutcome outcome = GroupOutcome::bridges_only;
  // The root cause of a refusal: the index in analyses of an endpoint refused for itself rather
  // than for a companion ("it would have to ..."), else the first refused one.
  std::optional<std::size_t> refused;
  std::vector<PciAddress> on_host_driver;  // endpoints bound to a driver other than vfio-pci
  // Every endpoint is on vfio-pci/pci-stub or has no driver (false without endpoints).
  bool viable = false;

  const ResetAnalysis& analysis(const PciAddress& member) const;  // throws Error(not_found)
  // The first endpoint's analysis (the group's verdict when it has one endpoint); nullptr when
  // there is none.
  const ResetAnalysis* first_endpoint() const;
};

// One group: its members as Inventory::groups() lists them.
// `host` adds the host-dependent findings to each member's analysis (see analyze_reset).
GroupReport report_group(const Inventory& inventory, const HostCritical& critical, unsigned id,
                         const std::vector<PciAddress>& members, const VfioHost& host = {});
// Every group of the host, by id.
std::vector<GroupReport> report_groups(const Inventory& inventory, const HostCritical& critical,
                                       const VfioHost& host = {});

// Every function of a host judged once: the groups, and the functions in no IOMMU group (on a host
// without an IOMMU, all of them).
struct HostAssessment {
  std::vector<GroupReport> groups;       // by id
  std::vector<ResetAnalysis> ungrouped;  // address order
  // The analysis of any function of the host; throws Error(not_found).
  const ResetAnalysis& analysis(const PciAddress& address) const;
  const GroupReport* group(unsigned id) const;  // nullptr: no such group
};
HostAssessment assess_host(const Inventory& inventory, const HostCritical& critical,
                           const VfioHost& host = {});

// What a host could give to guests: the endpoints assignable (alone or together with their
// group), and what keeps the others: each refused group's root cause with the endpoints it holds
// back, and each function refused outside any group (no IOMMU) on its own.
struct PassthroughTally {
  struct Block {
    const ResetAnalysis* cause = nullptr;  // points into the HostAssessment
    std::vector<PciAddress> held;          // the endpoints it keeps from a guest, cause included
  };
  std::size_t endpoints = 0;           // every endpoint (no bridges, no host infrastructure)
  std::vector<PciAddress> assignable;  // address order
  std::vector<Block> blocks;           // group order, then address order
};
// The tally refers to the assessment's analyses: keep the assessment alive while it is used.
PassthroughTally tally_passthrough(const HostAssessment& assessment);

// "ready", "needs binding", "refused", "infrastructure only", "bridges only".
const char* group_outcome_name(GroupOutcome outcome);

}  // namespace ptagent
