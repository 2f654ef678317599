#include "xml/domain_status.hpp"

#include "error.hpp"
#include "sysfs/root.hpp"
#include "xml/domain.hpp"

namespace ptagent {

DomainStatus parse_domain_status(std::string_view xml) {
  DomainInfo info = parse_domain_xml(xml);
  DomainStatus st;
  st.name = std::move(info.name);
  st.uuid = std::move(info.uuid);
  for (const auto& h : info.pci) st.pci.push_back(h.address);
  for (auto& m : info.mdevs) st.mdevs.push_back(std::move(m.uuid));
  return st;
}

RunningDomains read_running_domains(const Root& root, const std::string& dir) {
  RunningDomains out;
  for (const auto& name : root.list(dir)) {
    if (name.size() <= 4 || name.compare(name.size() - 4, 4, ".xml") != 0) continue;
    const std::string path = dir + "/" + name;
    auto text = root.read(path, kMaxDomainXml + 1);
    if (!text) {
      out.problems.push_back(path + ": cannot be read");
      continue;
    }
    try {
      DomainStatus st = parse_domain_status(*text);
      if (st.name.empty()) st.name = name.substr(0, name.size() - 4);
      out.domains.push_back(std::move(st));
    } catch (const Error& e) {
      out.problems.push_back(path + ": " + e.cause());
    }
  }
  return out;
}

PciHolders status_pci_holders(const RunningDomains& running) {
  PciHolders out;
  for (const auto& d : running.domains) {
    for (const auto& a : d.pci) out[a].push_back("assigned to running domain " + d.name);
  }
  return out;
}

MdevHolders status_mdev_holders(const RunningDomains& running) {
  MdevHolders out;
  for (const auto& d : running.domains) {
    for (const auto& u : d.mdevs) out[u].push_back("assigned to running domain " + d.name);
  }
  return out;
}

}  // namespace ptagent
