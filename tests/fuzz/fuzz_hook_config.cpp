// /etc/ptagent/ptagent.conf as the hook reads it: bad lines become problems, never a crash, and
// the bounds the hook relies on (positive timeouts, an absolute log path) always hold.
#include "fuzz_check.hpp"
#include "ops/hook_config.hpp"

using namespace ptagent;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const HookConfig c = parse_hook_config(fuzz_text(data, size));
  for (auto ms : {c.deadline, c.write_timeout, c.busy_retry}) {
    FUZZ_CHECK(ms.count() > 0 && ms.count() <= 600000, std::to_string(ms.count()) + " ms");
  }
  FUZZ_CHECK(c.log_file.empty() || c.log_file.front() == '/', c.log_file);
  for (const auto& p : c.problems) FUZZ_CHECK(p.line > 0 && !p.text.empty(), p.text);
  return 0;
}
