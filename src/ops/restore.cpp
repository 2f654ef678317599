#include "ops/restore.hpp"

#include "error.hpp"
#include "ops/mdev.hpp"
#include "ops/sriov.hpp"
#include "ops/vfio_bind.hpp"

namespace ptagent {

void undo_change(const Root& root, SysfsWriter& writer, const Change& change) {
  switch (change.kind) {
    case ChangeKind::bind:
      undo_bind_change(root, writer, change);
      return;
    case ChangeKind::mdev:
      undo_mdev_change(root, writer, change);
      return;
    case ChangeKind::sriov:
      undo_sriov_change(root, writer, change);
      return;
  }
  throw_failed("journal entry " + change.id, "of an unknown kind");
}

void undo_and_drop(const Root& root, SysfsWriter& writer, Journal& journal, const Change& change) {
  auto set_state = [&](ChangeState state) {
    journal.update([&](std::vector<Change>& changes) {
      for (auto& c : changes) {
        if (c.id == change.id) c.state = state;
      }
    });
  };
  if (change.state == ChangeState::done) set_state(ChangeState::pending);
  try {
    undo_change(root, writer, change);
  } catch (const Error& e) {
    // A refusal (in use, owned by mdevctl) comes before any write: the change is untouched and
    // done again. After a failed write it stays pending: the undo may have put it back or not (a
    // rollback can fail too), and pending claims neither.
    if (change.state == ChangeState::done && e.kind() != ErrorKind::failed) {
      try {
        set_state(ChangeState::done);
      } catch (const Error&) {
      }
    }
    throw;
  }
  journal.update([&](std::vector<Change>& changes) {
    std::erase_if(changes, [&](const Change& c) { return c.id == change.id; });
  });
}

std::string describe_change(const Change& c) {
  std::string s;
  const std::string addr = c.address ? c.address->to_string() : std::string("?");
  switch (c.kind) {
    case ChangeKind::bind:
      s = "bind of " + addr + " to " + c.new_driver + " (was on " +
          c.original_driver.value_or("no driver") +
          (c.original_override ? ", driver_override " + *c.original_override : std::string()) + ")";
      break;
    case ChangeKind::mdev:
      s = "mdev " + c.mdev_uuid + " (" + c.mdev_type + " on " + c.mdev_parent + ")";
      break;
    case ChangeKind::sriov:
      s = "SR-IOV VFs of " + addr + " (had " + std::to_string(c.previous_numvfs) + ")";
      break;
  }
  s += ", by " + c.owner;
  if (!c.time.empty()) s += " at " + c.time;
  if (c.state == ChangeState::pending) s += ", unfinished";
  return s;
}

std::vector<Change> read_journal_for_restore(Journal& journal) {
  try {
    return journal.load();
  } catch (const Error&) {
    // A corrupt journal is moved aside by update(), which then throws naming the new file.
    journal.update([](std::vector<Change>&) {});
    throw;
  }
}

std::vector<UndoOutcome> restore_all(const Root& root, SysfsWriter& writer, Journal& journal) {
  const std::vector<Change> entries = read_journal_for_restore(journal);
  std::vector<UndoOutcome> out;
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    UndoOutcome o{*it, false, {}};
    try {
      undo_and_drop(root, writer, journal, *it);
      o.undone = true;
    } catch (const Error& e) {
      o.error = e.what();
      if (!e.hint().empty()) o.error += " (fix: " + e.hint() + ")";
    }
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace ptagent
