#include "xml/pretty.hpp"

#include <pugixml.hpp>

namespace ptagent {

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string format_xml(const pugi::xml_node& element, Quotes quotes, int depth) {
  const char q = quotes == Quotes::single ? '\'' : '"';
  const std::string indent(static_cast<std::size_t>(depth) * 2, ' ');
  std::string out = indent + "<" + element.name();
  for (const pugi::xml_attribute& a : element.attributes()) {
    out += ' ';
    out += a.name();
    out += '=';
    out += q;
    out += xml_escape(a.value());
    out += q;
  }
  std::string text;
  bool has_elements = false;
  for (const pugi::xml_node& child : element.children()) {
    if (child.type() == pugi::node_element) has_elements = true;
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata)
      text += child.value();
  }
  if (has_elements) {
    out += ">\n";
    for (const pugi::xml_node& child : element.children()) {
      if (child.type() == pugi::node_element) out += format_xml(child, quotes, depth + 1);
    }
    out += indent + "</" + element.name() + ">\n";
  } else if (!text.empty()) {
    out += ">" + xml_escape(text) + "</" + element.name() + ">\n";
  } else {
    out += "/>\n";
  }
  return out;
}

}  // namespace ptagent
