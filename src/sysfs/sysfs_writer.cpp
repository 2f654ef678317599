#include "sysfs/sysfs_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <system_error>

#include "sysfs/root.hpp"
#include "util/bounded_call.hpp"

namespace ptagent {

namespace {

// One write(2) of the whole value, then close; 0 or the errno.
int write_and_close(int fd, const std::string& value) {
  int result = 0;
  for (;;) {
    ssize_t n = ::write(fd, value.data(), value.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result = errno;
    } else if (static_cast<std::size_t>(n) != value.size()) {
      result = EIO;  // sysfs takes a value in one write or not at all
    }
    break;
  }
  // close() can report an error of its own; the write's errno wins.
  if (::close(fd) != 0 && result == 0 && errno != EINTR) result = errno;
  return result;
}

}  // namespace

RealSysfsWriter::RealSysfsWriter(const Root& root, std::chrono::milliseconds timeout)
    : root_(root), timeout_(timeout) {}

int RealSysfsWriter::write(const std::string& path, std::string_view value) {
  // Opening a sysfs attribute does not block; only the store handler behind write(2) can.
  const int fd = root_.open_in_root(path, O_WRONLY);
  if (fd < 0) return -fd;

  std::optional<int> result;
  try {
    result = call_with_timeout<int>([fd, v = std::string(value)] { return write_and_close(fd, v); },
                                    timeout_);
  } catch (const std::system_error&) {
    ::close(fd);
    return EAGAIN;
  }
  // A store handler stuck in the kernel: its thread goes on alone, and the fd stays open (leaks)
  // until the write returns, if it ever does.
  return result ? *result : ETIMEDOUT;
}

}  // namespace ptagent
