#include "setup/etc_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "error.hpp"
#include "sysfs/root.hpp"
#include "util/atomic_file.hpp"
#include "util/fd.hpp"
#include "util/path_text.hpp"

namespace ptagent {

namespace {

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
  const std::string up = dir == "/" ? "/" : host_dir(root, parent_dir(dir), depth + 1);
  const std::string here = (up == "/" ? "" : up) + "/" + base_name(dir);
  if (auto target = root.read_link(here)) {
    const std::filesystem::path t(*target);
    const std::string next =
        (t.is_absolute() ? t : std::filesystem::path(up) / t).lexically_normal().string();
    return host_dir(root, next.empty() ? "/" : next, depth + 1);
  }
  if (const int err = root.make_dir(here, 0755); err != 0 && err != EEXIST) {
    fail(root.host_path(dir), "cannot create the directory", err);
  }
  return here;
}

// A directory host_dir() resolved, opened to work in.
Fd open_dir(const Root& root, const std::string& dir) {
  Fd fd(root.open_in_root(dir, O_RDONLY | O_DIRECTORY));
  if (!fd.ok()) fail(root.host_path(dir), "cannot open the directory", -fd.get());
  return fd;
}

}  // namespace

void ensure_writable_dir_for(const Root& root, std::string_view abs) {
  const std::string resolved = host_dir(root, parent_dir(abs), 0);
  const Fd dir = open_dir(root, resolved);
  const char* probe = ".ptagent-probe";
  Fd fd(::openat(dir.get(), probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.ok()) {
    const int err = errno;
    if (err == EEXIST) {
      ::unlinkat(dir.get(), probe, 0);
      return;
    }
    fail(root.host_path(resolved), "cannot write in the directory", err);
  }
  fd.close();
  ::unlinkat(dir.get(), probe, 0);
}

void write_file_atomic(const Root& root, std::string_view abs, const std::string& content) {
  const Fd dir = open_dir(root, host_dir(root, parent_dir(abs), 0));
  const std::string name = base_name(abs);
  mode_t mode = 0644;
  struct stat st;
  if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISLNK(st.st_mode)) {
      throw_refused(root.host_path(abs), "is a symbolic link; ptagent does not write through it",
                    "edit the file it points to by hand, or replace the link with a file");
    }
    mode = st.st_mode & 07777;
  }
  const auto failure = replace_file_at(dir.get(), name, "." + name + ".ptagent-tmp", content, mode);
  if (!failure) return;
  switch (failure->step) {
    case ReplaceStep::create_temp:
      fail(root.host_path(abs), "cannot create a temporary file beside it", failure->error);
    case ReplaceStep::write_temp:
    case ReplaceStep::fsync_temp:
      fail(root.host_path(abs), "write failed", failure->error);
    case ReplaceStep::rename:
      fail(root.host_path(abs), "cannot replace the file", failure->error);
    case ReplaceStep::fsync_dir:
      break;  // the new file is in place
  }
}

void remove_file(const Root& root, std::string_view abs) {
  const auto dir_resolved = root.resolve(parent_dir(abs));
  if (!dir_resolved) return;
  const Fd dir = open_dir(root, *dir_resolved);
  if (::unlinkat(dir.get(), base_name(abs).c_str(), 0) != 0 && errno != ENOENT) {
    fail(root.host_path(abs), "cannot remove the file", errno);
  }
  ::fsync(dir.get());
}

}  // namespace ptagent
