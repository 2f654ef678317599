#include "util/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "util/fd.hpp"

namespace ptagent {

int write_all(int fd, std::string_view data) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    off += static_cast<std::size_t>(n);
  }
  return 0;
}

std::optional<ReplaceFailure> replace_file_at(int dirfd, const std::string& name,
                                              const std::string& temp_name,
                                              std::string_view content, mode_t mode,
                                              const ReplaceFault& fault) {
  auto injected = [&](ReplaceStep step) { return fault ? fault(step) : 0; };
  auto failed = [&](ReplaceStep step, int err) {
    ::unlinkat(dirfd, temp_name.c_str(), 0);
    return ReplaceFailure{step, err};
  };
  ::unlinkat(dirfd, temp_name.c_str(), 0);
  {
    int err = injected(ReplaceStep::create_temp);
    Fd out(err ? -err
               : ::openat(dirfd, temp_name.c_str(),
                          O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out.ok()) return failed(ReplaceStep::create_temp, err ? err : errno);
    ::fchmod(out.get(), mode);  // the mode asked for, whatever the umask
    if ((err = injected(ReplaceStep::write_temp)) != 0 || (err = write_all(out.get(), content))) {
      return failed(ReplaceStep::write_temp, err);
    }
    if ((err = injected(ReplaceStep::fsync_temp)) != 0 ||
        (::fsync(out.get()) != 0 && (err = errno) != 0) || (err = out.close()) != 0) {
      return failed(ReplaceStep::fsync_temp, err);
    }
  }
  if (int err = injected(ReplaceStep::rename);
      err != 0 ||
      (::renameat(dirfd, temp_name.c_str(), dirfd, name.c_str()) != 0 && (err = errno) != 0)) {
    return failed(ReplaceStep::rename, err);
  }
  if (int err = injected(ReplaceStep::fsync_dir);
      err != 0 || (::fsync(dirfd) != 0 && (err = errno) != 0)) {
    return ReplaceFailure{ReplaceStep::fsync_dir, err};
  }
  return std::nullopt;
}

}  // namespace ptagent
