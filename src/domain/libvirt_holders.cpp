#include "domain/libvirt_holders.hpp"

#include <algorithm>

#include "domain/clock.hpp"
#include "domain/libvirt_client.hpp"
#include "error.hpp"
#include "util/join.hpp"
#include "xml/domain.hpp"

namespace ptagent {

bool domain_xml_holds(const std::string& xml, const PciAddress& address) {
  try {
    const DomainInfo info = parse_domain_xml(xml);
    return std::any_of(info.pci.begin(), info.pci.end(),
                       [&](const PciHostdev& h) { return h.address == address; });
  } catch (const Error&) {
    return false;
  }
}

std::vector<std::string> domains_holding(const DomainXmls& running, const PciAddress& address,
                                         const std::string& except_uuid) {
  std::vector<std::string> out;
  for (const auto& [name, xml] : running) {
    DomainInfo info;
    try {
      info = parse_domain_xml(xml);
    } catch (const Error&) {
      continue;  // libvirt wrote it; a document we cannot read holds nothing we can name
    }
    if (!except_uuid.empty() && info.uuid == except_uuid) continue;
    const bool holds = std::any_of(info.pci.begin(), info.pci.end(),
                                   [&](const PciHostdev& h) { return h.address == address; });
    if (holds) out.push_back(name);
  }
  return out;
}

void refuse_held_devices(LibvirtClient& libvirt, const std::vector<PciAddress>& devices,
                         const std::string& operation, const std::string& except_uuid) {
  if (devices.empty()) return;
  const DomainXmls running = libvirt.running_domain_xmls();
  for (const auto& a : devices) {
    const auto holders = domains_holding(running, a, except_uuid);
    if (holders.empty()) continue;
    throw_busy(
        a.to_string(),
        "is in use by the running domain '" + holders.front() + "': " + operation + " refused",
        "shut down '" + holders.front() + "' or detach it from there first ('ptagent detach-from " +
            holders.front() + " " + a.to_string() + "')");
  }
}

bool wait_hostdev_gone(LibvirtClient& libvirt, Clock& clock, const std::string& domain,
                       const PciAddress& address, std::chrono::milliseconds wait) {
  constexpr std::chrono::milliseconds kPoll(200);
  // A guest that stopped meanwhile holds nothing live any more.
  auto gone = [&] {
    return !libvirt.domain_is_active(domain) ||
           !domain_xml_holds(libvirt.domain_xml(domain, false), address);
  };
  const auto deadline = clock.now() + wait;
  for (;;) {
    if (gone()) return true;
    const auto now = clock.now();
    if (now >= deadline) return false;
    clock.sleep_for(
        std::min(kPoll, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now)));
  }
}

std::string join_domain_names(const std::vector<std::string>& names) {
  std::string out = join(names, ", ");
  return out;
}

}  // namespace ptagent
