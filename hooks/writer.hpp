// The sysfs writer the hook writes through. The installed hook links hooks/writer.cpp (the
// kernel's sysfs); the test build ptagent-hook-sim links tests/support/hook_sim_writer.cpp (the
// kernel double on a simulated host) instead, so no test code is compiled into the real hook.
#pragma once

#include <memory>

#include "hooks/config.hpp"
#include "sysfs/sysfs_writer.hpp"

namespace ptagent {
class Root;
}

namespace ptagent::hook {

std::unique_ptr<SysfsWriter> make_writer(const Root& root, const HookConfig& config);

}  // namespace ptagent::hook
