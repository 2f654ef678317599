#include "domain/start.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "domain/admission.hpp"
#include "error.hpp"
#include "ops/journal.hpp"
#include "ops/mdev.hpp"
#include "ops/restore.hpp"
#include "ops/vfio_bind.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/root.hpp"
#include "util/file_lock.hpp"
#include "util/join.hpp"

namespace ptagent::domain {

StartLock::StartLock(const Root& root) {
  Fd run(root.open_in_root(kRunDir, O_RDONLY | O_DIRECTORY));
  if (run.ok() && ::mkdirat(run.get(), kStateDirName, 0700) != 0 && errno != EEXIST) {
    throw_failed(kStateDir,
                 std::string("cannot create the state directory: ") + std::strerror(errno));
  }
  const std::string path = hook_lock_file();
  fd_ = Fd(root.open_in_root(path, O_RDWR | O_CREAT, 0600));
  if (!fd_.ok()) throw_failed(path, std::string("cannot open: ") + std::strerror(-fd_.get()));
  if (lock_fd(fd_.get(), LockMode::exclusive) != 0) throw_failed(path, "cannot lock");
}

StartLock::~StartLock() = default;

void start(const StartDeps& deps, Journal& journal, const StartPlan& plan) {
  const std::string& uuid = plan.info.uuid;
  const std::string self = owner_of(uuid);
  for (const auto& m : plan.mdevs) {
    if (m.reuse) {
      deps.log("domain " + uuid + ": reusing mdev " + m.uuid + " (" + m.type + " on " + m.parent +
               ")");
      continue;
    }
    create_mdev(deps.root, deps.writer, journal, m, self);
    deps.log("domain " + uuid + ": created mdev " + m.uuid + " (" + m.type + " on " + m.parent +
             ")");
  }
  if (!plan.bind.empty()) {
    BindPlan done = bind_devices(
        deps.root, deps.writer, journal,
        plan.bind_plan ? *plan.bind_plan
                       : plan_bind(deps.root, journal, bind_request(plan), PlanMode::execute));
    deps.log("domain " + uuid + ": bound " + join(plan.bind, ", ") + " to vfio-pci");
    for (const auto& w : done.warnings) deps.log("domain " + uuid + ": " + w);
  }
}

std::vector<std::string> undo_domain(const StartDeps& deps, Journal& journal,
                                     const std::string& domain_uuid) {
  std::vector<Change> mine;
  for (auto& c : journal.load()) {
    if (c.owner == owner_of(domain_uuid)) mine.push_back(c);
  }
  std::vector<std::string> left;
  for (auto it = mine.rbegin(); it != mine.rend(); ++it) {
    const Change& c = *it;
    const auto deadline = std::chrono::steady_clock::now() + deps.busy_retry;
    for (;;) {
      try {
        undo_and_drop(deps.root, deps.writer, journal, c);
        deps.log("domain " + domain_uuid + ": undid " + c.id);
        break;
      } catch (const Error& e) {
        // An mdev QEMU has not let go of yet: retry within the bound.
        if (e.reason() == Reason::busy && std::chrono::steady_clock::now() < deadline) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          continue;
        }
        deps.log("domain " + domain_uuid + ": could not undo " + c.id + ": " + e.what());
        left.push_back(c.id + " (" + e.what() + ")");
        break;
      }
    }
  }
  return left;
}

}  // namespace ptagent::domain
