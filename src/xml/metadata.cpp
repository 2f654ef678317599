#include "xml/metadata.hpp"

#include <algorithm>
#include <pugixml.hpp>
#include <set>

#include "error.hpp"
#include "ops/mdev.hpp"
#include "printable.hpp"
#include "uuid.hpp"
#include "xml/load.hpp"
#include "xml/pretty.hpp"

namespace ptagent {

namespace {

constexpr std::size_t kMaxTypeLength = 64;
constexpr std::size_t kMaxMetadataXml = 1u << 20;
const char* const kObject = "ptagent metadata";

std::string_view prefix_of(std::string_view qname) {
  auto colon = qname.find(':');
  return colon == std::string_view::npos ? std::string_view{} : qname.substr(0, colon);
}

std::string_view local_of(std::string_view qname) {
  auto colon = qname.find(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

// The namespace URI an element's name is in, from the nearest declaration of its prefix.
std::string namespace_of(const pugi::xml_node& element) {
  const std::string_view prefix = prefix_of(element.name());
  const std::string decl = prefix.empty() ? std::string("xmlns") : "xmlns:" + std::string(prefix);
  for (pugi::xml_node n = element; n && n.type() == pugi::node_element; n = n.parent()) {
    if (pugi::xml_attribute a = n.attribute(decl.c_str())) return a.value();
  }
  return {};
}

bool is_ours(const pugi::xml_node& element, std::string_view local, MetadataNamespace ns) {
  if (local_of(element.name()) != local) return false;
  const std::string uri = namespace_of(element);
  // libvirt hands back an API query's element with no namespace at all.
  if (ns == MetadataNamespace::implied && uri.empty() && prefix_of(element.name()).empty())
    return true;
  return uri == kMetadataNamespace;
}

// Attributes other than the allowed ones (namespace declarations aside) are refused.
void only_attributes(const pugi::xml_node& element,
                     std::initializer_list<std::string_view> allowed) {
  for (const pugi::xml_attribute& a : element.attributes()) {
    const std::string_view name = a.name();
    if (name == "xmlns" || name.substr(0, 6) == "xmlns:") continue;
    bool ok = false;
    for (auto want : allowed) ok = ok || name == want;
    if (!ok) {
      throw_usage(kObject, "<" + std::string(local_of(element.name())) +
                               "> has an unknown attribute '" + printable(name) + "'");
    }
  }
}

std::string required(const pugi::xml_node& element, const char* attr) {
  pugi::xml_attribute a = element.attribute(attr);
  if (!a) {
    throw_usage(kObject,
                "<" + std::string(local_of(element.name())) + "> has no " + attr + " attribute");
  }
  return a.value();
}

PciAddress canonical_address(std::string_view text, std::string_view what) {
  if (auto a = try_parse_pci_address(text)) return *a;
  throw_usage(kObject,
              std::string(what) + " '" + printable(text) +
                  "' is not a PCI address of the form DDDD:BB:SS.F",
              "e.g. 0000:01:00.0");
}

}  // namespace

std::string parse_mdev_type(std::string_view text) {
  const std::string object = "mdev type '" + printable(text) + "'";
  const std::string hint =
      "use a directory name from /sys/class/mdev_bus/PARENT/mdev_supported_types, e.g. "
      "i915-GVTg_V5_4";
  if (text.empty()) throw_usage("mdev type", "is empty", hint);
  if (text.find('/') != std::string_view::npos) throw_usage(object, "contains '/'", hint);
  if (text.find("..") != std::string_view::npos) throw_usage(object, "contains '..'", hint);
  if (text.size() > kMaxTypeLength) throw_usage(object, "is longer than 64 characters", hint);
  if (text.front() == '.' || text.back() == '.')
    throw_usage(object, "starts or ends with '.'", hint);
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == ':' || c == '.';
    if (!ok) throw_usage(object, "contains '" + printable(std::string_view(&c, 1)) + "'", hint);
  }
  return std::string(text);
}

std::string parse_mdev_parent(std::string_view text, ParentForm form) {
  const bool hex_colon =
      text.find(':') != std::string_view::npos &&
      text.find_first_not_of("0123456789abcdefABCDEF:.") == std::string_view::npos;
  const bool pci_like = hex_colon || text.rfind("pci_", 0) == 0 || text.rfind("/sys/", 0) == 0;
  if (pci_like) {
    if (form == ParentForm::any_pci_form) return parse_pci_address(text).to_string();
    return canonical_address(text, "mdev parent").to_string();
  }
  check_mdev_parent_name(text);
  return std::string(text);
}

std::string parse_finding_code(std::string_view text) {
  const std::string hint =
      "use a finding code that 'ptagent show DEVICE' prints, e.g. "
      "framebuffer-in-bar";
  if (text.empty() || text.size() > 64)
    throw_usage("finding code", "must be 1-64 characters", hint);
  for (char c : text) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
      throw_usage("finding code '" + printable(text) + "'",
                  "may hold only lower-case letters, digits and '-'", hint);
  }
  return std::string(text);
}

std::string bind_driver_text(BindDriver) {
  return "vfio-pci";
}

std::string group_policy_text(GroupPolicy g) {
  return g == GroupPolicy::whole ? "whole" : "device";
}

GroupPolicy parse_group_policy(std::string_view text, std::string_view what) {
  if (text == "device") return GroupPolicy::device;
  if (text == "whole") return GroupPolicy::whole;
  throw_usage(std::string(what) + " '" + printable(text) + "'", "must be device or whole");
}

void check_metadata(const PassthroughMetadata& md) {
  for (const auto& a : md.accept) parse_finding_code(a.finding);
  std::set<Uuid> uuids;
  std::set<std::string> parents;
  for (const auto& m : md.mdevs) {
    parse_mdev_type(m.type);
    if (!uuids.insert(m.uuid).second)
      throw_usage(kObject, "mdev " + m.uuid.to_string() + " is listed twice");
    parents.insert(m.parent);
  }
  std::set<PciAddress> seen;
  for (const auto& p : md.pci) {
    if (!seen.insert(p.address).second)
      throw_usage(kObject, "PCI " + p.address.to_string() + " is listed twice");
    if (parents.count(p.address.to_string())) {
      throw_usage(kObject,
                  "PCI " + p.address.to_string() + " is both an mdev parent and a device to bind",
                  "binding a parent to vfio-pci removes its mdevs; keep one of the two");
    }
  }
}

bool PassthroughMetadata::accepts(const PciAddress& address, std::string_view finding) const {
  return std::any_of(accept.begin(), accept.end(), [&](const MetadataAccept& a) {
    return a.address == address && a.finding == finding;
  });
}

pugi::xml_node append_metadata(pugi::xml_node parent, const PassthroughMetadata& md) {
  check_metadata(md);
  const std::string p = std::string(kMetadataPrefix) + ":";
  pugi::xml_node root = parent.append_child((p + "passthrough").c_str());
  root.append_attribute(("xmlns:" + std::string(kMetadataPrefix)).c_str()) = kMetadataNamespace;
  for (const auto& m : md.mdevs) {
    pugi::xml_node e = root.append_child((p + "mdev").c_str());
    e.append_attribute("uuid") = m.uuid.to_string().c_str();
    e.append_attribute("parent") = m.parent.c_str();
    e.append_attribute("type") = m.type.c_str();
  }
  for (const auto& c : md.pci) {
    pugi::xml_node e = root.append_child((p + "pci").c_str());
    e.append_attribute("address") = c.address.to_string().c_str();
    e.append_attribute("bind") = bind_driver_text(c.bind).c_str();
    e.append_attribute("group") = group_policy_text(c.group).c_str();
  }
  for (const auto& a : md.accept) {
    pugi::xml_node e = root.append_child((p + "accept").c_str());
    e.append_attribute("address") = a.address.to_string().c_str();
    e.append_attribute("finding") = a.finding.c_str();
  }
  return root;
}

std::string metadata_xml(const PassthroughMetadata& md, int depth) {
  pugi::xml_document doc;
  pugi::xml_node root = append_metadata(doc, md);
  if (md.empty()) {
    // format_xml would close it as an empty element, which is fine XML but reads as a mistake.
    const std::string indent(static_cast<std::size_t>(depth) * 2, ' ');
    return indent + "<" + root.name() + " xmlns:" + kMetadataPrefix + "=\"" + kMetadataNamespace +
           "\"/>\n";
  }
  return format_xml(root, Quotes::double_, depth);
}

PassthroughMetadata parse_metadata(const pugi::xml_node& element, MetadataNamespace ns) {
  if (!element || element.type() != pugi::node_element) throw_usage(kObject, "is not an element");
  if (!is_ours(element, "passthrough", ns)) {
    throw_usage(kObject, "<" + printable(element.name()) + "> is not <passthrough> in namespace " +
                             kMetadataNamespace);
  }
  only_attributes(element, {});
  PassthroughMetadata md;
  for (const pugi::xml_node& child : element.children()) {
    if (child.type() == pugi::node_comment) continue;
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      std::string_view v = child.value();
      if (v.find_first_not_of(" \t\r\n") != std::string_view::npos)
        throw_usage(kObject, "has text inside <passthrough>");
      continue;
    }
    if (child.type() != pugi::node_element)
      throw_usage(kObject, "has unexpected content inside <passthrough>");
    if (is_ours(child, "mdev", ns)) {
      only_attributes(child, {"uuid", "parent", "type"});
      MetadataMdev m;
      m.uuid = parse_uuid(required(child, "uuid"), "ptagent metadata mdev uuid");
      m.parent = parse_mdev_parent(required(child, "parent"));
      m.type = parse_mdev_type(required(child, "type"));
      if (child.first_child()) throw_usage(kObject, "<mdev> must be empty");
      md.mdevs.push_back(std::move(m));
    } else if (is_ours(child, "pci", ns)) {
      only_attributes(child, {"address", "bind", "group"});
      MetadataPci p;
      p.address = canonical_address(required(child, "address"), "pci address");
      if (pugi::xml_attribute b = child.attribute("bind");
          b && std::string_view(b.value()) != "vfio-pci") {
        throw_usage(kObject, "pci bind '" + printable(b.value()) + "' is not supported",
                    "the only driver is vfio-pci");
      }
      if (pugi::xml_attribute g = child.attribute("group"))
        p.group = parse_group_policy(g.value(), "ptagent metadata pci group");
      if (child.first_child()) throw_usage(kObject, "<pci> must be empty");
      md.pci.push_back(p);
    } else if (is_ours(child, "accept", ns)) {
      only_attributes(child, {"address", "finding"});
      MetadataAccept a;
      a.address = canonical_address(required(child, "address"), "accept address");
      a.finding = parse_finding_code(required(child, "finding"));
      if (child.first_child()) throw_usage(kObject, "<accept> must be empty");
      md.accept.push_back(std::move(a));
    } else {
      throw_usage(kObject, "has an unknown element <" + printable(child.name()) + "> (namespace '" +
                               printable(namespace_of(child)) + "')");
    }
  }
  check_metadata(md);
  return md;
}

PassthroughMetadata parse_metadata(std::string_view xml, MetadataNamespace ns) {
  pugi::xml_document doc;
  load_untrusted_xml(doc, xml, {kObject, kMaxMetadataXml, "", true});
  return parse_metadata(doc.document_element(), ns);
}

}  // namespace ptagent
