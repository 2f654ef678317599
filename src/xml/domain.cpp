#include "xml/domain.hpp"

#include <pugixml.hpp>
#include <sstream>

#include "error.hpp"
#include "uuid.hpp"
#include "xml/load.hpp"

namespace ptagent {

namespace {

constexpr const char* kPtagentNs = "urn:x-ptagent:passthrough:1";

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

long long parse_number(std::string_view text, const char* what) {
  auto v = parse_libvirt_field(text);
  if (!v) {
    throw_usage("domain XML", std::string("hostdev address ") + what + " '" +
                                  std::string(text.substr(0, 16)) + "' is not a number");
  }
  return *v;
}

PciAddress host_address(const pugi::xml_node& addr) {
  return address_from_fields(parse_number(addr.attribute("domain").as_string("0"), "domain"),
                             parse_number(addr.attribute("bus").value(), "bus"),
                             parse_number(addr.attribute("slot").value(), "slot"),
                             parse_number(addr.attribute("function").value(), "function"));
}

// The prefix bound to the ptagent namespace on this element or its ancestors, "" if none.
bool is_ptagent_element(const pugi::xml_node& n) {
  std::string_view name = n.name();
  auto colon = name.find(':');
  std::string prefix = colon == std::string_view::npos ? "" : std::string(name.substr(0, colon));
  std::string attr = prefix.empty() ? "xmlns" : "xmlns:" + prefix;
  for (pugi::xml_node p = n; p; p = p.parent()) {
    if (auto a = p.attribute(attr.c_str())) return std::string_view(a.value()) == kPtagentNs;
  }
  return false;
}

}  // namespace

bool domain_xml_mentions_passthrough(std::string_view xml) {
  // "hostdev", not "<hostdev": a VF can come as <interface type='hostdev'> (or its <actual>). A
  // character reference could spell either word inside an attribute value: then look closer.
  return xml.find("hostdev") != std::string_view::npos ||
         xml.find(kPtagentNs) != std::string_view::npos || xml.find("&#") != std::string_view::npos;
}

DomainInfo parse_domain_xml(std::string_view xml) {
  pugi::xml_document doc;
  load_untrusted_xml(doc, xml, {"domain XML", kMaxDomainXml, ", which libvirt never writes"});
  pugi::xml_node dom = doc.child("domain");
  if (!dom) dom = doc.child("domstatus").child("domain");
  if (!dom) throw_usage("domain XML", "has no <domain> element");

  DomainInfo info;
  info.name = dom.child_value("name");
  std::string uuid = dom.child_value("uuid");
  if (!uuid.empty() && !is_uuid_text(uuid)) throw_usage("domain XML", "has a malformed <uuid>");
  info.uuid = lower(uuid);

  for (pugi::xml_node hd : dom.child("devices").children("hostdev")) {
    if (std::string_view(hd.attribute("mode").value()) == "capabilities")
      continue;  // subsystem is the default
    std::string_view type = hd.attribute("type").value();
    pugi::xml_node addr = hd.child("source").child("address");
    if (type == "pci") {
      if (!addr) throw_usage("domain XML", "a PCI <hostdev> has no <source><address>");
      PciHostdev h;
      h.address = host_address(addr);
      h.managed = std::string_view(hd.attribute("managed").value()) == "yes";
      info.pci.push_back(h);
    } else if (type == "mdev") {
      std::string u = addr.attribute("uuid").value();
      if (!is_uuid_text(u))
        throw_usage("domain XML", "an mdev <hostdev> has no valid address uuid");
      info.mdevs.push_back({lower(u), hd.attribute("model").value()});
    }
  }

  // SR-IOV VFs given as <interface type='hostdev'>, or a network whose <actual> is one.
  for (pugi::xml_node i : dom.child("devices").children("interface")) {
    for (pugi::xml_node n : {i, i.child("actual")}) {
      if (!n || std::string_view(n.attribute("type").value()) != "hostdev") continue;
      pugi::xml_node addr = n.child("source").child("address");
      std::string_view atype = addr.attribute("type").value();
      if (!addr || !(atype.empty() || atype == "pci")) continue;
      PciHostdev h;
      h.address = host_address(addr);
      h.managed = std::string_view(n.attribute("managed").value()) == "yes" ||
                  std::string_view(i.attribute("managed").value()) == "yes";
      h.via_interface = true;
      bool seen = false;
      for (const auto& x : info.pci) seen = seen || x.address == h.address;
      if (!seen) info.pci.push_back(h);
    }
  }

  for (pugi::xml_node n : dom.child("metadata").children()) {
    std::string_view name = n.name();
    auto colon = name.find(':');
    std::string_view local = colon == std::string_view::npos ? name : name.substr(colon + 1);
    if (local == "passthrough" && is_ptagent_element(n)) {
      // A document of its own: the namespace declaration goes with it when libvirt (or a user)
      // put it on an ancestor, so that the text validates against ptagent-metadata.rng alone.
      pugi::xml_document alone;
      pugi::xml_node copy = alone.append_copy(n);
      const std::string prefix(colon == std::string_view::npos ? "" : name.substr(0, colon));
      const std::string decl = prefix.empty() ? "xmlns" : "xmlns:" + prefix;
      if (!copy.attribute(decl.c_str())) copy.prepend_attribute(decl.c_str()) = kPtagentNs;
      std::ostringstream out;
      alone.print(out, "", pugi::format_raw | pugi::format_no_declaration);
      info.ptagent_metadata = out.str();
      break;
    }
  }
  return info;
}

}  // namespace ptagent
