// Built only by the test layers_upward_include_fails: a sysfs-layer file that includes a header of
// the ops layer above it. It must not compile (the sysfs layer cannot see ops/).
#include "ops/journal.hpp"
