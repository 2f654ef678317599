// ptagent's own RelaxNG schemas, built into the binaries from xml/*.rng (CMake writes
// embedded_schemas.cpp from embedded_schemas.cpp.in), so that validation does not depend on where
// a binary was installed or copied to.
#pragma once

#include <string_view>

namespace ptagent {

extern const std::string_view kMetadataRng;  // xml/ptagent-metadata.rng
extern const std::string_view kHostdevRng;   // xml/hostdev.rng

}  // namespace ptagent
