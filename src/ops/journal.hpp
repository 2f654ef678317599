// The state journal under /run/ptagent: what ptagent changed, recorded before each change, so that
// `restore` and the hook's `release` undo exactly that, even after a crash.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pci/address.hpp"

namespace ptagent {

class Root;

enum class ChangeKind { bind, mdev, sriov };
enum class ChangeState { pending, done };  // pending: recorded, the change may be half-done

struct Change {
  std::string id;  // unique within the journal
  ChangeKind kind = ChangeKind::bind;
  ChangeState state = ChangeState::pending;
  std::string owner;  // "cli" or "domain:<uuid>"
  std::string time;   // ISO 8601, UTC
  // bind: the device and what it had before
  std::optional<PciAddress> address;
  std::optional<std::string> original_driver;
  std::optional<std::string> original_override;
  std::string new_driver;  // "vfio-pci"
  // mdev: the device the change created
  std::string mdev_uuid;
  std::string mdev_parent;
  std::string mdev_type;
  // sriov: the PF and its count before the change
  unsigned previous_numvfs = 0;
};

class Journal {
 public:
  // dir is a host path under the root (default /run/ptagent); created 0700 on first write.
  explicit Journal(const Root& root, std::string dir = "/run/ptagent");

  // All entries (empty when there is no journal). Throws Error(failed) on a corrupt journal.
  std::vector<Change> load() const;
  // Runs fn under an exclusive lock with the current entries; what fn leaves is written back
  // atomically (temp file, fsync, rename, fsync of the directory). Concurrent callers serialize.
  // All or nothing: when it throws, the journal reads as before the call (a failed fsync of the
  // directory puts the previous file back).
  void update(const std::function<void(std::vector<Change>&)>& fn);
  const std::string& dir() const { return dir_; }

 private:
  const Root& root_;
  std::string dir_;
};

std::string change_kind_name(ChangeKind kind);

// The steps of one journal write by update(), in order.
enum class JournalStep { create_temp, write_temp, fsync_temp, rename, fsync_dir };
std::string journal_step_name(JournalStep step);  // "write", "fsync", ...

// Test seam for fault injection and crash tests: while set for a root (keyed by Root::base()),
// `fault` runs before each step of every journal write under that root, and a non-zero return
// fails that step with that errno as if the system call had. It is called as a copy (outside the
// seam's lock): keep counters behind a pointer. Production code never sets one. An empty function
// clears it.
using JournalFault = std::function<int(JournalStep)>;
void set_journal_fault(const std::string& root_base, JournalFault fault);

}  // namespace ptagent
