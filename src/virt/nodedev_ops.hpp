// Node-device detach / reattach / reset through libvirt, several devices at a time in libvirt's
// own order (check all, detach all, reset all), rolling back what was done when a step fails.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "pci/address.hpp"
#include "virt/connection.hpp"

namespace ptagent {
class Root;
class Error;
}  // namespace ptagent

namespace ptagent::virt {

// What was done, in order, one line per action ("0000:01:00.0: detached to vfio (libvirt)").
using ActionLog = std::vector<std::string>;

// Detaches every device to vfio, then resets every device; on any failure (a wedged device too),
// reattaches what was detached and throws an Error naming the device and the step. The devices
// must exist.
ActionLog detach_devices(const Connection& conn, const Root& root,
                         const std::vector<PciAddress>& devices);

// The steps detach_devices takes, one device at a time (libvirt's calls and the wedge check in
// production; fakes in tests).
struct NodedevSteps {
  std::function<void(const PciAddress&)> detach, reattach, reset, check;
};
ActionLog detach_devices(const NodedevSteps& steps, const std::vector<PciAddress>& devices);
// Gives every device back to its host driver; on a failure detaches again what was reattached.
ActionLog reattach_devices(const Connection& conn, const std::vector<PciAddress>& devices);
// Resets every device (after looking all of them up), checking each is not wedged afterwards.
ActionLog reset_devices(const Connection& conn, const Root& root,
                        const std::vector<PciAddress>& devices);

// Single calls, translated errors, no rollback.
void detach_one(const Connection& conn, const PciAddress& address);
void reattach_one(const Connection& conn, const PciAddress& address);
void reset_one(const Connection& conn, const PciAddress& address);

// After a reset a device whose vendor ID reads 0xffff is wedged: throws Error(failed) saying a
// host reboot is needed. An SR-IOV VF (physfn link) reads vendor/device 0xffff by design: it is
// judged by its revision/class and command/status registers instead (see config_space_dead).
void check_not_wedged(const Root& root, const PciAddress& address);
// Whether an Error is check_not_wedged's.
bool is_wedged_error(const Error& e);

}  // namespace ptagent::virt
