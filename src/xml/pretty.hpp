// Serializing a pugixml tree the way libvirt prints XML: two-space indent, no XML declaration,
// "/>" on empty elements, attributes in the quotes libvirt uses for that part of the document.
#pragma once

#include <string>
#include <string_view>

namespace pugi {
class xml_node;
}

namespace ptagent {

enum class Quotes {
  single,   // libvirt's own elements: <address domain='0x0000' .../>
  double_,  // metadata, which libvirt prints through libxml2: <ptagent:mdev uuid="..."/>
};

// The element and its subtree, every line indented by `depth` levels, ending with a newline.
// Elements hold either child elements or text; comments and processing instructions are dropped.
std::string format_xml(const pugi::xml_node& element, Quotes quotes = Quotes::single,
                       int depth = 0);

// Escapes &, <, >, ' and " as libvirt does, for attribute values and text.
std::string xml_escape(std::string_view text);

}  // namespace ptagent
