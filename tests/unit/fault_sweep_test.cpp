// A failure injected at every sysfs write and at every step of every journal write of each
// mutating operation, one at a time: bind, group bind, restore, restore --all, an SR-IOV change,
// mdev create and remove (through the CLI library with the kernel double), and the hook's prepare
// and release. After each run:
//  - atomic operations leave the host exactly as it started or as the clean run leaves it;
//    restore --all and release, which go on past a failed entry, leave every entry either undone
//    or as it was;
//  - the journal matches the host: an entry marked done is on the host, an entry the run dropped
//    is gone from it, and nothing on the host differs from the fixture without an entry;
//  - the output names the failed step (the sysfs file or the journal step) and the error;
//  - 'ptagent restore --all' afterwards (no failures) brings the host back to the fixture.
// The number of injection points is printed per operation and in total.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "agent/commands.hpp"
#include "hooks/hook.hpp"
#include "ops/errno_text.hpp"
#include "ops/journal.hpp"
#include "ops/wait.hpp"
#include "support/cli_runner.hpp"
#include "support/guest_domain.hpp"
#include "support/kernel_double.hpp"
#include "support/sim_host.hpp"
#include "support/temp_host.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
using ptagent::testing::host_state;
using ptagent::testing::kGuestMdev1;
using ptagent::testing::TempHost;
using ptagent::testing::workstation_guest_xml;

namespace {

const WaitLimits kFast{std::chrono::milliseconds(200), std::chrono::milliseconds(5)};

std::atomic<std::size_t> g_points{0};

struct Outcome {
  int code = 0;
  std::string text;  // stdout, stderr and the hook's log lines
};

// One simulated host with the kernel double as the writer.
struct Env : ptagent::testing::SimHost {
  using SimHost::SimHost;

  Outcome cli(const std::vector<std::string>& args) {
    const std::string name = args.at(0);
    const cli::Args rest(args.begin() + 1, args.end());
    const test::CliResult r = test::run_command(host.dir(), [&](cli::Context& ctx) {
      ctx.use_sysfs(kernel);
      ctx.use_settle(kFast);
      ctx.use_journal_fault(journal_fault);
      if (name == "bind") return cli::cmd_bind(ctx, rest);
      if (name == "restore") return cli::cmd_restore(ctx, rest);
      if (name == "sriov") return cli::cmd_sriov(ctx, rest);
      if (name == "mdev") return cli::cmd_mdev(ctx, rest);
      ADD_FAILURE() << "no command " << name;
      return 0;
    });
    return Outcome{r.code, r.out + r.err};
  }

  Outcome hook(const char* op, const char* sub, const std::string& xml) {
    std::ostringstream err;
    Outcome r;
    std::string log;
    hook::HookDeps deps{host.root(), kernel, HookConfig{}, err,
                        [&log](const std::string& line) { log += line + "\n"; }};
    deps.config.busy_retry = std::chrono::milliseconds(1);
    deps.journal_fault = journal_fault;
    r.code = hook::run_hook({"guest", op, sub, "-"}, xml, deps);
    r.text = err.str() + log;
    return r;
  }

  std::vector<Change> journal() const { return Journal(host.root()).load(); }

  JournalFault journal_fault;  // handed to every journal the operation builds
};

void expect_ok(const Outcome& r, const std::string& what) {
  ASSERT_EQ(r.code, 0) << what << ": " << r.text;
}

enum class Shape {
  atomic,     // all or nothing
  per_entry,  // restore --all, release: each entry undone or left as it was
};

struct Op {
  const char* name;
  const char* fixture;
  std::function<void(Env&)> setup;  // brings a fresh host to the operation's start
  std::function<Outcome(Env&)> run;
  Shape shape = Shape::atomic;
};

std::vector<Op> operations() {
  const std::string xml = workstation_guest_xml();
  return {
      {"bind", "server", [](Env&) {},
       [](Env& e) {
         return e.cli({"bind", "0000:01:10.0"});
       }},
      {"group_bind", "workstation", [](Env&) {},
       [](Env& e) {
         return e.cli({"bind", "--group", "0000:01:00.0"});
       }},
      {"group_bind_behind_bridge", "server", [](Env&) {},
       [](Env& e) {
         return e.cli({"bind", "--group", "0000:03:00.0"});
       }},
      {"restore", "workstation",
       [](Env& e) {
         expect_ok(e.cli({"bind", "--group", "0000:01:00.0"}), "setup");
       },
       [](Env& e) {
         return e.cli({"restore", "0000:01:00.0", "0000:01:00.1"});
       }},
      {"restore_all_workstation", "workstation",
       [](Env& e) {
         expect_ok(e.cli({"bind", "--group", "0000:01:00.0"}), "setup bind");
         expect_ok(
             e.cli({"mdev", "create", "0000:00:02.0", "i915-GVTg_V5_8", "--uuid", kGuestMdev1}),
             "setup mdev");
       },
       [](Env& e) {
         return e.cli({"restore", "--all"});
       },
       Shape::per_entry},
      {"restore_all_server", "server",
       [](Env& e) {
         expect_ok(e.cli({"sriov", "0000:01:00.1", "--vfs", "2"}), "setup sriov");
         expect_ok(e.cli({"bind", "0000:01:10.0"}), "setup bind");
       },
       [](Env& e) {
         return e.cli({"restore", "--all"});
       },
       Shape::per_entry},
      {"sriov_enable", "server", [](Env&) {},
       [](Env& e) {
         return e.cli({"sriov", "0000:01:00.1", "--vfs", "2"});
       }},
      {"sriov_change_through_zero", "server",
       [](Env& e) {
         expect_ok(e.cli({"sriov", "0000:01:00.1", "--vfs", "2"}), "setup");
       },
       [](Env& e) {
         return e.cli({"sriov", "0000:01:00.1", "--vfs", "3", "--autoprobe", "no"});
       }},
      {"sriov_back_to_zero", "server",
       [](Env& e) {
         expect_ok(e.cli({"sriov", "0000:01:00.1", "--vfs", "2"}), "setup");
       },
       [](Env& e) {
         return e.cli({"sriov", "0000:01:00.1", "--vfs", "0"});
       }},
      {"mdev_create", "workstation", [](Env&) {},
       [](Env& e) {
         return e.cli({"mdev", "create", "0000:00:02.0", "i915-GVTg_V5_8", "--uuid", kGuestMdev1});
       }},
      {"mdev_remove", "workstation",
       [](Env& e) {
         expect_ok(
             e.cli({"mdev", "create", "0000:00:02.0", "i915-GVTg_V5_8", "--uuid", kGuestMdev1}),
             "setup");
       },
       [](Env& e) {
         return e.cli({"mdev", "remove", kGuestMdev1});
       }},
      {"hook_prepare", "workstation", [](Env&) {},
       [xml](Env& e) { return e.hook("prepare", "begin", xml); }},
      {"hook_release", "workstation",
       [xml](Env& e) { expect_ok(e.hook("prepare", "begin", xml), "setup prepare"); },
       [xml](Env& e) { return e.hook("release", "end", xml); }, Shape::per_entry},
  };
}

// ---- what the host holds ---------------------------------------------------------------------

const std::string kDev = "/sys/bus/pci/devices/";

std::string driver_of(const Root& r, const std::string& addr) {
  return r.link_name(kDev + addr + "/driver").value_or("");
}

bool entry_on_host(const Root& r, const Change& c) {
  switch (c.kind) {
    case ChangeKind::bind:
      return driver_of(r, c.address->to_string()) == c.new_driver;
    case ChangeKind::mdev:
      return r.is_dir("/sys/bus/mdev/devices/" + c.mdev_uuid);
    case ChangeKind::sriov:
      return r.read_value(kDev + c.address->to_string() + "/sriov_numvfs") !=
             std::to_string(c.previous_numvfs);
  }
  return false;
}

bool entry_gone_from_host(const Root& r, const Change& c) {
  switch (c.kind) {
    case ChangeKind::bind: {
      const std::string a = c.address->to_string();
      if (!r.exists(kDev + a)) return true;  // a VF that went with its PF
      const auto ov = r.read_value(kDev + a + "/driver_override");
      return driver_of(r, a) == c.original_driver.value_or("") &&
             (ov == c.original_override.value_or("(null)") ||
              (!c.original_override && ov && ov->empty()));
    }
    case ChangeKind::mdev:
      return !r.exists("/sys/bus/mdev/devices/" + c.mdev_uuid);
    case ChangeKind::sriov:
      return r.read_value(kDev + c.address->to_string() + "/sriov_numvfs") ==
             std::to_string(c.previous_numvfs);
  }
  return false;
}

std::string describe(const std::vector<Change>& j) {
  std::string s;
  for (const auto& c : j) s += c.id + (c.state == ChangeState::done ? "(done) " : "(pending) ");
  return s.empty() ? "(empty)" : s;
}

// The journal against the host: done entries are there, dropped ones are gone, and everything
// that differs from the untouched fixture has an entry.
void expect_journal_matches_host(const Root& host, const Root& fixture,
                                 const std::vector<Change>& before,
                                 const std::vector<Change>& after, const std::string& where) {
  std::set<std::string> kept;
  for (const auto& c : after) {
    kept.insert(c.id);
    if (c.state == ChangeState::done) {
      EXPECT_TRUE(entry_on_host(host, c))
          << where << ": " << c.id << " is done but not on the host";
    }
  }
  for (const auto& c : before) {
    if (!kept.count(c.id)) {
      EXPECT_TRUE(entry_gone_from_host(host, c))
          << where << ": " << c.id << " was dropped but is still on the host";
    }
  }
  auto has = [&](ChangeKind k, const std::string& key) {
    for (const auto& c : after) {
      if (c.kind != k) continue;
      if (k == ChangeKind::mdev ? c.mdev_uuid == key : c.address && c.address->to_string() == key)
        return true;
    }
    return false;
  };
  for (const auto& a : host.list("/sys/bus/pci/devices")) {
    if (!fixture.exists(kDev + a)) {
      // A new VF: its PF's count changed, which needs an SR-IOV entry.
      const auto pf = host.link_name(kDev + a + "/physfn");
      EXPECT_TRUE(pf && has(ChangeKind::sriov, *pf)) << where << ": VF " << a << " has no entry";
      continue;
    }
    if (driver_of(host, a) != driver_of(fixture, a)) {
      EXPECT_TRUE(has(ChangeKind::bind, a))
          << where << ": " << a << " moved to " << driver_of(host, a) << " without an entry";
    }
    const auto n = host.read_value(kDev + a + "/sriov_numvfs");
    if (n && n != fixture.read_value(kDev + a + "/sriov_numvfs")) {
      EXPECT_TRUE(has(ChangeKind::sriov, a))
          << where << ": " << a << " numvfs " << *n << " without an entry";
    }
  }
  for (const auto& u : host.list("/sys/bus/mdev/devices")) {
    if (!fixture.exists("/sys/bus/mdev/devices/" + u)) {
      EXPECT_TRUE(has(ChangeKind::mdev, u)) << where << ": mdev " << u << " without an entry";
    }
  }
}

// The words a message must contain for a failed write to this sysfs file.
std::string step_word(const std::string& path) {
  const std::string name = path.substr(path.rfind('/') + 1);
  static const std::map<std::string, std::string> words = {
      {"driver_override", "driver_override"},
      {"unbind", "unbind"},
      {"drivers_probe", "probe"},
      {"bind", "bind"},
      {"create", "creat"},
      {"remove", "remov"},
      {"sriov_numvfs", "sriov_numvfs"},
      {"sriov_drivers_autoprobe", "autoprobe"}};
  auto it = words.find(name);
  return it == words.end() ? name : it->second;
}

std::string journal_step_text(JournalStep s) {
  switch (s) {
    case JournalStep::create_temp:
      return "cannot create the temporary journal";
    case JournalStep::write_temp:
      return "cannot write the journal";
    case JournalStep::fsync_temp:
      return "cannot fsync the journal";
    case JournalStep::rename:
      return "cannot replace the journal";
    case JournalStep::fsync_dir:
      return "cannot fsync the journal directory";
  }
  return "?";
}

// Counts the journal steps of a run in env, and fails the n-th one (0: none) with err.
class JournalFaults {
 public:
  JournalFaults(Env& env, std::size_t fail_at, int err) : env_(env) {
    env_.journal_fault = [this, fail_at, err](JournalStep step) {
      ++seen_;
      if (seen_ == fail_at) {
        failed_ = step;
        return err;
      }
      return 0;
    };
  }
  ~JournalFaults() { env_.journal_fault = nullptr; }
  JournalFaults(const JournalFaults&) = delete;
  JournalFaults& operator=(const JournalFaults&) = delete;
  std::size_t seen() const { return seen_; }
  std::optional<JournalStep> failed() const { return failed_; }

 private:
  Env& env_;
  std::size_t seen_ = 0;
  std::optional<JournalStep> failed_;
};

struct Clean {
  std::string start, done;
  std::vector<Change> journal_before, journal_done;
  std::size_t sysfs = 0, journal_steps = 0;
};

Clean clean_run(const Op& op) {
  Clean c;
  Env e(op.fixture);
  op.setup(e);
  c.start = host_state(e.host.root());
  c.journal_before = e.journal();
  const std::size_t w0 = e.kernel.write_count();
  {
    JournalFaults count(e, 0, 0);
    const Outcome r = op.run(e);
    EXPECT_EQ(r.code, 0) << op.name << ": the clean run failed: " << r.text;
    c.journal_steps = count.seen();
  }
  c.sysfs = e.kernel.write_count() - w0;
  c.done = host_state(e.host.root());
  c.journal_done = e.journal();
  EXPECT_NE(c.start, c.done) << op.name << ": the clean run changed nothing";
  return c;
}

// Everything checked after one injected failure; `message` holds what the output must say.
void check_after_failure(Env& e, const Op& op, const Clean& clean, const Outcome& r,
                         const std::vector<std::string>& message, const std::string& where) {
  const std::string now = host_state(e.host.root());
  std::vector<Change> journal;
  ASSERT_NO_THROW(journal = e.journal()) << where;
  if (op.shape == Shape::atomic) {
    EXPECT_TRUE(now == clean.start || now == clean.done)
        << where << ": the host is neither as it started nor as the clean run left it\n"
        << r.text;
    if (now == clean.start) {
      // Nothing happened: the journal is as before (a pending entry may stay only if pending
      // already).
      std::vector<std::string> ids_before, ids_now;
      for (const auto& c : clean.journal_before) ids_before.push_back(c.id);
      for (const auto& c : journal) ids_now.push_back(c.id);
      EXPECT_EQ(ids_now, ids_before) << where << ": " << describe(journal) << "\n" << r.text;
    } else if (now == clean.done) {
      std::set<std::string> ids_done, ids_now;
      for (const auto& c : clean.journal_done) ids_done.insert(c.id);
      for (const auto& c : journal) ids_now.insert(c.id);
      // Done but the journal could not say so: its entries may stay, pending.
      for (const auto& id : ids_done) EXPECT_TRUE(ids_now.count(id)) << where << ": lost " << id;
      for (const auto& c : journal) {
        if (!ids_done.count(c.id)) {
          EXPECT_EQ(c.state, ChangeState::pending) << where << ": " << c.id << " stayed done";
        }
      }
    }
  }
  TempHost fixture = TempHost::copy_of(op.fixture);
  expect_journal_matches_host(e.host.root(), fixture.root(), clean.journal_before, journal, where);
  // A failure the operation could not absorb must be reported: a non-zero exit, or a host or a
  // journal that differs from the clean run's.
  if (r.code != 0 || now != clean.done || describe(journal) != describe(clean.journal_done)) {
    for (const auto& m : message) {
      EXPECT_NE(r.text.find(m), std::string::npos)
          << where << ": the message does not say \"" << m << "\":\n"
          << r.text;
    }
  }
  // And nothing is lost: a restore without failures brings the fixture back.
  const Outcome restore = e.cli({"restore", "--all"});
  EXPECT_EQ(restore.code, 0) << where << ": restore --all afterwards: " << restore.text;
  EXPECT_EQ(host_state(e.host.root()), host_state(fixture.root()))
      << where << ": after restore --all";
  EXPECT_TRUE(e.journal().empty()) << where;
}

void PrintTo(const Op& op, std::ostream* os) {
  *os << op.name;
}

class FaultSweep : public ::testing::TestWithParam<Op> {};

TEST_P(FaultSweep, FailureAtEverySysfsAndJournalWrite) {
  const Op& op = GetParam();
  const Clean clean = clean_run(op);
  ASSERT_GT(clean.sysfs, 0u);
  ASSERT_GT(clean.journal_steps, 0u);
  if (::testing::Test::HasFailure()) return;

  for (std::size_t n = 1; n <= clean.sysfs; ++n) {
    Env e(op.fixture);
    op.setup(e);
    const std::size_t w0 = e.kernel.write_count();
    e.kernel.fail_nth_write(w0 + n, EIO);
    const Outcome r = op.run(e);
    const auto calls = e.kernel.calls();
    ASSERT_GT(calls.size(), w0 + n - 1) << op.name << " sysfs write " << n;
    const std::string path = calls[w0 + n - 1].path;
    const std::string where =
        std::string(op.name) + ", failed sysfs write " + std::to_string(n) + " (" + path + ")";
    check_after_failure(e, op, clean, r, {step_word(path), "EIO"}, where);
  }
  for (std::size_t n = 1; n <= clean.journal_steps; ++n) {
    Env e(op.fixture);
    op.setup(e);
    Outcome r;
    std::optional<JournalStep> failed;
    {
      JournalFaults faults(e, n, n % 2 ? ENOSPC : EIO);
      r = op.run(e);
      failed = faults.failed();
    }
    ASSERT_TRUE(failed) << op.name << ": journal step " << n << " never came";
    const std::string where = std::string(op.name) + ", failed journal step " + std::to_string(n) +
                              " (" + journal_step_name(*failed) + ")";
    check_after_failure(e, op, clean, r,
                        {journal_step_text(*failed), std::strerror(n % 2 ? ENOSPC : EIO)}, where);
  }
  const std::size_t points = clean.sysfs + clean.journal_steps;
  g_points += points;
  RecordProperty("sysfs_injection_points", static_cast<int>(clean.sysfs));
  RecordProperty("journal_injection_points", static_cast<int>(clean.journal_steps));
  std::cout << "[ fault sweep ] " << op.name << ": " << clean.sysfs << " sysfs writes + "
            << clean.journal_steps << " journal steps = " << points << " injection points\n";
}

INSTANTIATE_TEST_SUITE_P(Operations, FaultSweep, ::testing::ValuesIn(operations()),
                         [](const ::testing::TestParamInfo<Op>& p) {
                           return std::string(p.param.name);
                         });

// The grand total of the sweeps this process ran.
class SweepTotal : public ::testing::Environment {
 public:
  void TearDown() override {
    if (g_points > 0) {
      std::cout << "[ fault sweep ] total: " << g_points.load() << " injection points\n";
    }
  }
};
[[maybe_unused]] const auto* const kTotal = ::testing::AddGlobalTestEnvironment(new SweepTotal);

}  // namespace
