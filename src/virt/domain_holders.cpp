#include "virt/domain_holders.hpp"

#include <algorithm>

#include "error.hpp"
#include "virt/domain_ops.hpp"
#include "xml/domain.hpp"

namespace ptagent::virt {

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

std::vector<std::string> running_domains_holding(const Connection& conn, const PciAddress& address,
                                                 const std::string& except_uuid) {
  return domains_holding(running_domain_xmls(conn), address, except_uuid);
}

void refuse_held_devices(const Connection& conn, const std::vector<PciAddress>& devices,
                         const std::string& operation, const std::string& except_uuid) {
  if (devices.empty()) return;
  const DomainXmls running = running_domain_xmls(conn);
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

std::string join_domain_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace ptagent::virt
