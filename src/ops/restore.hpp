// Undoing what the journal records, whatever kind of change it was: the one place that dispatches
// per ChangeKind (bind here, mdev in ops/mdev.hpp, SR-IOV in ops/sriov.hpp).
#pragma once

#include <string>
#include <vector>

#include "ops/journal.hpp"

namespace ptagent {

class Root;
class SysfsWriter;

// Undoes one entry (the journal is left to the caller). Throws Error when it cannot.
void undo_change(const Root& root, SysfsWriter& writer, const Change& change);

// Undoes one entry and drops it from the journal. The entry is marked pending first, so that
// whatever fails on the way (the undo, or dropping the entry) the journal never calls "done" a
// change that is no longer on the host: a done entry always means the change is there. After a
// refusal (nothing written) the entry is done again; after a failed write it stays pending.
// Throws Error.
void undo_and_drop(const Root& root, SysfsWriter& writer, Journal& journal, const Change& change);

// One line per entry: "bind of 0000:01:00.0 to vfio-pci (was on nouveau), by cli at …".
std::string describe_change(const Change& change);

struct UndoOutcome {
  Change change;
  bool undone = false;
  std::string error;  // why not, with the fix, when !undone
};

// Undoes every entry, newest first; each one undone is removed from the journal at once, a
// failed one stays and the others are still tried. Used by `ptagent restore --all` after a crash.
std::vector<UndoOutcome> restore_all(const Root& root, SysfsWriter& writer, Journal& journal);

// The journal's entries for a restore: a corrupt journal is moved aside (update() does that) and
// the Error naming the moved-aside file is thrown, so the next restore starts clean.
std::vector<Change> read_journal_for_restore(Journal& journal);

}  // namespace ptagent
