// Which libvirt domains hold a host device: a <hostdev> (or <interface type='hostdev'>) with that
// PCI source in their XML. The answer to "why would libvirt refuse this device?" before libvirt
// is asked: it says "Not resetting active device" and names nobody.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "pci/address.hpp"

namespace ptagent {

class Clock;
class LibvirtClient;

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

// Throws Error(refused) naming the first device a running domain (other than `except_uuid`)
// holds and that domain, with the fix ("shut down 'l2pci' or detach it from there first").
// `operation` names what was asked ("detach", "reset", "attach").
void refuse_held_devices(LibvirtClient& libvirt, const std::vector<PciAddress>& devices,
                         const std::string& operation, const std::string& except_uuid = {});

// Polls the domain's live XML until no <hostdev> has `address` as its source (or the domain
// stopped), for at most `wait` (checked at least once, and once more at the bound). True when
// the device is gone; false when the unplug is still pending.
bool wait_hostdev_gone(LibvirtClient& libvirt, Clock& clock, const std::string& domain,
                       const PciAddress& address, std::chrono::milliseconds wait);

// "l2pci" or "l2pci, win10": for messages.
std::string join_domain_names(const std::vector<std::string>& names);

}  // namespace ptagent
