#include "ops/wait.hpp"

#include <algorithm>
#include <thread>

namespace ptagent {

bool wait_until(const WaitLimits& limits, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + limits.timeout;
  for (;;) {
    if (done()) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    std::this_thread::sleep_for(std::min(limits.poll, left));
  }
}

}  // namespace ptagent
