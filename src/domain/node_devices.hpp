// ptagent detach / reattach / reset: libvirt's node-device API, several devices at a time in
// libvirt's own order (check all, detach all, reset all), rolling back what was done when a step
// fails. Through the LibvirtClient of Effects; never prints.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "pci/address.hpp"

namespace ptagent {

class Error;
class Inventory;
class LibvirtClient;
class Root;
struct Effects;

enum class NodedevOp { detach, reattach, reset };

// "detach", "reattach", "reset".
const char* nodedev_op_name(NodedevOp op);

// What was done, in order, one line per action ("0000:01:00.0: detached to vfio (libvirt)").
using ActionLog = std::vector<std::string>;

struct NodedevRequest {
  NodedevOp op = NodedevOp::detach;
  std::vector<PciAddress> devices;  // resolved, host-critical guard already applied
  std::string uri;                  // libvirt connection URI
  std::chrono::milliseconds timeout{30000};
};

// Refuses (Error refused) a device already on vfio-pci / pci-stub for a detach, and one that is
// not for a reattach, before anything changes. Nothing to check for a reset.
void check_node_devices(const Inventory& inventory, const NodedevRequest& request);

// Connects, refuses a device a running domain holds (naming the domain: libvirt would only say
// "Not resetting active device"), then runs the operation.
ActionLog run_node_devices(const Root& root, Effects& effects, const NodedevRequest& request);

// Detaches every device to vfio, then resets every device; on any failure (a wedged device too),
// reattaches what was detached and throws an Error naming the device and the step. Every device
// is looked up first.
ActionLog detach_node_devices(const Root& root, LibvirtClient& libvirt,
                              const std::vector<PciAddress>& devices);
// Gives every device back to its host driver; on a failure detaches again what was reattached.
ActionLog reattach_node_devices(LibvirtClient& libvirt, const std::vector<PciAddress>& devices);
// Resets every device (after looking all of them up), checking each is not wedged afterwards.
ActionLog reset_node_devices(const Root& root, LibvirtClient& libvirt,
                             const std::vector<PciAddress>& devices);

// After a reset a device whose vendor ID reads 0xffff is wedged: throws Error(failed) saying a
// host reboot is needed. An SR-IOV VF (physfn link) reads vendor/device 0xffff by design: it is
// judged by its revision/class and command/status registers instead (see config_space_dead).
void check_not_wedged(const Root& root, const PciAddress& address);
// Whether an Error is check_not_wedged's.
bool is_wedged_error(const Error& e);

}  // namespace ptagent
