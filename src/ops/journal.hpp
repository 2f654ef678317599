// The state journal under /run/ptagent: what ptagent changed, recorded before each change, so that
// `restore` and the hook's `release` undo exactly that, even after a crash. The text format is
// ops/journal_codec.hpp, the files and locks ops/journal_file.hpp.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ops/change.hpp"
#include "ops/journal_file.hpp"
#include "sysfs/host_paths.hpp"
#include "util/atomic_file.hpp"

namespace ptagent {

class Root;

// The steps of one journal write by update(), in order.
using JournalStep = ReplaceStep;
std::string journal_step_name(JournalStep step);  // "write", "fsync", ...

// The journal's test seam for fault injection and crash tests: when set, it runs before each step
// of every write of that journal, and a non-zero return fails that step with that errno as if the
// system call had. It belongs to whatever context builds the journal (cli::Context,
// domain::StartDeps, hook::HookDeps); production code leaves it empty.
using JournalFault = std::function<int(JournalStep)>;

class Journal {
 public:
  // dir is a host path under the root (default /run/ptagent); created 0700 on first write.
  explicit Journal(const Root& root, std::string dir = kStateDir, JournalFault fault = {});

  // All entries (empty when there is no journal). Throws Error(failed) on a corrupt journal.
  std::vector<Change> load() const;
  // Runs fn under an exclusive lock with the current entries; what fn leaves is written back
  // atomically (temp file, fsync, rename, fsync of the directory). Concurrent callers serialize.
  // All or nothing: when it throws, the journal reads as before the call (a failed fsync of the
  // directory puts the previous file back).
  void update(const std::function<void(std::vector<Change>&)>& fn);
  const std::string& dir() const { return file_.dir(); }

 private:
  JournalFile file_;
  JournalFault fault_;
};

}  // namespace ptagent
