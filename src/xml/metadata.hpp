// ptagent's element in a domain's <metadata>: the mdevs the hook creates and the unmanaged PCI
// functions it binds, so the intent travels with the domain XML.
//
//   <ptagent:passthrough xmlns:ptagent="urn:x-ptagent:passthrough:1">
//     <ptagent:mdev uuid="4b20d080-…" parent="0000:00:02.0" type="i915-GVTg_V5_4"/>
//     <ptagent:mdev uuid="…" parent="mtty" type="mtty-2"/>           (a parent that is not PCI)
//     <ptagent:pci address="0000:42:00.0" bind="vfio-pci" group="whole"/>
//   </ptagent:passthrough>
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pci/address.hpp"
#include "uuid.hpp"

namespace pugi {
class xml_node;
}

namespace ptagent {

inline constexpr const char* kMetadataNamespace = "urn:x-ptagent:passthrough:1";
inline constexpr const char* kMetadataPrefix = "ptagent";

enum class BindDriver { vfio_pci };
// device: bind this function only (its group must already be viable); whole: bind every endpoint
// of its IOMMU group to vfio-pci as well.
enum class GroupPolicy { device, whole };

struct MetadataMdev {
  Uuid uuid;
  // The parent's name under /sys/class/mdev_bus: a PCI address DDDD:BB:SS.F for PCI parents, any
  // other sysfs name for the rest (the kernel's mtty sample "mtty", s390 vfio-ap "matrix", a
  // vfio-ccw subchannel "0.0.0313").
  std::string parent;
  std::string type;  // an mdev_supported_types directory name
  auto operator<=>(const MetadataMdev&) const = default;
};

struct MetadataPci {
  PciAddress address;
  BindDriver bind = BindDriver::vfio_pci;
  GroupPolicy group = GroupPolicy::device;
  auto operator<=>(const MetadataPci&) const = default;
};

// <ptagent:accept address="0000:01:00.0" finding="framebuffer-in-bar"/>: the operator accepts a
// warning finding of that device; the hook starts the domain despite it (it logs it). A blocking
// finding cannot be accepted.
struct MetadataAccept {
  PciAddress address;
  std::string finding;  // a finding code: lower-case letters, digits and '-'
  auto operator<=>(const MetadataAccept&) const = default;
};

struct PassthroughMetadata {
  std::vector<MetadataMdev> mdevs;
  std::vector<MetadataPci> pci;
  std::vector<MetadataAccept> accept;
  bool empty() const { return mdevs.empty() && pci.empty() && accept.empty(); }
  bool accepts(const PciAddress& address, std::string_view finding) const;
  bool operator==(const PassthroughMetadata&) const = default;
};

// An mdev type name as it appears under mdev_supported_types: letters, digits, '_', '-', ':' and
// single dots between them (no '/', no "..", 64 characters at most). Throws Error(usage).
std::string parse_mdev_type(std::string_view text);

enum class ParentForm {
  canonical,     // a PCI parent must be written DDDD:BB:SS.F (the metadata's one written form)
  any_pci_form,  // a PCI parent in any form parse_pci_address accepts ("00:02.0"), made canonical
};
// An mdev parent name as /sys/class/mdev_bus lists it. Text that looks like a PCI address
// (hex digits with ':' and '.', "pci_…", "/sys/…") must be one and comes back canonical; anything
// else must be a safe sysfs name (letters, digits, '_', '.', '-', ':'; no leading '.', no "..",
// 128 characters at most). Throws Error(usage). Whether the parent exists is checked on the host.
std::string parse_mdev_parent(std::string_view text, ParentForm form = ParentForm::canonical);

// A finding code as <ptagent:accept finding=…> takes it. Throws Error(usage).
std::string parse_finding_code(std::string_view text);

std::string bind_driver_text(BindDriver b);    // "vfio-pci"
std::string group_policy_text(GroupPolicy g);  // "device" / "whole"
GroupPolicy parse_group_policy(std::string_view text, std::string_view what);

// Throws Error(usage) on a bad type, a duplicate UUID or address, or a PCI function that is also
// an mdev parent (binding it to vfio-pci would remove the parent's mdevs).
void check_metadata(const PassthroughMetadata& metadata);

// Appends <ptagent:passthrough> with its namespace declaration to `parent`.
pugi::xml_node append_metadata(pugi::xml_node parent, const PassthroughMetadata& metadata);

// The element pretty-printed as libvirt shows metadata (two spaces, double quotes), each line
// indented by `depth` levels.
std::string metadata_xml(const PassthroughMetadata& metadata, int depth = 0);

enum class MetadataNamespace {
  required,  // the element must be in kMetadataNamespace (domain XML, the hook's stdin)
  implied,   // virDomainGetMetadata / `virsh metadata DOMAIN URI` output: libvirt strips the
             // namespace
};

// Reads the element back, under whatever prefix the document binds to kMetadataNamespace (libvirt
// may re-prefix it). Strict: unknown elements or attributes, bad values, duplicates, DTDs and
// entity declarations are refused with Error(usage) naming the problem.
PassthroughMetadata parse_metadata(std::string_view element_xml,
                                   MetadataNamespace ns = MetadataNamespace::required);
PassthroughMetadata parse_metadata(const pugi::xml_node& element,
                                   MetadataNamespace ns = MetadataNamespace::required);

}  // namespace ptagent
