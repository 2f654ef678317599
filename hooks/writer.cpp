#include "hooks/writer.hpp"

namespace ptagent::hook {

std::unique_ptr<SysfsWriter> make_writer(const Root& root, const HookConfig& config) {
  return std::make_unique<RealSysfsWriter>(root, config.write_timeout);
}

JournalFault make_journal_fault(const Root&) {
  return {};
}

}  // namespace ptagent::hook
