// ptagent attach / detach-from: host devices into a libvirt domain in one checked step, and back,
// through the side effects of Effects (libvirt, sysfs for an unmanaged hostdev, the clock for a
// guest's unplug). Never prints: the caller renders the result.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "domain/libvirt_client.hpp"
#include "pci/address.hpp"

namespace ptagent {

class Inventory;
class Root;
struct Effects;

struct AttachRequest {
  std::string domain;               // name or UUID
  std::vector<PciAddress> devices;  // resolved, host-critical guard already applied
  Affect affect = Affect::current;
  bool unmanaged = false;  // attach: bind to vfio-pci with ptagent first, write managed='no'
  bool force = false;      // attach: allow a non-viable IOMMU group
  std::string uri;         // libvirt connection URI
  std::chrono::milliseconds timeout{30000};  // per libvirt call
  double wait_seconds = 5;  // detach-from: how long the guest has to release each device
};

struct AttachResult {
  std::vector<std::string> log;  // what was done, one line per action
  // detach-from: live unplugs the guest has not completed, and those of them ptagent bound (they
  // go back to their host driver with 'ptagent restore' once the guest lets go).
  std::vector<PciAddress> pending;
  std::vector<PciAddress> pending_ours;
};

// attach's checks before anything changes: each device's IOMMU group must be viable with the
// others of the call (Error refused), unless forced; for a change of the definition only it is
// a warning (returned), since the group is checked again when the guest starts.
std::vector<std::string> check_attach(const Inventory& inventory, const AttachRequest& request);

// The <hostdev> document of a PCI device.
std::string attach_hostdev_xml(const PciAddress& address, bool managed);

// Refuses a device the domain already has or another running domain holds; binds the devices
// (unmanaged) and attaches them one by one. A failure detaches what was attached and restores
// what was bound: nothing is left half done.
AttachResult attach_devices(const Root& root, Effects& effects, const AttachRequest& request);

// Refuses a device the domain does not have; detaches each (waiting up to wait_seconds for the
// guest to release it after a live detach) and gives the devices ptagent bound back to their
// host drivers once the guest let go.
AttachResult detach_from_domain(const Root& root, Effects& effects, const AttachRequest& request);

}  // namespace ptagent
