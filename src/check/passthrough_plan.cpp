#include "check/passthrough_plan.hpp"

#include <algorithm>

#include "ops/reset_probe.hpp"
#include "pci/inventory.hpp"
#include "setup/setup_state.hpp"
#include "setup/udev_rule.hpp"
#include "util/join.hpp"

namespace ptagent {

namespace {

void add_unique(std::vector<PciAddress>& list, const PciAddress& a) {
  if (std::find(list.begin(), list.end(), a) == list.end()) list.push_back(a);
}

}  // namespace

std::vector<PciAddress> boot_vfio_devices(const Root& root) {
  std::vector<PciAddress> out;
  for (const auto& b : load_setup_state(root).binds) out.push_back(b.address);
  for (const auto& o : read_boot_overrides(root)) {
    if (o.driver == "vfio-pci") out.push_back(o.address);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

PassthroughPlan plan_passthrough(const std::vector<Check>& checks, const Inventory& inv,
                                 const HostCritical& critical,
                                 const std::vector<PciAddress>& devices,
                                 const std::vector<PciAddress>& on_vfio_at_boot) {
  PassthroughPlan plan;
  plan.requested = devices;
  bool host_ready = true;
  for (const auto& c : checks) {
    if (c.status != CheckStatus::fail) continue;
    host_ready = false;
    plan.steps.push_back({PlanStepKind::host_check, c.id, c.evidence, c.fix, {}, false});
  }

  std::vector<ResetAnalysis> analyses;
  for (const auto& d : devices) analyses.push_back(analyze_reset(inv, critical, d));
  bool refused = false;
  std::vector<PciAddress> companions;
  for (const auto& r : analyses) {
    if (r.verdict == Assignability::not_assignable) {
      refused = true;
      plan.steps.push_back({PlanStepKind::refused, {}, r.reason, r.advice, {r.address}, false});
      continue;
    }
    add_unique(plan.unit, r.address);
    for (const auto& t : r.together_with) {
      add_unique(plan.unit, t);
      if (std::find(devices.begin(), devices.end(), t) == devices.end()) add_unique(companions, t);
    }
  }
  std::sort(plan.unit.begin(), plan.unit.end());
  std::sort(companions.begin(), companions.end());
  // A companion that cannot go keeps the whole unit from a guest (the group is refused).
  for (const auto& c : companions) {
    const ResetAnalysis r = analyze_reset(inv, critical, c);
    if (r.verdict != Assignability::not_assignable) continue;
    refused = true;
    plan.steps.push_back({PlanStepKind::refused,
                          {},
                          "it must go with " + join(devices, ", ") + ", and " + r.reason,
                          r.advice,
                          {c},
                          false});
  }
  plan.possible = host_ready && !refused;
  if (refused) return plan;  // nothing after a refusal applies: fix it (or drop the device) first

  if (!companions.empty()) {
    plan.steps.push_back({PlanStepKind::companions,
                          {},
                          "they share an IOMMU group or a reset with the devices asked for: " +
                              join(companions, ", ") + " go to the same guest",
                          {},
                          companions,
                          false});
  }
  for (const auto& r : analyses) {
    std::string text;
    if (r.means != ResetMeans::none) {
      text = "reset by " + reset_means_name(r.means);
      if (!r.means_note.empty()) text += " (" + r.means_note + ")";
      if (r.bus_reset_shared) text += "; the bus reset also resets " + join(r.bus_sharers, ", ");
    } else if (r.bus_reset_shared) {
      text = "reset only by a reset of its whole bus, together with " + join(r.bus_sharers, ", ") +
             " (" + r.means_note + ")";
    } else {
      text = "no reset method (" + r.reason + ")";
    }
    plan.steps.push_back({PlanStepKind::reset, {}, text, {}, {r.address}, false});
  }
  std::vector<PciAddress> on_host;
  for (const auto& a : plan.unit) {
    const Device& d = inv.get(a);
    if (d.driver && !d.on_vfio()) on_host.push_back(a);
  }
  std::string bound;
  for (const auto& a : on_host)
    bound += (bound.empty() ? "" : ", ") + a.to_string() + " (" + *inv.get(a).driver + ")";
  plan.steps.push_back({PlanStepKind::bind_now,
                        {},
                        on_host.empty()
                            ? "every device of the unit is on vfio-pci or has no driver"
                            : bound + (on_host.size() == 1 ? " is" : " are") + " on a host driver",
                        {},
                        on_host.empty() ? plan.unit : on_host,
                        on_host.empty()});
  std::vector<PciAddress> not_at_boot;
  for (const auto& a : plan.unit) {
    if (std::find(on_vfio_at_boot.begin(), on_vfio_at_boot.end(), a) == on_vfio_at_boot.end())
      not_at_boot.push_back(a);
  }
  std::string at_boot_text =
      "optional: on vfio-pci from every boot, before the host drivers take them";
  if (not_at_boot.empty()) {
    at_boot_text = "every device of the unit is put on vfio-pci at boot already";
  } else if (not_at_boot.size() < plan.unit.size()) {
    at_boot_text += " (" + join(not_at_boot, ", ") + " not yet)";
  }
  plan.steps.push_back(
      {PlanStepKind::bind_at_boot,
       {},
       at_boot_text,
       {},
       plan.unit,  // setup bind takes the whole unit (a persisted one again is a no-op)
       not_at_boot.empty()});
  plan.steps.push_back(
      {PlanStepKind::hostdev, {}, "the <hostdev> elements for the guest", {}, plan.unit, false});
  plan.steps.push_back(
      {PlanStepKind::attach, {}, "add them to the guest (checked first)", {}, plan.unit, false});
  return plan;
}

const char* plan_step_key(PlanStepKind kind) {
  switch (kind) {
    case PlanStepKind::host_check:
      return "host-check";
    case PlanStepKind::refused:
      return "refused";
    case PlanStepKind::companions:
      return "companions";
    case PlanStepKind::reset:
      return "reset";
    case PlanStepKind::bind_now:
      return "bind-now";
    case PlanStepKind::bind_at_boot:
      return "bind-at-boot";
    case PlanStepKind::hostdev:
      return "hostdev";
    case PlanStepKind::attach:
      return "attach";
  }
  return "?";
}

}  // namespace ptagent
