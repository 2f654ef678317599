// ptagent-hook-sim's writer (see hooks/writer.hpp): the kernel's sysfs semantics emulated on a
// simulated host. The double itself dies at PTAGENT_DOUBLE_KILL_AT_WRITE=N; this dies at the N-th
// step of writing the journal (crash-consistency tests).
#include <csignal>
#include <cstdlib>

#include "hooks/writer.hpp"
#include "ops/journal.hpp"
#include "support/kernel_double.hpp"
#include "sysfs/root.hpp"

namespace ptagent::hook {

std::unique_ptr<SysfsWriter> make_writer(const Root& root, const HookConfig&) {
  return std::make_unique<testing::KernelDouble>(root);
}

JournalFault make_journal_fault(const Root&) {
  const char* at = std::getenv("PTAGENT_SIM_KILL_AT_JOURNAL_STEP");
  if (!at || !*at) return {};
  const long n = std::strtol(at, nullptr, 10);
  auto seen = std::make_shared<long>(0);  // the seam calls copies of the function
  return [n, seen](JournalStep) {
    if (++*seen == n) std::raise(SIGKILL);
    return 0;
  };
}

}  // namespace ptagent::hook
