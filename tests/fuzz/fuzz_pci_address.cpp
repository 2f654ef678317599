// The PCI address parser: every input form (DDDD:BB:SS.F, BB:SS.F, BB:SS, pci_DDDD_BB_SS_F, a
// sysfs path) and libvirt's field parser. A parsed address is in range and its canonical forms
// parse back to the same address.
#include "error.hpp"
#include "fuzz_check.hpp"
#include "pci/address.hpp"

using namespace ptagent;

namespace {

void check_address(const PciAddress& a, std::string_view input) {
  FUZZ_CHECK(a.slot <= 0x1f && a.function <= 7, "out of range from " + std::string(input));
  FUZZ_CHECK(parse_pci_address(a.to_string()) == a, a.to_string());
  FUZZ_CHECK(parse_pci_address(a.nodedev_name()) == a, a.nodedev_name());
  FUZZ_CHECK(try_parse_pci_address(a.to_string()) == a, a.to_string());
  const DeviceSpec slot = parse_device_spec(a.slot_string());
  FUZZ_CHECK(slot.whole_slot && slot.address.domain == a.domain && slot.address.bus == a.bus &&
                 slot.address.slot == a.slot,
             a.slot_string());
}

template <typename Fn>
void expect_usage_error(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    FUZZ_CHECK(e.kind() == ErrorKind::usage, e.what());
    FUZZ_CHECK(!std::string(e.what()).empty(), "an error without a message");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz_text(data, size);
  expect_usage_error([&] {
    const DeviceSpec s = parse_device_spec(text);
    check_address(s.address, text);
    if (s.whole_slot) FUZZ_CHECK(s.address.function == 0, std::string(text));
  });
  expect_usage_error([&] { check_address(parse_pci_address(text), text); });
  if (auto a = try_parse_pci_address(text)) {
    check_address(*a, text);
    FUZZ_CHECK(parse_pci_address(text) == *a, std::string(text));
  }
  if (auto v = parse_libvirt_field(text)) {
    FUZZ_CHECK(*v >= 0, std::string(text));
    expect_usage_error([&] { check_address(address_from_fields(0, *v, 0, 0), text); });
  }
  return 0;
}
