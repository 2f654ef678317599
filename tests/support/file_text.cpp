#include "support/file_text.hpp"

#include <fstream>
#include <sstream>

namespace ptagent::testing {

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace ptagent::testing
