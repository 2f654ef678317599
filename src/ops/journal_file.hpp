// The journal's storage: a directory under the root (0700, owned by the effective user, never a
// symlink) holding the journal file, its temporary file while it is replaced, and a lock file.
// Knows files and locks, not what the text means (ops/journal_codec.hpp does).
#pragma once

#include <string>

#include "util/atomic_file.hpp"
#include "util/fd.hpp"
#include "util/file_lock.hpp"

namespace ptagent {

class Root;

struct JournalText {
  bool exists = false;
  std::string text;
};

class JournalFile {
 public:
  // dir: an absolute host path below / (Error(usage) otherwise). Does no I/O.
  JournalFile(const Root& root, std::string dir);

  const std::string& dir() const { return dir_; }
  // Host paths under the root, for messages ("/tmp/host/run/ptagent/journal.json").
  std::string shown_dir() const;
  std::string shown_file() const;
  std::string shown_temp() const;

  // Whether there is anything at the directory's path (a directory, a file or a symlink).
  bool dir_present() const;
  // Creates the directory (0700) and missing parents (0755).
  void make_dir() const;
  // Opens the directory and checks that nobody but us could have planted files in it. Error(failed)
  // for a symlink, a non-directory, another owner or a mode other than 0700.
  Fd open_dir() const;
  // The lock file's flock, released when the returned descriptor goes.
  Fd lock(LockMode mode) const;
  // The journal file as it is (at most kMaxJournalBytes and a little more: the codec refuses it).
  // Error(failed) for a symlink, a non-regular file or a read error.
  JournalText read() const;

  // Removes a temporary file a crash left behind (Error(failed) when it cannot).
  void remove_stale_temp(int dirfd) const;
  // Replaces the journal file with text (util/atomic_file.hpp), `fault` before each step.
  std::optional<ReplaceFailure> replace(int dirfd, const std::string& text,
                                        const ReplaceFault& fault) const;
  // Puts back the file as it was before a failed replace: its previous text, or no file when
  // there was none. True when that worked.
  bool put_back(int dirfd, const JournalText& previous) const;
  // Moves a corrupt journal aside under a name not taken (journal.json.corrupt-<time>[-n]);
  // returns its host path for messages.
  std::string move_aside(int dirfd) const;

 private:
  const Root& root_;
  std::string dir_;
};

}  // namespace ptagent
