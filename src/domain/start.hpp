// A guest's start carried out and undone: the mdevs of the plan created, its unmanaged devices
// bound to vfio-pci, each change journaled for the domain; and the undo of every change the
// journal holds for a domain, newest first.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "ops/journal.hpp"
#include "util/fd.hpp"

namespace ptagent {
class Root;
class SysfsWriter;
}  // namespace ptagent

namespace ptagent::domain {

struct StartPlan;

// What starting and undoing need besides the plan.
struct StartDeps {
  const Root& root;
  SysfsWriter& writer;
  std::chrono::milliseconds busy_retry{5000};   // an mdev still busy at undo: retried this long
  std::function<void(const std::string&)> log;  // one line per action
  JournalFault journal_fault{};                 // the journal's fault seam (tests only)
};

// Serializes the check-and-act phase of concurrent starts and stops (two domains racing for the
// last mdev instance): the second one sees the first one's result. Held until destroyed.
// Throws Error(failed) when /run/ptagent/hook.lock cannot be created or locked.
class StartLock {
 public:
  explicit StartLock(const Root& root);
  ~StartLock();
  StartLock(const StartLock&) = delete;
  StartLock& operator=(const StartLock&) = delete;

 private:
  Fd fd_;
};

// Creates (or reuses) the plan's mdevs, then binds its unmanaged devices. Throws Error at the
// first failure; what was done stays in the journal for undo_domain.
void start(const StartDeps& deps, Journal& journal, const StartPlan& plan);

// Undoes the domain's journal entries, newest first; an mdev still busy is retried within
// busy_retry. Returns the entries it could not undo: "<id> (<why>)".
std::vector<std::string> undo_domain(const StartDeps& deps, Journal& journal,
                                     const std::string& domain_uuid);

}  // namespace ptagent::domain
