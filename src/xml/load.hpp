// The one way ptagent loads XML it did not write (domain XML, node devices, metadata): bounded in
// size, no DTD or entity declarations, no entity expansion beyond the predefined ones (pugixml
// never loads external resources).
#pragma once

#include <cstddef>
#include <pugixml.hpp>
#include <string>
#include <string_view>

namespace ptagent {

struct UntrustedXml {
  std::string object;     // names the input in errors: "domain XML"
  std::size_t max_bytes;  // a whole number of MiB
  // Appended to the DTD refusal: ", which libvirt never writes" for what libvirt produced.
  std::string dtd_note;
  bool keep_comments = false;
};

// Parses xml into doc. Throws Error(usage) on `how.object`: larger than max_bytes, a DTD or an
// entity declaration, or not well-formed.
void load_untrusted_xml(pugi::xml_document& doc, std::string_view xml, const UntrustedXml& how);

}  // namespace ptagent
