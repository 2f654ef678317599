// The few libvirt domain calls the CLI needs (never the hook: it would deadlock libvirtd).
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "pci/address.hpp"
#include "virt/connection.hpp"

namespace ptagent::virt {

enum class Affect { current, live, config, live_and_config };

// Domain XML (inactive definition when `inactive`).
std::string domain_xml(const Connection& conn, const Domain& dom, bool inactive);
bool domain_is_active(const Connection& conn, const Domain& dom);
// name -> live XML of every running domain.
std::vector<std::pair<std::string, std::string>> running_domain_xmls(const Connection& conn);

void attach_device(const Connection& conn, const Domain& dom, const std::string& xml,
                   Affect affect);
// A live detach is a request: libvirt asks the guest to unplug the device (ACPI / PCIe hotplug) and
// returns once the request is sent or a short internal wait expires; the device stays in the
// live XML until the guest lets go, which it may never do.
void detach_device(const Connection& conn, const Domain& dom, const std::string& xml,
                   Affect affect);

// True when a detach changes the running guest (live, or current on a running domain).
bool affects_live(Affect affect, bool domain_active);

// Polls the domain's live XML until no <hostdev> has `address` as its source, for at most `wait`
// (checked at least once). True when the device is gone; false when the unplug is still pending.
bool wait_hostdev_gone(const Connection& conn, const Domain& dom, const PciAddress& address,
                       std::chrono::milliseconds wait);

}  // namespace ptagent::virt
