#include "sysfs/sysfs_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

#include "sysfs/root.hpp"

namespace ptagent {

namespace {

// Shared between the caller and the worker; the worker may outlive the call when it times out.
struct PendingWrite {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  int result = 0;
  int fd = -1;
  std::string value;
};

void run_write(const std::shared_ptr<PendingWrite>& w) {
  int result = 0;
  for (;;) {
    ssize_t n = ::write(w->fd, w->value.data(), w->value.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result = errno;
    } else if (static_cast<std::size_t>(n) != w->value.size()) {
      result = EIO;  // sysfs takes a value in one write or not at all
    }
    break;
  }
  // close() can report an error of its own; the write's errno wins.
  if (::close(w->fd) != 0 && result == 0 && errno != EINTR) result = errno;
  std::lock_guard<std::mutex> lock(w->mutex);
  w->result = result;
  w->done = true;
  w->done_cv.notify_all();
}

}  // namespace

RealSysfsWriter::RealSysfsWriter(const Root& root, std::chrono::milliseconds timeout)
    : root_(root), timeout_(timeout) {}

int RealSysfsWriter::write(const std::string& path, std::string_view value) {
  // Opening a sysfs attribute does not block; only the store handler behind write(2) can.
  const int fd = root_.open_in_root(path, O_WRONLY);
  if (fd < 0) return -fd;

  auto w = std::make_shared<PendingWrite>();
  w->fd = fd;
  w->value.assign(value);
  std::thread worker;
  try {
    worker = std::thread(run_write, w);
  } catch (const std::system_error&) {
    ::close(fd);
    return EAGAIN;
  }

  std::unique_lock<std::mutex> lock(w->mutex);
  if (w->done_cv.wait_for(lock, timeout_, [&] { return w->done; })) {
    lock.unlock();
    worker.join();
    return w->result;
  }
  // The store handler is stuck in the kernel. The detached thread keeps the shared state alive;
  // its fd stays open (leaks) until the write returns, if it ever does.
  lock.unlock();
  worker.detach();
  return ETIMEDOUT;
}

}  // namespace ptagent
