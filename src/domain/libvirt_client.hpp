// What ptagent asks of libvirt, as an interface of the core: the real client (src/virt, which
// loads libvirt with dlopen) and the recording double of the tests (tests/support) implement it.
// No libvirt header here. Every call throws a translated Error (libvirtd down, a device or
// domain libvirt does not know, a refusal), never a libvirt error code.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "pci/address.hpp"

namespace ptagent {

// Which definition a device change affects (libvirt's VIR_DOMAIN_AFFECT_*).
enum class Affect { current, live, config, live_and_config };

// True when a device change affects the running guest (live, or current on a running domain).
inline bool affects_live(Affect affect, bool domain_active) {
  return affect == Affect::live || affect == Affect::live_and_config ||
         (affect == Affect::current && domain_active);
}

class LibvirtClient {
 public:
  virtual ~LibvirtClient() = default;

  // Opens the connection every other call uses; each call is bounded by `timeout` (a hung
  // libvirtd gives an Error, not a hang).
  virtual void connect(const std::string& uri, std::chrono::milliseconds timeout) = 0;

  // Domains, by the name or UUID the caller gave: Error(not_found) naming it.
  virtual void lookup_domain(const std::string& domain) = 0;
  virtual bool domain_is_active(const std::string& domain) = 0;
  // The domain's XML: the inactive definition when `inactive`, else the live one.
  virtual std::string domain_xml(const std::string& domain, bool inactive) = 0;
  // (name, live XML) of every running domain.
  virtual std::vector<std::pair<std::string, std::string>> running_domain_xmls() = 0;
  // virDomainAttachDeviceFlags / virDomainDetachDeviceFlags with a <hostdev> document. A live
  // detach is a request to the guest, which may take its time (or never) to let go.
  virtual void attach_device(const std::string& domain, const std::string& xml, Affect affect) = 0;
  virtual void detach_device(const std::string& domain, const std::string& xml, Affect affect) = 0;

  // Node devices (pci_DDDD_BB_SS_F): Error(not_found) when libvirt does not know the device.
  virtual void lookup_node_device(const PciAddress& address) = 0;
  // virNodeDeviceDetachFlags(…, "vfio"), virNodeDeviceReAttach, virNodeDeviceReset.
  virtual void detach_node_device(const PciAddress& address) = 0;
  virtual void reattach_node_device(const PciAddress& address) = 0;
  virtual void reset_node_device(const PciAddress& address) = 0;
};

}  // namespace ptagent
