// The sysfs writer the hook writes through, and its journal's fault seam. The installed hook links
// hooks/writer.cpp (the kernel's sysfs); the test build ptagent-hook-sim links
// tests/support/hook_sim_writer.cpp (the kernel double on a simulated host) instead, so no test
// code is compiled into the real hook.
#pragma once

#include <memory>

#include "ops/hook_config.hpp"
#include "ops/journal.hpp"
#include "sysfs/sysfs_writer.hpp"

namespace ptagent {
class Root;
}

namespace ptagent::hook {

std::unique_ptr<SysfsWriter> make_writer(const Root& root, const HookConfig& config);
// Empty in the installed hook; the test build's kills the hook at a journal step.
JournalFault make_journal_fault(const Root& root);

}  // namespace ptagent::hook
