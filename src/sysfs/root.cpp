#include "sysfs/root.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "error.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/parse.hpp"
#include "util/fd.hpp"
#include "util/path_text.hpp"

namespace ptagent {

namespace {

std::string relative_part(std::string_view abs) {
  while (!abs.empty() && abs.front() == '/') abs.remove_prefix(1);
  return abs.empty() ? std::string(".") : std::string(abs);
}

int sys_openat2(int dirfd, const std::string& path, int flags, unsigned mode) {
  open_how how{};
  how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  for (;;) {
    long fd = syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    if (errno == EINTR || errno == EAGAIN) continue;
    return -errno;
  }
}

bool has_embedded_nul(std::string_view s) {
  return s.find('\0') != std::string_view::npos;
}

}  // namespace

Root::Root(std::string base) : base_(std::move(base)) {
  if (base_.empty()) base_ = "/";
  // Canonical and absolute, so that resolved paths can be compared with it.
  if (char* real = ::realpath(base_.c_str(), nullptr)) {
    base_ = real;
    std::free(real);
  }
  while (base_.size() > 1 && base_.back() == '/') base_.pop_back();
  dirfd_ = ::open(base_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd_ < 0) {
    throw_usage(mention(Input::host_root) + " " + base_,
                std::string("cannot open the host root: ") + std::strerror(errno),
                "give a directory that mirrors a host (with sys/ and proc/)" +
                    where_spelled(Input::host_root, ", or omit " + mention(Input::host_root)));
  }
}

Root::~Root() {
  if (dirfd_ >= 0) ::close(dirfd_);
}

Root::Root(Root&& other) noexcept
    : base_(std::move(other.base_)), dirfd_(std::exchange(other.dirfd_, -1)) {}

Root& Root::operator=(Root&& other) noexcept {
  if (this != &other) {
    if (dirfd_ >= 0) ::close(dirfd_);
    base_ = std::move(other.base_);
    dirfd_ = std::exchange(other.dirfd_, -1);
  }
  return *this;
}

std::string Root::host_path(std::string_view abs) const {
  if (is_system_root()) return std::string(abs);
  std::string out = base_;
  if (abs.empty() || abs.front() != '/') out += '/';
  out += abs;
  return out;
}

int Root::open_path(std::string_view abs, int flags) const {
  if (has_embedded_nul(abs)) return -EINVAL;
  return sys_openat2(dirfd_, relative_part(abs), flags, 0);
}

int Root::open_in_root(std::string_view abs, int flags, unsigned mode) const {
  if (has_embedded_nul(abs)) return -EINVAL;
  return sys_openat2(dirfd_, relative_part(abs), flags | O_NOFOLLOW, mode);
}

int Root::make_dir(std::string_view abs, unsigned mode) const {
  if (has_embedded_nul(abs)) return EINVAL;
  const std::string name = base_name(abs);
  if (name.empty() || name == "." || name == "..") return EINVAL;
  Fd dir(open_path(parent_dir(abs), O_RDONLY | O_DIRECTORY));
  if (!dir.ok()) return -dir.get();
  return ::mkdirat(dir.get(), name.c_str(), static_cast<mode_t>(mode)) == 0 ? 0 : errno;
}

int Root::make_dirs(std::string_view abs, unsigned mode) const {
  if (abs.empty() || abs == "/" || is_dir(abs)) return 0;
  if (const int err = make_dirs(parent_dir(abs), mode)) return err;
  const int err = make_dir(abs, mode);
  if (err == EEXIST) return is_dir(abs) ? 0 : ENOTDIR;
  return err;
}

std::optional<std::string> Root::read(std::string_view abs, std::size_t max_bytes) const {
  Fd f(open_path(abs, O_RDONLY));
  if (f.get() < 0) return std::nullopt;
  std::string out;
  char buf[8192];
  while (out.size() < max_bytes) {
    ssize_t n = ::read(f.get(), buf, std::min(sizeof buf, max_bytes - out.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

std::optional<std::string> Root::read_value(std::string_view abs) const {
  auto s = read(abs, 1u << 20);
  if (!s) return s;
  const char* ws = " \t\r\n";
  auto b = s->find_first_not_of(ws);
  if (b == std::string::npos) return std::string();
  auto e = s->find_last_not_of(ws);
  return s->substr(b, e - b + 1);
}

std::optional<std::string> Root::read_link(std::string_view abs) const {
  if (has_embedded_nul(abs)) return std::nullopt;
  std::string rel = relative_part(abs);
  auto slash = rel.rfind('/');
  std::string dir = slash == std::string::npos ? "." : rel.substr(0, slash);
  std::string name = slash == std::string::npos ? rel : rel.substr(slash + 1);
  Fd d(sys_openat2(dirfd_, dir, O_PATH | O_DIRECTORY, 0));
  if (d.get() < 0) return std::nullopt;
  char buf[4096];
  ssize_t n = ::readlinkat(d.get(), name.c_str(), buf, sizeof buf - 1);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<std::size_t>(n));
}

std::optional<std::string> Root::link_name(std::string_view name) const {
  auto t = read_link(name);
  if (!t) return t;
  return link_target_name(*t);
}

std::optional<std::string> Root::resolve(std::string_view abs) const {
  Fd f(open_path(abs, O_PATH));
  if (f.get() < 0) return std::nullopt;
  return path_of(f.get());
}

std::optional<std::string> Root::path_of(int fd) const {
  char buf[4096];
  const std::string proc = proc_self_fd(fd);
  ssize_t n = ::readlink(proc.c_str(), buf, sizeof buf - 1);
  if (n < 0) return std::nullopt;
  std::string real(buf, static_cast<std::size_t>(n));
  if (is_system_root()) return real;
  if (real == base_) return std::string("/");
  if (real.size() > base_.size() && real.compare(0, base_.size(), base_) == 0 &&
      real[base_.size()] == '/') {
    return real.substr(base_.size());
  }
  return std::nullopt;  // openat2 keeps us inside; this only guards a renamed base
}

std::vector<std::string> Root::list(std::string_view abs) const {
  std::vector<std::string> out;
  int fd = open_path(abs, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return out;
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    ::close(fd);
    return out;
  }
  while (dirent* e = ::readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    out.emplace_back(e->d_name);
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end());
  return out;
}

bool Root::exists(std::string_view abs) const {
  Fd f(open_path(abs, O_PATH));
  return f.get() >= 0;
}

bool Root::is_dir(std::string_view abs) const {
  Fd f(open_path(abs, O_PATH | O_DIRECTORY));
  return f.get() >= 0;
}

bool Root::is_symlink(std::string_view abs) const {
  return read_link(abs).has_value();
}

}  // namespace ptagent
