#include "xml/load.hpp"

#include "error.hpp"

namespace ptagent {

void load_untrusted_xml(pugi::xml_document& doc, std::string_view xml, const UntrustedXml& how) {
  if (xml.size() > how.max_bytes) {
    throw_usage(how.object, "is larger than " + std::to_string(how.max_bytes >> 20) + " MiB");
  }
  if (xml.find("<!DOCTYPE") != std::string_view::npos ||
      xml.find("<!ENTITY") != std::string_view::npos) {
    throw_usage(how.object, "contains a DTD or entity declarations" + how.dtd_note);
  }
  unsigned options = pugi::parse_default & ~pugi::parse_doctype;
  if (how.keep_comments) options |= pugi::parse_comments;
  const pugi::xml_parse_result res = doc.load_buffer(xml.data(), xml.size(), options);
  if (!res) throw_usage(how.object, std::string("is not well-formed XML: ") + res.description());
}

}  // namespace ptagent
