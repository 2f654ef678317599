// Advisory whole-file locks (flock(2)) on lock files: held until the descriptor is closed.
#pragma once

namespace ptagent {

enum class LockMode { shared, exclusive };

// Waits for the lock on fd, retrying when a signal interrupts the wait. 0 or flock's errno.
int lock_fd(int fd, LockMode mode);

}  // namespace ptagent
