// PCI configuration space bytes (the sysfs `config` file): capability lists may loop, point out of
// range or be cut short; the parser must stay inside the buffer.
#include <vector>

#include "fuzz_check.hpp"
#include "pci/config_space.hpp"

using namespace ptagent;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A private copy of exactly `size` bytes, so that ASan sees any read past the end.
  const std::vector<char> bytes(data, data + size);
  const ConfigInfo info = parse_config_space(std::string_view(bytes.data(), bytes.size()));
  if (size < 64) FUZZ_CHECK(!info.valid, "valid from a short buffer");
  if (info.valid) FUZZ_CHECK(info.vendor != 0xffff, "valid with vendor 0xffff");
  return 0;
}
