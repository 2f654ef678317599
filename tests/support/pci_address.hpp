// A PCI address from its text in a test: A("0000:01:00.0"), A("01:00.1").
#pragma once

#include "pci/address.hpp"

namespace ptagent::testing {

inline PciAddress A(const char* text) {
  return parse_pci_address(text);
}

}  // namespace ptagent::testing
