// `virsh nodedev-dumpxml` documents: the PCI address reader (decimal or hex fields, DTDs refused).
#include "error.hpp"
#include "fuzz_check.hpp"
#include "xml/nodedev.hpp"

using namespace ptagent;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz_text(data, size);
  try {
    const PciAddress a = parse_nodedev_xml(text);
    FUZZ_CHECK(a.slot <= 0x1f && a.function <= 7, a.to_string());
    FUZZ_CHECK(parse_pci_address(a.to_string()) == a, a.to_string());
  } catch (const Error& e) {
    FUZZ_CHECK(e.kind() == ErrorKind::usage, e.what());
  }
  return 0;
}
