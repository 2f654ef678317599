#include "domain/start.hpp"

#include <fcntl.h>
#include <sys/file.h>
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
#include "sysfs/root.hpp"

namespace ptagent::domain {

namespace {

std::string join(const std::vector<PciAddress>& list) {
  std::string out;
  for (const auto& a : list) out += (out.empty() ? "" : ", ") + a.to_string();
  return out;
}

}  // namespace

StartLock::StartLock(const Root& root) {
  int run = root.open_in_root("/run", O_RDONLY | O_DIRECTORY);
  if (run >= 0) {
    if (mkdirat(run, "ptagent", 0700) != 0 && errno != EEXIST) {
      ::close(run);
      throw_failed(kStateDir,
                   std::string("cannot create the state directory: ") + std::strerror(errno));
    }
    ::close(run);
  }
  fd_ = root.open_in_root(std::string(kStateDir) + "/hook.lock", O_RDWR | O_CREAT, 0600);
  if (fd_ < 0)
    throw_failed(std::string(kStateDir) + "/hook.lock",
                 std::string("cannot open: ") + std::strerror(-fd_));
  while (flock(fd_, LOCK_EX) != 0) {
    if (errno != EINTR) {
      ::close(fd_);
      throw_failed(std::string(kStateDir) + "/hook.lock", "cannot lock");
    }
  }
}

StartLock::~StartLock() {
  if (fd_ >= 0) ::close(fd_);
}

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
    const BindRequest req = bind_request(plan);
    BindPlan done = plan.bind_plan
                        ? bind_devices(deps.root, deps.writer, journal, req, *plan.bind_plan)
                        : bind_devices(deps.root, deps.writer, journal, req);
    deps.log("domain " + uuid + ": bound " + join(plan.bind) + " to vfio-pci");
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
