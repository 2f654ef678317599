#include "xml/pretty.hpp"

#include <gtest/gtest.h>

#include <pugixml.hpp>

using namespace ptagent;

TEST(Pretty, LibvirtLayoutSingleQuotes) {
  pugi::xml_document doc;
  doc.load_string(
      "<a x=\"1\" y='it&apos;s &lt;&amp;&gt; \"q\"'><b/><c><d k='v'/></c><e>text &amp; "
      "more</e></a>");
  EXPECT_EQ(format_xml(doc.document_element()),
            "<a x='1' y='it&apos;s &lt;&amp;&gt; &quot;q&quot;'>\n"
            "  <b/>\n"
            "  <c>\n"
            "    <d k='v'/>\n"
            "  </c>\n"
            "  <e>text &amp; more</e>\n"
            "</a>\n");
}

TEST(Pretty, DoubleQuotesAndDepth) {
  pugi::xml_document doc;
  doc.load_string("<p:a xmlns:p='urn:x'><p:b u='1'/><!-- dropped --></p:a>",
                  pugi::parse_default | pugi::parse_comments);
  EXPECT_EQ(format_xml(doc.document_element(), Quotes::double_, 1),
            "  <p:a xmlns:p=\"urn:x\">\n"
            "    <p:b u=\"1\"/>\n"
            "  </p:a>\n");
}

TEST(Pretty, Escape) {
  EXPECT_EQ(xml_escape("a&b<c>d'e\"f"), "a&amp;b&lt;c&gt;d&apos;e&quot;f");
  EXPECT_EQ(xml_escape(""), "");
}
