#include "xml/domain_status.hpp"

#include <charconv>
#include <pugixml.hpp>

#include "error.hpp"
#include "sysfs/root.hpp"

namespace ptagent {

namespace {

constexpr std::size_t kMaxStatusXml = 16u << 20;

long long address_field(const pugi::xml_node& address, const char* name) {
  std::string_view text = address.attribute(name).value();
  const std::string shown(text.substr(0, 20));
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  long long v = -1;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (text.empty() || text.size() > 8 || ec != std::errc() || p != text.data() + text.size()) {
    throw_usage("domain status XML",
                std::string("a host address has a bad ") + name + "='" + shown + "'");
  }
  return v;
}

PciAddress host_address(const pugi::xml_node& address) {
  return address_from_fields(address_field(address, "domain"), address_field(address, "bus"),
                             address_field(address, "slot"), address_field(address, "function"));
}

void add_unique(std::vector<PciAddress>& out, const PciAddress& a) {
  for (const auto& x : out) {
    if (x == a) return;
  }
  out.push_back(a);
}

}  // namespace

DomainStatus parse_domain_status(std::string_view xml) {
  if (xml.size() > kMaxStatusXml) throw_usage("domain status XML", "is larger than 16 MiB");
  if (xml.find("<!DOCTYPE") != std::string_view::npos ||
      xml.find("<!ENTITY") != std::string_view::npos) {
    throw_usage("domain status XML",
                "contains a DTD or entity declarations, which libvirt never writes");
  }
  pugi::xml_document doc;
  auto res = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default & ~pugi::parse_doctype);
  if (!res)
    throw_usage("domain status XML", std::string("is not well-formed XML: ") + res.description());
  pugi::xml_node domain = doc.child("domstatus").child("domain");
  if (!domain) domain = doc.child("domain");
  if (!domain) throw_usage("domain status XML", "has no <domstatus><domain> (or <domain>) element");

  DomainStatus st;
  st.name = domain.child_value("name");
  st.uuid = domain.child_value("uuid");
  const pugi::xml_node devices = domain.child("devices");
  for (pugi::xml_node h : devices.children("hostdev")) {
    if (std::string_view(h.attribute("mode").value()) == "capabilities") continue;
    const std::string_view type = h.attribute("type").value();
    const pugi::xml_node address = h.child("source").child("address");
    if (type == "pci" && address) {
      add_unique(st.pci, host_address(address));
    } else if (type == "mdev" && address) {
      const std::string_view uuid = address.attribute("uuid").value();
      auto u = try_parse_uuid_text(uuid);
      if (!u)
        throw_usage("domain status XML",
                    "an mdev hostdev has a bad uuid='" + std::string(uuid.substr(0, 40)) + "'");
      st.mdevs.push_back(*u);
    }
  }
  // SR-IOV VFs are often given as <interface type='hostdev'>, or as a network whose <actual> is
  // one.
  for (pugi::xml_node i : devices.children("interface")) {
    for (pugi::xml_node n : {i, i.child("actual")}) {
      if (!n || std::string_view(n.attribute("type").value()) != "hostdev") continue;
      const pugi::xml_node address = n.child("source").child("address");
      const std::string_view atype = address.attribute("type").value();
      if (address && (atype.empty() || atype == "pci")) add_unique(st.pci, host_address(address));
    }
  }
  return st;
}

RunningDomains read_running_domains(const Root& root, const std::string& dir) {
  RunningDomains out;
  for (const auto& name : root.list(dir)) {
    if (name.size() <= 4 || name.compare(name.size() - 4, 4, ".xml") != 0) continue;
    const std::string path = dir + "/" + name;
    auto text = root.read(path, kMaxStatusXml + 1);
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
