// Crash consistency: the simulated hook (ptagent-hook-sim, a child process on a copy of the
// workstation) is killed with SIGKILL before each sysfs write and at each step of each journal
// write of a prepare. Afterwards libvirt's release, or 'ptagent restore --all', or a new start
// followed by release, brings the host back to where it started, with an empty journal.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <iostream>
#include <sstream>

#include "agent/commands.hpp"
#include "hooks/hook.hpp"
#include "ops/journal.hpp"
#include "support/cli_runner.hpp"
#include "support/guest_domain.hpp"
#include "support/kernel_double.hpp"
#include "support/temp_host.hpp"
#include "sysfs/root.hpp"

extern char** environ;

using namespace ptagent;
using ptagent::testing::host_state;
using ptagent::testing::KernelDouble;
using ptagent::testing::kGuestMdev2;
using ptagent::testing::TempHost;
using ptagent::testing::workstation_guest_xml;

namespace {

struct Child {
  bool killed = false;  // by SIGKILL
  int code = -1;        // exit code when it exited
};

// Runs ptagent-hook-sim ARGS with stdin and extra environment variables; waits for it.
Child run_sim(const std::vector<std::string>& args, const std::string& input,
              const std::vector<std::string>& env_extra) {
  std::vector<std::string> argv_s{PTAGENT_HOOK_SIM_BIN};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s = env_extra;
  for (char** e = environ; *e; ++e) {
    const std::string v = *e;
    if (v.rfind("PTAGENT_", 0) != 0) env_s.push_back(v);
  }
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  int in[2];
  if (::pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  const int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&fa, devnull, STDERR_FILENO);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(in[0]);
  ::close(devnull);
  if (rc != 0) {
    ::close(in[1]);
    throw std::runtime_error(std::string("cannot run ") + argv[0]);
  }
  // The hook reads all of stdin first; a child killed early may leave the pipe unread.
  std::signal(SIGPIPE, SIG_IGN);
  std::size_t off = 0;
  while (off < input.size()) {
    const ssize_t n = ::write(in[1], input.data() + off, input.size() - off);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  ::close(in[1]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  Child c;
  c.killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  if (WIFEXITED(status)) c.code = WEXITSTATUS(status);
  return c;
}

struct Counts {
  std::size_t writes = 0, journal_steps = 0;
};

// One prepare in process with the same code: how many writes and journal steps it takes.
Counts count_prepare() {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  Counts c;
  std::ostringstream err;
  hook::HookDeps deps{h.root(), k, HookConfig{}, err, [](const std::string&) {}};
  deps.journal_fault = [&c](JournalStep) {
    ++c.journal_steps;
    return 0;
  };
  const int rc = hook::run_hook({"guest", "prepare", "begin", "-"}, workstation_guest_xml(), deps);
  EXPECT_EQ(rc, 0) << err.str();
  c.writes = k.write_count();
  return c;
}

enum class Recovery { release, restore_all, start_again };

// After the crash: one of the ways back, each with its own checks.
void recover_and_check(const TempHost& h, Recovery how, const std::string& start,
                       const std::string& where) {
  KernelDouble k(h.root());
  std::ostringstream err;
  hook::HookDeps deps{h.root(), k, HookConfig{}, err, [](const std::string&) {}};
  deps.config.busy_retry = std::chrono::milliseconds(1);
  switch (how) {
    case Recovery::release:
      // libvirt runs stopped and release after a failed prepare.
      EXPECT_EQ(hook::run_hook({"guest", "stopped", "end", "-"}, workstation_guest_xml(), deps), 0)
          << where << ": " << err.str();
      EXPECT_EQ(hook::run_hook({"guest", "release", "end", "-"}, workstation_guest_xml(), deps), 0)
          << where << ": " << err.str();
      break;
    case Recovery::restore_all: {
      const test::CliResult r = test::run_command(h.dir(), [&](cli::Context& ctx) {
        ctx.use_sysfs(k);
        return cli::cmd_restore(ctx, {"--all"});
      });
      EXPECT_EQ(r.code, 0) << where << ": " << r.out << r.err;
      break;
    }
    case Recovery::start_again:
      // The next start undoes the leftovers first, then does the whole job.
      EXPECT_EQ(hook::run_hook({"guest", "prepare", "begin", "-"}, workstation_guest_xml(), deps),
                0)
          << where << ": " << err.str();
      EXPECT_TRUE(h.root().exists(std::string("/sys/bus/mdev/devices/") + kGuestMdev2)) << where;
      EXPECT_EQ(hook::run_hook({"guest", "release", "end", "-"}, workstation_guest_xml(), deps), 0)
          << where << ": " << err.str();
      break;
  }
  EXPECT_EQ(host_state(h.root()), start) << where;
  EXPECT_TRUE(Journal(h.root()).load().empty()) << where;
  EXPECT_TRUE(k.new_id_writes().empty());
}

const char* recovery_name(Recovery r) {
  switch (r) {
    case Recovery::release:
      return "release";
    case Recovery::restore_all:
      return "restore --all";
    case Recovery::start_again:
      return "prepare again, then release";
  }
  return "?";
}

TEST(Crash, TheSimulatedHookRunsAsAChild) {
  TempHost h = TempHost::copy_of("workstation");
  const std::string start = host_state(h.root());
  const Child ok = run_sim({"guest", "prepare", "begin", "-"}, workstation_guest_xml(),
                           {"PTAGENT_ROOT=" + h.dir()});
  ASSERT_FALSE(ok.killed);
  ASSERT_EQ(ok.code, 0);
  EXPECT_EQ(Journal(h.root()).load().size(), 4u);  // two mdevs, the GPU and its audio function
  EXPECT_NE(host_state(h.root()), start);
  const Child rel = run_sim({"guest", "release", "end", "-"}, workstation_guest_xml(),
                            {"PTAGENT_ROOT=" + h.dir()});
  EXPECT_EQ(rel.code, 0);
  EXPECT_EQ(host_state(h.root()), start);
}

TEST(Crash, KilledBeforeEachSysfsWriteOfPrepare) {
  const Counts counts = count_prepare();
  ASSERT_GE(counts.writes, 8u);
  const Recovery ways[] = {Recovery::release, Recovery::restore_all, Recovery::start_again};
  for (std::size_t n = 1; n <= counts.writes; ++n) {
    for (Recovery how : ways) {
      TempHost h = TempHost::copy_of("workstation");
      const std::string start = host_state(h.root());
      const Child c =
          run_sim({"guest", "prepare", "begin", "-"}, workstation_guest_xml(),
                  {"PTAGENT_ROOT=" + h.dir(), "PTAGENT_DOUBLE_KILL_AT_WRITE=" + std::to_string(n)});
      const std::string where =
          "killed at write " + std::to_string(n) + ", then " + recovery_name(how);
      ASSERT_TRUE(c.killed) << where << " (exit " << c.code << ")";
      recover_and_check(h, how, start, where);
    }
  }
  std::cout << "[ crash ] " << counts.writes << " kill points at sysfs writes, 3 recoveries each\n";
}

TEST(Crash, KilledAtEachJournalStepOfPrepare) {
  const Counts counts = count_prepare();
  ASSERT_GE(counts.journal_steps, 10u);
  const Recovery ways[] = {Recovery::release, Recovery::restore_all, Recovery::start_again};
  for (std::size_t n = 1; n <= counts.journal_steps; ++n) {
    for (Recovery how : ways) {
      TempHost h = TempHost::copy_of("workstation");
      const std::string start = host_state(h.root());
      const Child c = run_sim(
          {"guest", "prepare", "begin", "-"}, workstation_guest_xml(),
          {"PTAGENT_ROOT=" + h.dir(), "PTAGENT_SIM_KILL_AT_JOURNAL_STEP=" + std::to_string(n)});
      const std::string where =
          "killed at journal step " + std::to_string(n) + ", then " + recovery_name(how);
      ASSERT_TRUE(c.killed) << where << " (exit " << c.code << ")";
      recover_and_check(h, how, start, where);
    }
  }
  std::cout << "[ crash ] " << counts.journal_steps
            << " kill points at journal steps, 3 recoveries each\n";
}

}  // namespace
