// What this host still needs before the given devices can go to a guest, in order, from the
// core's own verdicts: the readiness checks that FAIL (their fixes are check's), the devices that
// cannot go at all (analyze_reset's reason and advice), the group companions that must go with
// them, how each is reset, the binding (now, and at every boot), the <hostdev> and the attach.
// Nothing is done; the CLI (`ptagent plan`) spells each step's command.
#pragma once

#include <string>
#include <vector>

#include "check/readiness.hpp"
#include "pci/address.hpp"

namespace ptagent {

class Inventory;
class HostCritical;
class Root;

enum class PlanStepKind {
  host_check,    // a readiness check that FAILs: check_id, text (its evidence), fix
  refused,       // a device that cannot be passed through: text (why), fix (the advice)
  companions,    // endpoints that must go to the same guest (group, shared reset): devices
  reset,         // how a device is reset between guests: devices (one), text
  bind_now,      // endpoints on a host driver: bind them to vfio-pci (done: none is)
  bind_at_boot,  // vfio-pci from every boot (optional: managed <hostdev>s bind at start)
  hostdev,       // the <hostdev> elements of the unit
  attach,        // add them to a libvirt domain
};

struct PlanStep {
  PlanStepKind kind = PlanStepKind::host_check;
  std::string check_id;
  std::string text;
  std::string fix;
  std::vector<PciAddress> devices;
  bool done = false;  // already so on this host: nothing to do
};

struct PassthroughPlan {
  std::vector<PciAddress> requested;
  std::vector<PciAddress> unit;  // requested and every companion, sorted
  std::vector<PlanStep> steps;
  bool possible = false;  // no device refused and no readiness check FAILs
};

// `checks` are check_readiness's for the same host; `devices` are resolved addresses;
// `on_vfio_at_boot` the devices the host already puts on vfio-pci at boot (boot_vfio_devices):
// the bind-at-boot step is done when it holds the whole unit.
PassthroughPlan plan_passthrough(const std::vector<Check>& checks, const Inventory& inventory,
                                 const HostCritical& critical,
                                 const std::vector<PciAddress>& devices,
                                 const std::vector<PciAddress>& on_vfio_at_boot = {});

// The devices this host puts on vfio-pci at boot by address: ptagent setup's binds (by address
// and by ID) and the saved driver overrides to vfio-pci (driverctl's, udev rules).
std::vector<PciAddress> boot_vfio_devices(const Root& root);

// "host-check", "refused", "companions", "reset", "bind-now", "bind-at-boot", "hostdev",
// "attach".
const char* plan_step_key(PlanStepKind kind);

}  // namespace ptagent
