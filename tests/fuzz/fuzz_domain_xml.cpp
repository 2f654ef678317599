// Domain documents as the hook reads them on stdin (and libvirt's status files): the domain
// reader, ptagent's metadata element, and the cheap text scan the hook's do-nothing path trusts.
#include "error.hpp"
#include "fuzz_check.hpp"
#include "xml/domain.hpp"
#include "xml/domain_status.hpp"
#include "xml/metadata.hpp"

using namespace ptagent;

namespace {

template <typename Fn>
void expect_usage_error(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    FUZZ_CHECK(e.kind() == ErrorKind::usage, e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz_text(data, size);
  expect_usage_error([&] {
    const DomainInfo info = parse_domain_xml(text);
    // The hook skips documents the scan calls irrelevant: it must never skip one that has
    // something for ptagent.
    if (!info.pci.empty() || !info.mdevs.empty() || info.ptagent_metadata) {
      FUZZ_CHECK(domain_xml_mentions_passthrough(text), "the scan missed host devices");
    }
    for (const auto& h : info.pci)
      FUZZ_CHECK(h.address.slot <= 0x1f && h.address.function <= 7, "");
    for (const auto& m : info.mdevs) FUZZ_CHECK(m.uuid.size() == 36, m.uuid);
    if (info.ptagent_metadata) {
      const PassthroughMetadata meta = parse_metadata(*info.ptagent_metadata);
      for (const auto& m : meta.mdevs) {
        // Type names end up in sysfs paths.
        FUZZ_CHECK(m.type.find('/') == std::string::npos && m.type.find("..") == std::string::npos,
                   m.type);
        FUZZ_CHECK(!m.type.empty() && m.type.front() != '.', m.type);
      }
      // What the reader accepts, the writer writes back the same.
      const PassthroughMetadata again = parse_metadata(metadata_xml(meta));
      FUZZ_CHECK(again == meta, metadata_xml(meta));
    }
  });
  expect_usage_error([&] { (void)parse_metadata(text); });
  expect_usage_error([&] { (void)parse_metadata(text, MetadataNamespace::implied); });
  expect_usage_error([&] { (void)parse_domain_status(text); });
  return 0;
}
