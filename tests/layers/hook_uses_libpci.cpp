// Built only by the test layers_hook_libpci_link_fails: a program linked like the hook that asks
// for PCI names (libpci, the ptpciids library). It compiles, and must not link.
#include "pci/ids.hpp"

int main() {
  ptagent::IdNames names;
  return names.vendor(0x8086).empty() ? 1 : 0;
}
