#include "xml/metadata.hpp"

#include <gtest/gtest.h>

#include <pugixml.hpp>

#include "error.hpp"
#include "xml/schema.hpp"

using namespace ptagent;

namespace {

PassthroughMetadata sample() {
  PassthroughMetadata md;
  md.mdevs.push_back(
      {parse_uuid("4b20d080-1b54-4048-85b3-a6a62d165c01"), "0000:00:02.0", "i915-GVTg_V5_4"});
  md.pci.push_back({parse_pci_address("0000:42:00.0"), BindDriver::vfio_pci, GroupPolicy::whole});
  return md;
}

const char* kSampleXml =
    "<ptagent:passthrough xmlns:ptagent=\"urn:x-ptagent:passthrough:1\">\n"
    "  <ptagent:mdev uuid=\"4b20d080-1b54-4048-85b3-a6a62d165c01\" parent=\"0000:00:02.0\" "
    "type=\"i915-GVTg_V5_4\"/>\n"
    "  <ptagent:pci address=\"0000:42:00.0\" bind=\"vfio-pci\" group=\"whole\"/>\n"
    "</ptagent:passthrough>\n";

void expect_refused(const std::string& xml, const std::string& needle) {
  try {
    parse_metadata(xml);
    ADD_FAILURE() << "accepted: " << xml;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
        << e.what() << " / wanted " << needle;
  }
}

std::string wrap(const std::string& children, const std::string& prefix = "ptagent") {
  return "<" + prefix + ":passthrough xmlns:" + prefix + "='urn:x-ptagent:passthrough:1'>" +
         children + "</" + prefix + ":passthrough>";
}

}  // namespace

TEST(Metadata, GeneratesTheDesignExample) {
  EXPECT_EQ(metadata_xml(sample()), kSampleXml);
}

TEST(Metadata, Indented) {
  const std::string xml = metadata_xml(sample(), 1);
  EXPECT_EQ(xml.substr(0, 23), "  <ptagent:passthrough ");
  EXPECT_NE(xml.find("\n    <ptagent:mdev "), std::string::npos);
}

TEST(Metadata, RoundTrip) {
  EXPECT_EQ(parse_metadata(metadata_xml(sample())), sample());
  PassthroughMetadata empty;
  EXPECT_EQ(parse_metadata(metadata_xml(empty)), empty);
}

TEST(Metadata, AnyPrefixAndDefaultNamespace) {
  // libvirt may store the element under another prefix; only the namespace URI counts.
  auto md = parse_metadata(wrap("<pt:pci address='0000:01:00.0'/>", "pt"));
  ASSERT_EQ(md.pci.size(), 1u);
  EXPECT_EQ(md.pci[0].address.to_string(), "0000:01:00.0");
  EXPECT_EQ(md.pci[0].group, GroupPolicy::device);  // defaults
  EXPECT_EQ(md.pci[0].bind, BindDriver::vfio_pci);
  md = parse_metadata(
      "<passthrough xmlns='urn:x-ptagent:passthrough:1'><mdev "
      "uuid='4B20D080-1B54-4048-85B3-A6A62D165C01' "
      "parent='0000:00:02.0' type='nvidia-63'/><!-- note --></passthrough>");
  ASSERT_EQ(md.mdevs.size(), 1u);
  EXPECT_EQ(md.mdevs[0].uuid.to_string(), "4b20d080-1b54-4048-85b3-a6a62d165c01");
  EXPECT_EQ(md.mdevs[0].type, "nvidia-63");
}

TEST(Metadata, LibvirtApiFormHasNoNamespace) {
  // What `virsh metadata DOMAIN urn:x-ptagent:passthrough:1` prints on libvirt 9.0.
  const std::string api =
      "<passthrough>\n  <mdev uuid=\"4b20d080-1b54-4048-85b3-a6a62d165c01\" "
      "parent=\"0000:00:02.0\" "
      "type=\"i915-GVTg_V5_4\"/>\n</passthrough>\n";
  auto md = parse_metadata(api, MetadataNamespace::implied);
  ASSERT_EQ(md.mdevs.size(), 1u);
  EXPECT_EQ(md.mdevs[0].type, "i915-GVTg_V5_4");
  expect_refused(api, "namespace");  // a domain document must say whose element it is
  // The implied form still refuses a foreign namespace.
  EXPECT_THROW(parse_metadata("<passthrough xmlns='urn:other'/>", MetadataNamespace::implied),
               Error);
  EXPECT_THROW(parse_metadata("<x:passthrough xmlns:x='urn:other'/>", MetadataNamespace::implied),
               Error);
  EXPECT_EQ(parse_metadata(kSampleXml, MetadataNamespace::implied), sample());
}

TEST(Metadata, NodeInsideADomain) {
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(
      "<domain><metadata xmlns:x='urn:x-ptagent:passthrough:1'><x:passthrough><x:pci "
      "address='0000:03:00.0' "
      "group='device'/></x:passthrough></metadata></domain>"));
  auto md = parse_metadata(doc.child("domain").child("metadata").first_child());
  ASSERT_EQ(md.pci.size(), 1u);
  EXPECT_EQ(md.pci[0].address.to_string(), "0000:03:00.0");
}

TEST(Metadata, RefusesBadDocuments) {
  const std::string mdev_ok = "uuid='4b20d080-1b54-4048-85b3-a6a62d165c01' parent='0000:00:02.0'";
  struct Case {
    std::string xml;
    const char* why;
  };
  const Case cases[] = {
      {"", "well-formed"},
      {"<ptagent:passthrough xmlns:ptagent='urn:other'/>", "namespace"},
      {"<ptagent:passthrough/>", "namespace"},
      {"<passthrough/>", "namespace"},
      {wrap("<ptagent:mdev " + mdev_ok + " type='../../bus/pci/drivers/x'/>"), "'/'"},
      {wrap("<ptagent:mdev " + mdev_ok + " type='a..b'/>"), "'..'"},
      {wrap("<ptagent:mdev " + mdev_ok + " type='.hidden'/>"), "starts or ends"},
      {wrap("<ptagent:mdev " + mdev_ok + " type=''/>"), "empty"},
      {wrap("<ptagent:mdev " + mdev_ok + " type='a b'/>"), "contains ' '"},
      {wrap("<ptagent:mdev " + mdev_ok + "/>"), "no type"},
      {wrap("<ptagent:mdev uuid='bad' parent='0000:00:02.0' type='t'/>"), "not a UUID"},
      {wrap(
           "<ptagent:mdev uuid='4b20d080-1b54-4048-85b3-a6a62d165c01' parent='00:02.0' type='t'/>"),
       "DDDD:BB:SS.F"},
      {wrap("<ptagent:mdev uuid='4b20d080-1b54-4048-85b3-a6a62d165c01' parent='0000:00:20.0' "
            "type='t'/>"),
       "DDDD:BB:SS.F"},
      {wrap("<ptagent:mdev " + mdev_ok + " type='t' extra='1'/>"), "unknown attribute 'extra'"},
      {wrap("<ptagent:mdev " + mdev_ok + " type='t'/><ptagent:mdev " + mdev_ok + " type='u'/>"),
       "listed twice"},
      {wrap("<ptagent:pci address='0000:01:00.0'/><ptagent:pci address='0000:01:00.0'/>"),
       "listed twice"},
      {wrap("<ptagent:pci address='0000:01:00.0' bind='nvidia'/>"), "bind 'nvidia'"},
      {wrap("<ptagent:pci address='0000:01:00.0' group='all'/>"), "device or whole"},
      {wrap("<ptagent:pci address='1:0.0'/>"), "DDDD:BB:SS.F"},
      {wrap("<ptagent:pci/>"), "no address"},
      {wrap("<ptagent:pci address='0000:01:00.0'>x</ptagent:pci>"), "must be empty"},
      {wrap("<ptagent:mdev " + mdev_ok + " type='t'/><ptagent:pci address='0000:00:02.0'/>"),
       "mdev parent"},
      {wrap("<ptagent:usb address='1'/>"), "unknown element"},
      {wrap("<other:pci xmlns:other='urn:x' address='0000:01:00.0'/>"), "unknown element"},
      {wrap("text"), "text"},
      {"<!DOCTYPE x [<!ENTITY a 'b'>]>" + wrap(""), "DTD"},
      {wrap("<ptagent:pci address='&x;'/>"), "not a PCI address"},
      {std::string(1u << 20, ' ') + wrap(""), "1 MiB"},
  };
  for (const auto& c : cases) expect_refused(c.xml, c.why);
}

TEST(Metadata, GenerationChecksToo) {
  PassthroughMetadata md = sample();
  md.mdevs[0].type = "../evil";
  EXPECT_THROW(metadata_xml(md), Error);
  md = sample();
  md.pci.push_back(md.pci[0]);
  EXPECT_THROW(metadata_xml(md), Error);
}

TEST(Metadata, MdevTypeNames) {
  for (const char* ok :
       {"i915-GVTg_V5_4", "nvidia-63", "mtty-2", "vfio_ap-passthrough", "a.b", "x:y"}) {
    EXPECT_EQ(parse_mdev_type(ok), ok);
  }
  for (const char* bad : {"", "a/b", "..", "a..b", ".", "a.", "ä", "a\nb", "a b"}) {
    EXPECT_THROW(parse_mdev_type(bad), Error) << bad;
  }
  EXPECT_THROW(parse_mdev_type(std::string(65, 'a')), Error);
  EXPECT_EQ(parse_group_policy("whole", "x"), GroupPolicy::whole);
  EXPECT_EQ(parse_group_policy("device", "x"), GroupPolicy::device);
  EXPECT_THROW(parse_group_policy("Whole", "x"), Error);
}

TEST(Metadata, SchemaAgreesWithTheParser) {
  auto ok = validate_xml(SchemaKind::metadata, metadata_xml(sample()));
  ASSERT_NE(ok.status, ValidationStatus::unavailable) << ok.summary();
  EXPECT_EQ(ok.status, ValidationStatus::valid) << ok.summary();
  for (const std::string& bad :
       {wrap("<ptagent:mdev uuid='4b20d080-1b54-4048-85b3-a6a62d165c01' parent='0000:00:02.0' "
             "type='a..b'/>"),
        wrap("<ptagent:mdev uuid='4b20d080-1b54-4048-85b3-a6a62d165c01' parent='0000:00:02.0' "
             "type='a/b'/>"),
        wrap("<ptagent:mdev uuid='nope' parent='0000:00:02.0' type='t'/>"),
        wrap("<ptagent:pci address='0000:00:20.0'/>"),
        wrap("<ptagent:pci address='0000:01:00.0' group='all'/>"),
        wrap("<ptagent:pci address='0000:01:00.0' bind='nvidia'/>"), wrap("<ptagent:usb/>"),
        std::string("<ptagent:passthrough xmlns:ptagent='urn:other'/>")}) {
    EXPECT_EQ(validate_xml(SchemaKind::metadata, bad).status, ValidationStatus::invalid) << bad;
    EXPECT_THROW(parse_metadata(bad), Error) << bad;
  }
}

// An mdev parent is whatever /sys/class/mdev_bus lists: PCI devices by address, and the rest by
// name (the kernel's mtty sample, s390 vfio-ap's matrix and vfio-ccw subchannels).
TEST(Metadata, MdevParentsThatAreNotPciDevices) {
  for (const char* ok : {"mtty", "matrix", "0.0.0313", "mdpy", "0000:00:02.0", "dev_1-x"}) {
    EXPECT_EQ(parse_mdev_parent(ok), ok);
    const std::string xml =
        wrap(std::string("<ptagent:mdev uuid='4b20d080-1b54-4048-85b3-a6a62d165c01' parent='") +
             ok + "' type='mtty-2'/>");
    const PassthroughMetadata md = parse_metadata(xml);
    ASSERT_EQ(md.mdevs.size(), 1u);
    EXPECT_EQ(md.mdevs[0].parent, ok);
    EXPECT_EQ(parse_metadata(metadata_xml(md)), md);
    const auto v = validate_xml(SchemaKind::metadata, metadata_xml(md));
    ASSERT_NE(v.status, ValidationStatus::unavailable) << v.summary();
    EXPECT_EQ(v.status, ValidationStatus::valid) << ok << ": " << v.summary();
  }
  // Names go into sysfs paths: only safe ones.
  for (const char* bad : {"", "a/b", "..", "../x", ".hidden", "a b", "m\ntty", "mt$y"}) {
    EXPECT_THROW(parse_mdev_parent(bad), Error) << bad;
  }
  EXPECT_THROW(parse_mdev_parent(std::string(129, 'a')), Error);
  // PCI parents keep their one written form; any form where the user types it (gen-xml).
  for (const char* pci : {"00:02.0", "0000:00:20.0", "0:0:2.0"}) {
    try {
      parse_mdev_parent(pci);
      ADD_FAILURE() << pci;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("DDDD:BB:SS.F"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(parse_mdev_parent("00:02.0", ParentForm::any_pci_form), "0000:00:02.0");
  EXPECT_EQ(parse_mdev_parent("pci_0000_00_02_0", ParentForm::any_pci_form), "0000:00:02.0");
  EXPECT_EQ(parse_mdev_parent("mtty", ParentForm::any_pci_form), "mtty");
  EXPECT_THROW(parse_mdev_parent("00:20.0", ParentForm::any_pci_form), Error);
  expect_refused(
      wrap("<ptagent:mdev uuid='4b20d080-1b54-4048-85b3-a6a62d165c01' parent='a/b' type='t'/>"),
      "mdev parent");
  EXPECT_EQ(
      validate_xml(
          SchemaKind::metadata,
          wrap("<ptagent:mdev uuid='4b20d080-1b54-4048-85b3-a6a62d165c01' parent='a/b' type='t'/>"))
          .status,
      ValidationStatus::invalid);
  // A named parent and a PCI device to bind do not clash.
  PassthroughMetadata md;
  md.mdevs.push_back({parse_uuid("4b20d080-1b54-4048-85b3-a6a62d165c01"), "mtty", "mtty-1"});
  md.pci.push_back({parse_pci_address("0000:42:00.0"), BindDriver::vfio_pci, GroupPolicy::device});
  EXPECT_NO_THROW(check_metadata(md));
}

TEST(Metadata, AcceptedFindingsRoundTripAndAreValidated) {
  PassthroughMetadata md = sample();
  md.accept.push_back({parse_pci_address("0000:42:00.0"), "framebuffer-in-bar"});
  const std::string xml = metadata_xml(md);
  EXPECT_NE(xml.find("<ptagent:accept address=\"0000:42:00.0\" finding=\"framebuffer-in-bar\"/>"),
            std::string::npos)
      << xml;
  EXPECT_EQ(parse_metadata(xml), md);
  EXPECT_TRUE(md.accepts(parse_pci_address("0000:42:00.0"), "framebuffer-in-bar"));
  EXPECT_FALSE(md.accepts(parse_pci_address("0000:42:00.1"), "framebuffer-in-bar"));
  EXPECT_FALSE(md.accepts(parse_pci_address("0000:42:00.0"), "d3cold-while-idle"));
  EXPECT_EQ(validate_xml(SchemaKind::metadata, xml).status, ValidationStatus::valid);
  for (const std::string& bad :
       {wrap("<ptagent:accept address='0000:01:00.0' finding='Not_A_Code'/>"),
        wrap("<ptagent:accept address='0000:01:00.0'/>"),
        wrap("<ptagent:accept finding='rom-absent'/>"),
        wrap("<ptagent:accept address='0000:01:00.0' finding=''/>"),
        wrap("<ptagent:accept address='0000:01:00.0' finding='rom-absent' why='x'/>"),
        wrap("<ptagent:accept address='0000:01:00.0' finding='rom-absent'>x</ptagent:accept>")}) {
    EXPECT_EQ(validate_xml(SchemaKind::metadata, bad).status, ValidationStatus::invalid) << bad;
    EXPECT_THROW(parse_metadata(bad), Error) << bad;
  }
  expect_refused(wrap("<ptagent:accept address='0000:01:00.0' finding='a b'/>"), "finding code");
}
