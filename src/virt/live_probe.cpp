#include "virt/live_probe.hpp"

#include <algorithm>

#include "domain/holders.hpp"
#include "domain/libvirt_holders.hpp"
#include "domain/node_devices.hpp"
#include "error.hpp"
#include "ops/vfio_holders.hpp"
#include "pci/device.hpp"
#include "util/join.hpp"
#include "virt/connection.hpp"
#include "virt/domain_ops.hpp"
#include "virt/nodedev_ops.hpp"

namespace ptagent::virt {

namespace {

std::string message_of(const Error& e) {
  return e.cause() + (e.hint().empty() ? "" : " — " + e.hint());
}

}  // namespace

LiveProbe run_live_probe(const Root& root, const Device& device, const LiveProbeRequest& request) {
  LiveProbe live;
  const PciAddress addr = device.address;

  // Who holds it, before libvirt is asked: libvirt refuses an active device without naming the
  // domain ("Not resetting active device"), and a process with its VFIO group open is invisible
  // to libvirt altogether.
  std::optional<Connection> conn;
  std::string unreachable;
  try {
    conn.emplace(Connection::open(request.uri, request.timeout));
  } catch (const Error& e) {
    unreachable = "libvirt (" + request.uri + ") is unreachable: " + message_of(e);
  }
  if (conn) {
    try {
      live.holders = domains_holding(running_domain_xmls(*conn), addr);
    } catch (const Error& e) {
      unreachable = "libvirt could not list its running domains: " + message_of(e);
    }
    if (!live.holders.empty()) {
      live.outcome = LiveOutcome::in_use;
      live.why = std::string("in use by running domain") + (live.holders.size() > 1 ? "s " : " ") +
                 join_domain_names(live.holders);
      return live;
    }
  }
  // libvirt's status files say the same without libvirtd (when it is down, or not readable).
  // (ptagent's journal is not asked: a device it bound for nobody running is free to probe.)
  const domain::DeviceHolders status({}, read_running_domains(root));
  for (const auto& h : status.of_pci(addr)) live.holders.push_back(h.who);
  if (!live.holders.empty()) {
    live.outcome = LiveOutcome::in_use;
    live.why = std::string("in use by running domain") + (live.holders.size() > 1 ? "s " : " ") +
               join_domain_names(live.holders);
    return live;
  }
  if (device.on_vfio() && device.iommu_group) {
    for (const auto& h : vfio_group_holders(root, *device.iommu_group))
      live.holders.push_back(h.describe());
    if (!live.holders.empty()) {
      live.outcome = LiveOutcome::in_use;
      live.why = "in use: IOMMU group " + std::to_string(*device.iommu_group) +
                 " is held open by " + join_domain_names(live.holders);
      return live;
    }
  }
  if (!conn || !unreachable.empty()) {
    live.outcome = LiveOutcome::not_checked;
    live.why = unreachable;
    return live;
  }
  try {
    NodeDevice::lookup(*conn, addr);
  } catch (const Error& e) {
    live.outcome = LiveOutcome::not_checked;
    live.why = "libvirt has no node device " + addr.nodedev_name() + " for it: " + message_of(e);
    return live;
  }

  const std::string before = device.driver.value_or("none");
  bool detached = false;
  live.outcome = LiveOutcome::passed;
  try {
    if (!device.on_vfio()) {
      live.failed_step = "detach";
      detach_one(*conn, addr);
      detached = true;
      live.steps.push_back("detached from " + before + " to vfio");
    }
    live.failed_step = "reset";
    reset_one(*conn, addr);
    live.steps.push_back("reset");
    check_not_wedged(root, addr);
    live.failed_step.clear();
  } catch (const Error& e) {
    if (is_wedged_error(e)) {
      // Stop everything (reboot needed), but first leave the device where it was.
      std::string undone = "; nothing was changed";
      if (detached) {
        try {
          reattach_one(*conn, addr);
          undone = "; rolled back: given back to its host driver (it was on " + before + ")";
        } catch (const Error& re) {
          undone = std::string("; giving it back failed too: ") + re.what();
        }
      }
      throw Error(e.kind(), e.reason(), e.object(), e.cause() + undone, e.hint());
    }
    live.outcome = LiveOutcome::refused;
    live.why = message_of(e);
  }
  if (detached && !request.keep_detached) {
    reattach_one(*conn, addr);
    live.steps.push_back("reattached to its host driver");
  } else if (detached) {
    live.left_detached = true;
  }
  return live;
}

ProbeConclusion conclude_probe(const ResetAnalysis& r, const std::optional<LiveProbe>& live) {
  ProbeConclusion c;
  c.reason = r.reason;
  c.together_with = r.together_with;
  switch (r.verdict) {
    case Assignability::alone:
      c.verdict = ProbeVerdict::alone;
      break;
    case Assignability::together:
      c.verdict = ProbeVerdict::together;
      break;
    case Assignability::not_assignable:
      c.verdict = ProbeVerdict::not_assignable;
      break;
  }
  if (!live) return c;
  // libvirt's own refusal is the better reason, whatever the static analysis said.
  if (live->outcome == LiveOutcome::refused &&
      !(live->failed_step == "reset" && c.verdict == ProbeVerdict::together)) {
    c.verdict = ProbeVerdict::not_assignable;
    c.reason = "libvirt refused the " + live->failed_step + ": " + live->why;
    return c;
  }
  if (c.verdict == ProbeVerdict::not_assignable) return c;
  switch (live->outcome) {
    case LiveOutcome::passed:
      break;
    case LiveOutcome::in_use:
      c.verdict = ProbeVerdict::in_use;
      c.reason = live->why;
      break;
    case LiveOutcome::not_checked:
      c.verdict = ProbeVerdict::not_checked;
      c.reason = live->why +
                 (r.reason.empty()
                      ? ""
                      : "; the static analysis says: " + assignability_name(r.verdict) +
                            (r.verdict == Assignability::together ? " " + join(r.together_with, " ")
                                                                  : std::string()));
      break;
    case LiveOutcome::refused:  // a reset refused for a device only assignable together
      c.reason += "; libvirt could not reset it alone, as expected";
      break;
  }
  return c;
}

std::string probe_verdict_name(ProbeVerdict v) {
  switch (v) {
    case ProbeVerdict::alone:
      return "assignable alone";
    case ProbeVerdict::together:
      return "assignable together with";
    case ProbeVerdict::not_assignable:
      return "not assignable";
    case ProbeVerdict::in_use:
      return "in use";
    case ProbeVerdict::not_checked:
      return "not checked";
  }
  return "not assignable";
}

std::string probe_verdict_key(ProbeVerdict v) {
  switch (v) {
    case ProbeVerdict::alone:
      return "alone";
    case ProbeVerdict::together:
      return "together";
    case ProbeVerdict::not_assignable:
      return "not_assignable";
    case ProbeVerdict::in_use:
      return "in_use";
    case ProbeVerdict::not_checked:
      return "not_checked";
  }
  return "not_assignable";
}

}  // namespace ptagent::virt
