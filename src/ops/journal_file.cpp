#include "ops/journal_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "error.hpp"
#include "ops/journal_codec.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/root.hpp"
#include "util/path_text.hpp"
#include "util/utc_time.hpp"

namespace ptagent {

namespace {

constexpr const char* kTempName = "journal.json.tmp";
constexpr const char* kLockName = ".lock";

std::string mode_text(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

[[noreturn]] void fail_io(const std::string& object, const std::string& what, int err,
                          const std::string& hint = {}) {
  throw_failed(object, what + ": " + std::strerror(err), hint, err);
}

}  // namespace

JournalFile::JournalFile(const Root& root, std::string dir) : root_(root), dir_(std::move(dir)) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
  if (dir_.empty() || dir_.front() != '/' || dir_ == "/") {
    throw_usage("journal directory \"" + dir_ + "\"", "must be an absolute path below /",
                std::string("use the default, ") + kStateDir);
  }
}

std::string JournalFile::shown_dir() const {
  return root_.host_path(dir_);
}

std::string JournalFile::shown_file() const {
  return root_.host_path(journal_file(dir_));
}

std::string JournalFile::shown_temp() const {
  return root_.host_path(dir_ + "/" + kTempName);
}

bool JournalFile::dir_present() const {
  return root_.exists(dir_) || root_.is_symlink(dir_);
}

void JournalFile::make_dir() const {
  if (root_.is_dir(dir_)) return;
  const std::string parent = parent_dir(dir_);
  int err = root_.make_dirs(parent, 0755);
  if (err == 0) err = root_.make_dir(dir_, 0700);
  // EEXIST: raced with another process, or not a directory (open_dir() says which).
  if (err != 0 && err != EEXIST) {
    fail_io(shown_dir(), "cannot create the journal directory", err,
            "check that " + root_.host_path(parent) + " is writable (ptagent runs as root)");
  }
  if (err == 0) {
    // A restrictive umask must not leave the directory unusable; a lax one cannot widen 0700.
    Fd dfd(root_.open_in_root(dir_, O_RDONLY | O_DIRECTORY));
    if (dfd.ok()) ::fchmod(dfd.get(), 0700);
  }
}

Fd JournalFile::open_dir() const {
  const std::string shown = shown_dir();
  const std::string hint =
      "check who created it, then remove it (ptagent recreates it) or fix it with "
      "'chown root:root " +
      shown + " && chmod 0700 " + shown + "'";
  Fd fd(root_.open_in_root(dir_, O_RDONLY | O_DIRECTORY));
  if (!fd.ok()) {
    const int err = -fd.get();
    // O_DIRECTORY|O_NOFOLLOW on a symlink gives ELOOP or ENOTDIR, depending on the target.
    if ((err == ELOOP || err == ENOTDIR) && root_.is_symlink(dir_)) {
      throw_failed(shown, "the journal directory is a symbolic link; refusing to use it", hint,
                   err);
    }
    if (err == ENOTDIR) {
      throw_failed(shown, "the journal path is not a directory; refusing to use it", hint, err);
    }
    fail_io(shown, "cannot open the journal directory", err);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail_io(shown, "cannot stat the journal directory", errno);
  if (st.st_uid != ::geteuid() || (st.st_mode & 07777) != 0700) {
    throw_failed(shown,
                 "the journal directory is not safe to use: owner uid " +
                     std::to_string(st.st_uid) + ", mode " + mode_text(st.st_mode) +
                     " (it must be owned by uid " + std::to_string(::geteuid()) +
                     " with mode 0700)",
                 hint);
  }
  return fd;
}

Fd JournalFile::lock(LockMode mode) const {
  const std::string path = dir_ + "/" + kLockName;
  Fd fd(root_.open_in_root(path, O_RDWR | O_CREAT, 0600));
  if (!fd.ok()) fail_io(root_.host_path(path), "cannot open the journal lock", -fd.get());
  if (const int err = lock_fd(fd.get(), mode); err != 0) {
    fail_io(root_.host_path(path), "cannot lock the journal", err);
  }
  return fd;
}

JournalText JournalFile::read() const {
  const std::string path = journal_file(dir_);
  const std::string shown = root_.host_path(path);
  JournalText raw;
  Fd fd(root_.open_in_root(path, O_RDONLY));
  if (!fd.ok()) {
    if (-fd.get() == ENOENT) return raw;
    if (-fd.get() == ELOOP) {
      throw_failed(shown, "the journal file is a symbolic link; refusing to read it",
                   "remove it after checking who created it", ELOOP);
    }
    fail_io(shown, "cannot open the journal", -fd.get());
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail_io(shown, "cannot stat the journal", errno);
  if (!S_ISREG(st.st_mode)) {
    throw_failed(shown, "the journal is not a regular file; refusing to read it",
                 "remove it after checking who created it");
  }
  raw.exists = true;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_io(shown, "cannot read the journal", errno);
    if (n == 0) break;
    raw.text.append(buf, static_cast<std::size_t>(n));
    if (raw.text.size() > kMaxJournalBytes) break;  // the codec reports it as corrupt
  }
  return raw;
}

void JournalFile::remove_stale_temp(int dirfd) const {
  if (::unlinkat(dirfd, kTempName, 0) != 0 && errno != ENOENT) {
    fail_io(shown_temp(), "cannot remove a stale temporary journal", errno);
  }
}

std::optional<ReplaceFailure> JournalFile::replace(int dirfd, const std::string& text,
                                                   const ReplaceFault& fault) const {
  return replace_file_at(dirfd, kJournalFileName, kTempName, text, 0600, fault);
}

bool JournalFile::put_back(int dirfd, const JournalText& previous) const {
  if (!previous.exists) return ::unlinkat(dirfd, kJournalFileName, 0) == 0 || errno == ENOENT;
  const auto failure = replace_file_at(dirfd, kJournalFileName, kTempName, previous.text, 0600);
  // The previous text is in place even when the directory cannot be fsynced.
  return !failure || failure->step == ReplaceStep::fsync_dir;
}

std::string JournalFile::move_aside(int dirfd) const {
  const std::string base = std::string(kJournalFileName) + ".corrupt-" + utc_stamp();
  std::string name = base;
  for (int n = 1;; ++n) {
    struct stat st {};
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT) break;
    name = base + "-" + std::to_string(n);
  }
  if (::renameat(dirfd, kJournalFileName, dirfd, name.c_str()) != 0) {
    fail_io(shown_file(), "the journal is corrupt and could not be moved aside", errno,
            "move it away by hand after saving what it lists");
  }
  ::fsync(dirfd);
  return root_.host_path(dir_ + "/" + name);
}

}  // namespace ptagent
