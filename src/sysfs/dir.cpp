#include "sysfs/dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "sysfs/parse.hpp"
#include "sysfs/root.hpp"

namespace ptagent {

namespace {

// A single component: no '/', not "." or "..", no NUL.
bool plain_entry(std::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find_first_of(std::string_view("/\0", 2)) == std::string_view::npos;
}

}  // namespace

std::optional<SysDir> SysDir::open(const Root& root, std::string_view abs) {
  const int fd = root.open_path(abs, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return std::nullopt;
  auto real = root.path_of(fd);
  if (!real) {
    ::close(fd);
    return std::nullopt;
  }
  return SysDir(root, std::string(abs), fd, std::move(*real));
}

std::optional<SysDir> SysDir::open_dir(std::string_view name) const {
  if (!plain_entry(name)) return std::nullopt;
  const int fd =
      ::openat(fd_, std::string(name).c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  // A real directory entry of a directory whose canonical path is known: no /proc lookup needed.
  std::string real = real_ == "/" ? "/" + std::string(name) : real_ + "/" + std::string(name);
  std::string abs = real;
  return SysDir(*root_, std::move(abs), fd, std::move(real));
}

SysDir::SysDir(const Root& root, std::string abs, int fd, std::string real)
    : root_(&root), abs_(std::move(abs)), fd_(fd), real_(std::move(real)) {}

SysDir::~SysDir() {
  if (fd_ >= 0) ::close(fd_);
}

SysDir::SysDir(SysDir&& other) noexcept
    : root_(other.root_),
      abs_(std::move(other.abs_)),
      fd_(std::exchange(other.fd_, -1)),
      real_(std::move(other.real_)) {}

std::string SysDir::through_root(std::string_view name) const {
  return abs_ + "/" + std::string(name);
}

std::vector<std::string> SysDir::names() const {
  return root_->list(abs_);
}

std::optional<SysDir::Kind> SysDir::kind(std::string_view name) const {
  if (!plain_entry(name)) return std::nullopt;
  struct stat st {};
  if (::fstatat(fd_, std::string(name).c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
  if (S_ISREG(st.st_mode)) return Kind::file;
  if (S_ISDIR(st.st_mode)) return Kind::dir;
  if (S_ISLNK(st.st_mode)) return Kind::link;
  return Kind::other;
}

bool SysDir::has_dir(std::string_view name) const {
  auto k = kind(name);
  if (k == Kind::dir) return true;
  return k == Kind::link && root_->is_dir(through_root(name));
}

std::optional<std::string> SysDir::read(std::string_view name, std::size_t max_bytes) const {
  if (!plain_entry(name)) return std::nullopt;
  const std::string n(name);
  const int fd = ::openat(fd_, n.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    // A symlink (never one for a real sysfs attribute) is followed through the Root.
    if (errno == ELOOP) return root_->read(through_root(name), max_bytes);
    return std::nullopt;
  }
  std::string out;
  // sysfs gives an attribute whole in one read; a short read ends the loop without a second
  // read(2) to see EOF. O_NONBLOCK: a FIFO planted in a simulated tree cannot hang the read.
  std::size_t want = std::min<std::size_t>(max_bytes, 4096);
  bool ok = true;
  while (ok) {
    const std::size_t at = out.size();
    out.resize(at + want);
    const ssize_t got = ::read(fd, out.data() + at, want);
    if (got < 0 && errno == EINTR) {
      out.resize(at);
      continue;
    }
    if (got < 0) {
      ok = false;
      break;
    }
    out.resize(at + static_cast<std::size_t>(got));
    if (static_cast<std::size_t>(got) < want || out.size() >= max_bytes) break;
    want = std::min<std::size_t>(max_bytes - out.size(), 65536);
  }
  ::close(fd);
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::string> SysDir::read_link(std::string_view name) const {
  if (!plain_entry(name)) return std::nullopt;
  char buf[4096];
  const ssize_t n = ::readlinkat(fd_, std::string(name).c_str(), buf, sizeof buf - 1);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<std::size_t>(n));
}

std::optional<std::string> SysDir::link_name(std::string_view name) const {
  auto t = read_link(name);
  if (!t) return t;
  return link_target_name(*t);
}

}  // namespace ptagent
