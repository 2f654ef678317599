// Reading `virsh nodedev-dumpxml` output: the PCI address of a node device (decimal fields).
#pragma once

#include <string_view>

#include "pci/address.hpp"

namespace ptagent {

// Parses a <device> document with a <capability type='pci'> element. libvirt writes the fields in
// decimal (<bus>255</bus>); hex with 0x is accepted too. Throws Error(usage) naming the problem:
// not XML, no pci capability, a missing or out-of-range field. DTDs and entities are refused.
PciAddress parse_nodedev_xml(std::string_view xml);

}  // namespace ptagent
