#include "xml/nodedev.hpp"

#include <pugixml.hpp>
#include <string>

#include "error.hpp"

namespace ptagent {

namespace {

constexpr std::size_t kMaxNodedevXml = 1u << 20;

long long field(const pugi::xml_node& cap, const char* name) {
  pugi::xml_node n = cap.child(name);
  if (!n) throw_usage("nodedev XML", std::string("the pci capability has no <") + name + ">");
  std::string_view text = n.text().get();
  auto v = parse_libvirt_field(text);
  if (!v) {
    throw_usage("nodedev XML", std::string("<") + name + "> is not a number: '" +
                                   std::string(text.substr(0, 40)) + "'");
  }
  return *v;
}

}  // namespace

PciAddress parse_nodedev_xml(std::string_view xml) {
  if (xml.size() > kMaxNodedevXml) throw_usage("nodedev XML", "is larger than 1 MiB");
  if (xml.find("<!DOCTYPE") != std::string_view::npos ||
      xml.find("<!ENTITY") != std::string_view::npos) {
    throw_usage("nodedev XML", "contains a DTD or entity declarations, which libvirt never writes");
  }
  pugi::xml_document doc;
  // No entity expansion beyond the predefined ones; pugixml never loads external resources.
  auto res = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default & ~pugi::parse_doctype);
  if (!res) throw_usage("nodedev XML", std::string("is not well-formed XML: ") + res.description());
  pugi::xml_node device = doc.child("device");
  if (!device)
    throw_usage("nodedev XML", "has no <device> root element",
                "pipe the output of 'virsh nodedev-dumpxml pci_…'");
  for (pugi::xml_node cap : device.children("capability")) {
    if (std::string_view(cap.attribute("type").value()) != "pci") continue;
    return address_from_fields(field(cap, "domain"), field(cap, "bus"), field(cap, "slot"),
                               field(cap, "function"));
  }
  throw_usage("nodedev XML", "has no <capability type='pci'>: it does not describe a PCI device",
              "use 'virsh nodedev-list --cap pci' to find PCI node devices");
}

}  // namespace ptagent
