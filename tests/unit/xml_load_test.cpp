#include <gtest/gtest.h>

#include "error.hpp"
#include "xml/load.hpp"

using namespace ptagent;

namespace {

const UntrustedXml kHow{"test XML", 1u << 20, ", which libvirt never writes"};

std::string refusal(std::string_view xml, const UntrustedXml& how = kHow) {
  pugi::xml_document doc;
  try {
    load_untrusted_xml(doc, xml, how);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_EQ(e.object(), "test XML");
    return e.cause();
  }
  return "";
}

TEST(XmlLoad, LoadsWellFormedXml) {
  pugi::xml_document doc;
  load_untrusted_xml(doc, "<a><!-- c --><b x='1'/></a>", kHow);
  EXPECT_STREQ(doc.child("a").child("b").attribute("x").value(), "1");
  EXPECT_FALSE(doc.child("a").first_child().type() == pugi::node_comment);
  UntrustedXml comments = kHow;
  comments.keep_comments = true;
  load_untrusted_xml(doc, "<a><!-- c --><b/></a>", comments);
  EXPECT_EQ(doc.child("a").first_child().type(), pugi::node_comment);
}

TEST(XmlLoad, RefusesDtdsEntitiesAndBadXml) {
  EXPECT_EQ(refusal("<!DOCTYPE a><a/>"),
            "contains a DTD or entity declarations, which libvirt never writes");
  EXPECT_NE(refusal("<!ENTITY x 'y'><a/>").find("entity"), std::string::npos);
  EXPECT_NE(refusal("<a>").find("is not well-formed XML"), std::string::npos);
}

TEST(XmlLoad, RefusesLargeInput) {
  const std::string big(2u << 20, ' ');
  EXPECT_EQ(refusal(big), "is larger than 1 MiB");
}

}  // namespace
