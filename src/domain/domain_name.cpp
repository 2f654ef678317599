#include "domain/domain_name.hpp"

namespace ptagent::domain {

std::string printable_name(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, 200)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '\'' || c == '"' || c == '\\') {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  if (name.size() > 200) out += "…";
  return out;
}

}  // namespace ptagent::domain
