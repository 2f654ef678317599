// Which running libvirt domains hold a host device: a <hostdev> (or <interface type='hostdev'>)
// with that PCI source in their live XML. The answer to "why would libvirt refuse this device?"
// before libvirt is asked: it says "Not resetting active device" and names nobody.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "pci/address.hpp"
#include "virt/connection.hpp"

namespace ptagent::virt {

// (domain name, live XML) of running domains.
using DomainXmls = std::vector<std::pair<std::string, std::string>>;

// True when the domain document has a PCI host device `address` (false for a document that does
// not parse).
bool domain_xml_holds(const std::string& xml, const PciAddress& address);

// The names of the domains in `running` whose XML has a PCI host device `address`, in order.
// A domain whose UUID is `except_uuid` (lower-case; "" for none) is skipped: the domain being
// changed does not hold the device against itself. A document that does not parse is skipped.
std::vector<std::string> domains_holding(const DomainXmls& running, const PciAddress& address,
                                         const std::string& except_uuid = {});

// The same for every running domain of the connection (their live XML, read now).
std::vector<std::string> running_domains_holding(const Connection& conn, const PciAddress& address,
                                                 const std::string& except_uuid = {});

// Throws Error(refused) naming the first device a running domain (other than `except_uuid`)
// holds and that domain, with the fix ("shut down 'l2pci' or detach it from there first").
// `operation` names what was asked ("detach", "reset", "attach").
void refuse_held_devices(const Connection& conn, const std::vector<PciAddress>& devices,
                         const std::string& operation, const std::string& except_uuid = {});

// "l2pci" or "l2pci, win10": for messages.
std::string join_domain_names(const std::vector<std::string>& names);

}  // namespace ptagent::virt
