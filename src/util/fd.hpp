// Fd: owns one file descriptor and closes it when it goes.
#pragma once

#include <utility>

namespace ptagent {

class Fd {
 public:
  // fd may be negative (nothing owned): callers keep -errno results in it and test ok().
  explicit Fd(int fd = -1) noexcept : fd_(fd) {}
  ~Fd();
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept;

  int get() const noexcept { return fd_; }
  bool ok() const noexcept { return fd_ >= 0; }
  // Gives the descriptor up without closing it.
  int release() noexcept { return std::exchange(fd_, -1); }
  // Closes now; 0 or the errno of close(2) (then nothing is owned either way).
  int close() noexcept;

 private:
  int fd_;
};

}  // namespace ptagent
