// The few libvirt domain calls the CLI needs (never the hook: it would deadlock libvirtd).
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "domain/libvirt_client.hpp"
#include "pci/address.hpp"
#include "virt/connection.hpp"

namespace ptagent::virt {

using Affect = ptagent::Affect;

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

}  // namespace ptagent::virt
