// Reading a whole file of the build machine (a file of a TempHost copy: host.real(PATH)) as the
// bytes it holds, so that a test can compare what was written with what it expects.
#pragma once

#include <string>

namespace ptagent::testing {

// The file's contents; "" if it cannot be opened.
std::string slurp(const std::string& path);

}  // namespace ptagent::testing
