// Bounded polling for sysfs to catch up with a write (VFs appearing, an mdev going away): never an
// unbounded wait, so a stuck driver gives an error instead of a hang.
#pragma once

#include <chrono>
#include <functional>

namespace ptagent {

struct WaitLimits {
  std::chrono::milliseconds timeout{5000};
  std::chrono::milliseconds poll{50};
};

// Calls done() until it returns true or the timeout passes; returns the last answer. done() is
// always called at least once and once more after the deadline.
bool wait_until(const WaitLimits& limits, const std::function<bool()>& done);

}  // namespace ptagent
