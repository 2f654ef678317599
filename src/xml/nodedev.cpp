#include "xml/nodedev.hpp"

#include <pugixml.hpp>
#include <string>

#include "error.hpp"
#include "xml/load.hpp"

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
  pugi::xml_document doc;
  load_untrusted_xml(doc, xml, {"nodedev XML", kMaxNodedevXml, ", which libvirt never writes"});
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
