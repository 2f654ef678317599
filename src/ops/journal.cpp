#include "ops/journal.hpp"

#include <cstring>
#include <set>
#include <utility>

#include "error.hpp"
#include "ops/journal_codec.hpp"
#include "util/utc_time.hpp"

namespace ptagent {

namespace {

[[noreturn]] void fail_step(const JournalFile& file, const ReplaceFailure& f,
                            const std::string& hint = {}) {
  std::string object = file.shown_temp();
  std::string what;
  switch (f.step) {
    case ReplaceStep::create_temp:
      what = "cannot create the temporary journal";
      break;
    case ReplaceStep::write_temp:
      what = "cannot write the journal";
      break;
    case ReplaceStep::fsync_temp:
      what = "cannot fsync the journal";
      break;
    case ReplaceStep::rename:
      object = file.shown_file();
      what = "cannot replace the journal";
      break;
    case ReplaceStep::fsync_dir:
      object = file.shown_dir();
      what = "cannot fsync the journal directory";
      break;
  }
  throw_failed(object, what + ": " + std::strerror(f.error), hint, f.error);
}

}  // namespace

std::string journal_step_name(JournalStep step) {
  switch (step) {
    case JournalStep::create_temp:
      return "create";
    case JournalStep::write_temp:
      return "write";
    case JournalStep::fsync_temp:
      return "fsync";
    case JournalStep::rename:
      return "rename";
    case JournalStep::fsync_dir:
      return "directory fsync";
  }
  return "?";
}

Journal::Journal(const Root& root, std::string dir, JournalFault fault)
    : file_(root, std::move(dir)), fault_(std::move(fault)) {}

std::vector<Change> Journal::load() const {
  if (!file_.dir_present()) return {};
  const Fd dirfd = file_.open_dir();
  const Fd lock = file_.lock(LockMode::shared);
  const JournalText raw = file_.read();
  if (!raw.exists) return {};
  DecodedJournal p = decode_journal(raw.text);
  if (p.other_version) throw_failed(file_.shown_file(), p.problem, "use the ptagent that wrote it");
  if (!p.problem.empty()) {
    // Reading changes nothing: the next update() moves the file aside.
    throw_failed(
        file_.shown_file(), "the journal is corrupt: " + p.problem,
        std::string("it is kept as it is; the next change ptagent makes (or 'ptagent restore "
                    "--all') moves it aside to ") +
            kJournalFileName + ".corrupt-<time>; undo what it lists by hand");
  }
  return std::move(p.changes);
}

void Journal::update(const std::function<void(std::vector<Change>&)>& fn) {
  file_.make_dir();
  const Fd dirfd = file_.open_dir();
  const Fd lock = file_.lock(LockMode::exclusive);
  const std::string shown = file_.shown_file();

  std::vector<Change> changes;
  const JournalText raw = file_.read();
  if (raw.exists) {
    DecodedJournal p = decode_journal(raw.text);
    if (p.other_version) throw_failed(shown, p.problem, "use the ptagent that wrote it");
    if (!p.problem.empty()) {
      const std::string aside = file_.move_aside(dirfd.get());
      throw_failed(shown,
                   "the journal was corrupt (" + p.problem + "); it has been moved aside to " +
                       aside + " and nothing was changed",
                   "undo by hand what " + aside +
                       " lists, if anything; then run the command again (it starts a new journal)");
    }
    changes = std::move(p.changes);
  }

  fn(changes);

  std::set<std::string> ids;
  const std::string now = utc_now();
  for (auto& c : changes) {
    if (c.id.empty()) throw_failed(shown, "refusing to record a change without an id");
    if (!ids.insert(c.id).second)
      throw_failed(shown, "refusing to record the id " + c.id + " twice");
    if (c.time.empty()) c.time = now;
  }

  // A failure before the rename leaves the journal as it was; the temporary file goes too.
  file_.remove_stale_temp(dirfd.get());
  const auto failure = file_.replace(dirfd.get(), encode_journal(changes), fault_);
  if (!failure) return;
  if (failure->step != ReplaceStep::fsync_dir) fail_step(file_, *failure);
  // The new file is in place but not known to be durable: put the previous one back, so that a
  // failed update() never leaves its change behind (the caller acts on the failure).
  const bool back = file_.put_back(dirfd.get(), raw);
  fail_step(file_, *failure,
            back ? std::string()
                 : "the new journal stayed in place although the change was reported as failed; "
                   "see what it holds with 'ptagent --dry-run restore --all'");
}

}  // namespace ptagent
