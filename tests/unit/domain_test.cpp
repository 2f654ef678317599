// The domain reader's cheap scan, which the hook trusts to skip documents with nothing for it.
#include "xml/domain.hpp"

#include <gtest/gtest.h>

using namespace ptagent;

namespace {

const char* kVfInterface =
    "<domain><uuid>6c0d8a58-33f0-4c0c-9c48-0b4b6f1e7a01</uuid><devices><interface type='hostdev' "
    "managed='yes'><source><address type='pci' domain='0x0000' bus='0x01' slot='0x00' "
    "function='0x1'/></source></interface></devices></domain>";

TEST(DomainXml, TheScanSeesEverythingTheReaderFinds) {
  // Found by fuzz_domain_xml: a VF given as <interface type='hostdev'> has no "<hostdev", and the
  // hook skipped its checks.
  EXPECT_EQ(parse_domain_xml(kVfInterface).pci.size(), 1u);
  EXPECT_TRUE(domain_xml_mentions_passthrough(kVfInterface));
  // A character reference can spell the namespace in an attribute value.
  const std::string spelled =
      "<domain><uuid>6c0d8a58-33f0-4c0c-9c48-0b4b6f1e7a01</uuid><metadata><p:passthrough "
      "xmlns:p='urn:x-ptagent&#58;passthrough:1'/></metadata></domain>";
  EXPECT_TRUE(parse_domain_xml(spelled).ptagent_metadata);
  EXPECT_TRUE(domain_xml_mentions_passthrough(spelled));
}

TEST(DomainXml, PlainDomainsAreSkipped) {
  EXPECT_FALSE(domain_xml_mentions_passthrough(
      "<domain><name>web</name><devices><disk type='file'/><interface "
      "type='network'/></devices></domain>"));
  EXPECT_FALSE(domain_xml_mentions_passthrough(""));
}

}  // namespace
