#include "util/file_lock.hpp"

#include <sys/file.h>

#include <cerrno>

namespace ptagent {

int lock_fd(int fd, LockMode mode) {
  const int operation = mode == LockMode::exclusive ? LOCK_EX : LOCK_SH;
  while (::flock(fd, operation) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

}  // namespace ptagent
