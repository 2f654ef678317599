// Reading a libvirt domain document (or a /run/libvirt/qemu status file that wraps one): its
// identity, its host devices and ptagent's metadata element. Hostile input is refused, not parsed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pci/address.hpp"

namespace ptagent {

struct PciHostdev {
  PciAddress address;
  bool managed = false;        // libvirt's default for <hostdev> is managed='no'
  bool via_interface = false;  // an SR-IOV VF given as <interface type='hostdev'> (or its <actual>)
};

struct MdevHostdev {
  std::string uuid;   // lower-case
  std::string model;  // "vfio-pci", "vfio-ccw", "vfio-ap"
};

struct DomainInfo {
  std::string name;
  std::string uuid;  // lower-case, validated; empty when the document has none
  std::vector<PciHostdev> pci;
  std::vector<MdevHostdev> mdevs;
  // The serialized <ptagent:passthrough> element (namespace urn:x-ptagent:passthrough:1), if any.
  std::optional<std::string> ptagent_metadata;
};

// Limits that keep hostile documents cheap (status files carry more than the definition).
inline constexpr std::size_t kMaxDomainXml = 16u << 20;

// Parses <domain> or <domstatus><domain>. Throws Error(usage) on anything that is not a domain
// document, on DTDs and entity declarations, on a malformed host address or UUID, and on
// documents larger than kMaxDomainXml.
DomainInfo parse_domain_xml(std::string_view xml);

// True when the document may concern ptagent at all (a hostdev or ptagent metadata). A cheap text
// scan used by the hook before any parsing.
bool domain_xml_mentions_passthrough(std::string_view xml);

}  // namespace ptagent
