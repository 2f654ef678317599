#include "setup/etc_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "error.hpp"
#include "sysfs/root.hpp"

namespace ptagent {

namespace {

std::string parent_of(std::string_view abs) {
  const auto slash = abs.rfind('/');
  return slash == 0 || slash == std::string_view::npos ? std::string("/")
                                                       : std::string(abs.substr(0, slash));
}

std::string name_of(std::string_view abs) {
  return std::string(abs.substr(abs.rfind('/') + 1));
}

[[noreturn]] void fail(const std::string& object, const std::string& what, int err) {
  throw_failed(object, what + ": " + std::strerror(err),
               "run as root on a writable /etc (is the file system read-only, or is a file in "
               "the way of a directory?); nothing was changed",
               err);
}

// The host path of a directory with every symlink resolved inside the root, creating the
// missing components. A link whose target does not exist yet (an absolute link to a directory of
// the build machine) is followed inside the root too, never out of it.
std::string host_dir(const Root& root, const std::string& dir, int depth) {
  if (depth > 40) fail(root.host_path(dir), "cannot be resolved", ELOOP);
  if (auto resolved = root.resolve(dir)) {
    if (!root.is_dir(*resolved)) fail(root.host_path(dir), "is not a directory", ENOTDIR);
    return *resolved;
  }
  const std::string up = dir == "/" ? "/" : host_dir(root, parent_of(dir), depth + 1);
  const std::string here = (up == "/" ? "" : up) + "/" + name_of(dir);
  if (auto target = root.read_link(here)) {
    const std::filesystem::path t(*target);
    const std::string next =
        (t.is_absolute() ? t : std::filesystem::path(up) / t).lexically_normal().string();
    return host_dir(root, next.empty() ? "/" : next, depth + 1);
  }
  const std::string real = root.host_path(here);
  if (::mkdir(real.c_str(), 0755) != 0 && errno != EEXIST) {
    fail(root.host_path(dir), "cannot create the directory", errno);
  }
  return here;
}

// The build machine's path of a host directory (see host_dir).
std::string real_dir(const Root& root, const std::string& dir) {
  return root.host_path(host_dir(root, dir, 0));
}

void fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

void ensure_writable_dir_for(const Root& root, std::string_view abs) {
  const std::string dir = real_dir(root, parent_of(abs));
  const std::string probe = dir + "/.ptagent-probe";
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      ::unlink(probe.c_str());
      return;
    }
    fail(dir, "cannot write in the directory", errno);
  }
  ::close(fd);
  ::unlink(probe.c_str());
}

void write_file_atomic(const Root& root, std::string_view abs, const std::string& content) {
  const std::string dir = real_dir(root, parent_of(abs));
  const std::string target = dir + "/" + name_of(abs);
  mode_t mode = 0644;
  struct stat st;
  if (::lstat(target.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode)) {
      throw_refused(root.host_path(abs), "is a symbolic link; ptagent does not write through it",
                    "edit the file it points to by hand, or replace the link with a file");
    }
    mode = st.st_mode & 07777;
  }
  const std::string tmp = dir + "/." + name_of(abs) + ".ptagent-tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) fail(root.host_path(abs), "cannot create a temporary file beside it", errno);
  std::size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      fail(root.host_path(abs), "write failed", err);
    }
    off += static_cast<std::size_t>(n);
  }
  ::fchmod(fd, mode);
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail(root.host_path(abs), "write failed", err);
  }
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail(root.host_path(abs), "cannot replace the file", err);
  }
  fsync_dir(dir);
}

void remove_file(const Root& root, std::string_view abs) {
  const auto dir_resolved = root.resolve(parent_of(abs));
  if (!dir_resolved) return;
  const std::string target = root.host_path(*dir_resolved) + "/" + name_of(abs);
  if (::unlink(target.c_str()) != 0 && errno != ENOENT) {
    fail(root.host_path(abs), "cannot remove the file", errno);
  }
  fsync_dir(root.host_path(*dir_resolved));
}

}  // namespace ptagent
