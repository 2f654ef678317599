// setup_apply: a plan carried out all or nothing on a temp host, with a recording CommandRunner:
// backups of foreign files, files then commands in order, and on a failing command every file
// put back, the undo commands run in reverse, the regenerations run again, and an error that
// shows the command's output.
#include "setup/setup_apply.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "error.hpp"
#include "setup/command_runner.hpp"
#include "support/error_of.hpp"
#include "support/file_text.hpp"
#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::error_of;
using ptagent::testing::slurp;
using ptagent::testing::TempHost;
using V = std::vector<std::string>;
namespace fs = std::filesystem;

namespace {

// Records every command; the ones in `fail` exit 1 with `output`.
class RecordingRunner : public CommandRunner {
 public:
  explicit RecordingRunner(std::set<std::string> fail = {}, std::string output = {})
      : fail_(std::move(fail)), output_(std::move(output)) {}
  CommandResult run(const std::vector<std::string>& argv) override {
    const std::string text = command_text(argv);
    calls.push_back(text);
    if (fail_.count(text)) return {1, output_};
    return {0, "ok\n"};
  }
  V calls;

 private:
  std::set<std::string> fail_;
  std::string output_;
};

// New file, foreign edited file, removed file; item commands then two regenerations.
SetupPlan sample_plan() {
  SetupPlan p;
  p.files.push_back({"/etc/modprobe.d/ptagent.conf", std::nullopt,
                     std::string("options vfio-pci ids=10de:1b80\n"), false});
  p.files.push_back({"/etc/initramfs-tools/modules", std::string("# modules\nraid1\n"),
                     std::string("# modules\nraid1\nvfio_pci\n"), true});
  p.files.push_back(
      {"/etc/udev/rules.d/old.rules", std::string("old rule\n"), std::nullopt, false});
  p.commands.push_back({{"udevadm", "control", "--reload"}, {}, false});
  p.commands.push_back({{"mdevctl", "define", "--auto", "--uuid", "u1"},
                        {"mdevctl", "undefine", "--uuid", "u1"},
                        false});
  p.commands.push_back({{"update-initramfs", "-u", "-k", "all"}, {}, true});
  p.commands.push_back({{"update-grub"}, {}, true});
  return p;
}

void prepare(const TempHost& h) {
  h.put("/etc/initramfs-tools/modules", "# modules\nraid1\n");
  h.put("/etc/udev/rules.d/old.rules", "old rule\n");
}

void expect_untouched(const TempHost& h) {
  EXPECT_FALSE(fs::exists(h.real("/etc/modprobe.d/ptagent.conf")));
  EXPECT_EQ(slurp(h.real("/etc/initramfs-tools/modules")), "# modules\nraid1\n");
  EXPECT_EQ(slurp(h.real("/etc/udev/rules.d/old.rules")), "old rule\n");
}

}  // namespace

TEST(SetupApply, WritesBacksUpAndRunsInOrder) {
  TempHost h = TempHost::empty();
  prepare(h);
  RecordingRunner runner;
  const ApplyReport r = apply_setup(h.root(), sample_plan(), &runner);
  EXPECT_EQ(slurp(h.real("/etc/modprobe.d/ptagent.conf")), "options vfio-pci ids=10de:1b80\n");
  EXPECT_EQ(slurp(h.real("/etc/initramfs-tools/modules")), "# modules\nraid1\nvfio_pci\n");
  EXPECT_FALSE(fs::exists(h.real("/etc/udev/rules.d/old.rules")));
  EXPECT_EQ(r.written, (V{"/etc/modprobe.d/ptagent.conf", "/etc/initramfs-tools/modules",
                          "/etc/udev/rules.d/old.rules"}));
  const V expected = {"udevadm control --reload", "mdevctl define --auto --uuid u1",
                      "update-initramfs -u -k all", "update-grub"};
  EXPECT_EQ(runner.calls, expected);
  EXPECT_EQ(r.ran, expected);
  EXPECT_TRUE(r.not_run.empty());
  ASSERT_EQ(r.backups.size(), 1u) << "only the foreign file that existed";
  EXPECT_EQ(r.backups[0].rfind("/etc/ptagent/backup/etc/initramfs-tools/modules.", 0), 0u)
      << r.backups[0];
  EXPECT_EQ(slurp(h.real(r.backups[0])), "# modules\nraid1\n");
}

TEST(SetupApply, WithoutARunnerTheCommandsAreListedNotRun) {
  TempHost h = TempHost::empty();
  prepare(h);
  const ApplyReport r = apply_setup(h.root(), sample_plan(), nullptr);
  EXPECT_EQ(r.written.size(), 3u);
  EXPECT_TRUE(r.ran.empty());
  EXPECT_EQ(r.not_run, (V{"udevadm control --reload", "mdevctl define --auto --uuid u1",
                          "update-initramfs -u -k all", "update-grub"}));
  EXPECT_EQ(slurp(h.real("/etc/modprobe.d/ptagent.conf")), "options vfio-pci ids=10de:1b80\n");
}

TEST(SetupApply, AFailingCommandRollsEverythingBack) {
  TempHost h = TempHost::empty();
  prepare(h);
  RecordingRunner runner({"update-grub"},
                         "Generating grub configuration file ...\n"
                         "error: out of disk space\n");
  const Error e = error_of([&] { apply_setup(h.root(), sample_plan(), &runner); });
  EXPECT_EQ(e.kind(), ErrorKind::failed);
  EXPECT_EQ(e.object(), "update-grub");
  EXPECT_NE(e.cause().find("exited with status 1"), std::string::npos) << e.cause();
  EXPECT_NE(e.cause().find("error: out of disk space"), std::string::npos) << e.cause();
  EXPECT_NE(e.hint().find("nothing was changed"), std::string::npos) << e.hint();
  expect_untouched(h);
  // The undo of the item command, then the regeneration that had succeeded, from the restored
  // files; the failed one is not run again and udevadm has nothing to undo.
  EXPECT_EQ(runner.calls, (V{"udevadm control --reload", "mdevctl define --auto --uuid u1",
                             "update-initramfs -u -k all", "update-grub",
                             "mdevctl undefine --uuid u1", "update-initramfs -u -k all"}));
}

TEST(SetupApply, UndoRunsInReverseOrder) {
  TempHost h = TempHost::empty();
  SetupPlan p;
  p.commands.push_back({{"a"}, {"undo-a"}, false});
  p.commands.push_back({{"b"}, {"undo-b"}, false});
  p.commands.push_back({{"c"}, {"undo-c"}, false});
  RecordingRunner runner({"c"});
  error_of([&] { apply_setup(h.root(), p, &runner); });
  EXPECT_EQ(runner.calls, (V{"a", "b", "c", "undo-b", "undo-a"}));
}

TEST(SetupApply, AFailingFirstCommandUndoesNothingButTheFiles) {
  TempHost h = TempHost::empty();
  prepare(h);
  RecordingRunner runner({"udevadm control --reload"});
  const Error e = error_of([&] { apply_setup(h.root(), sample_plan(), &runner); });
  EXPECT_NE(e.cause().find("printed nothing"), std::string::npos) << e.cause();
  EXPECT_EQ(runner.calls, (V{"udevadm control --reload"}));
  expect_untouched(h);
}

TEST(SetupApply, FailedUndoAndRegenerationAreReported) {
  TempHost h = TempHost::empty();
  SetupPlan p;
  p.commands.push_back({{"define"}, {"undefine"}, false});
  p.commands.push_back({{"regen"}, {}, true});
  p.commands.push_back({{"last"}, {}, false});
  // "regen" succeeds the first time only.
  class Flaky : public CommandRunner {
   public:
    CommandResult run(const std::vector<std::string>& argv) override {
      const std::string t = command_text(argv);
      calls.push_back(t);
      if (t == "regen") return {regen_runs++ == 0 ? 0 : 2, ""};
      if (t == "last" || t == "undefine") return {1, "boom\n"};
      return {0, ""};
    }
    int regen_runs = 0;
    V calls;
  } runner;
  const Error e = error_of([&] { apply_setup(h.root(), p, &runner); });
  EXPECT_EQ(e.object(), "last");
  EXPECT_NE(e.cause().find("boom"), std::string::npos) << e.cause();
  EXPECT_NE(e.cause().find("undo 'undefine' failed"), std::string::npos) << e.cause();
  EXPECT_NE(e.cause().find("'regen' failed again"), std::string::npos) << e.cause();
  EXPECT_EQ(runner.calls, (V{"define", "regen", "last", "undefine", "regen"}));
}

TEST(SetupApply, OnlyTheLast20LinesOfOutputAreShown) {
  TempHost h = TempHost::empty();
  std::string out;
  for (int i = 1; i <= 30; ++i) out += "line " + std::to_string(i) + "\n";
  SetupPlan p;
  p.commands.push_back({{"noisy"}, {}, false});
  RecordingRunner runner({"noisy"}, out);
  const Error e = error_of([&] { apply_setup(h.root(), p, &runner); });
  EXPECT_EQ(e.cause().find("line 10\n"), std::string::npos) << e.cause();
  EXPECT_NE(e.cause().find(":\nline 11\n"), std::string::npos) << e.cause();
  EXPECT_EQ(e.cause().substr(e.cause().size() - 7), "line 30") << "trailing newline trimmed";
}

TEST(SetupApply, AnUnwritableDirectoryStopsItBeforeAnythingIsWritten) {
  TempHost h = TempHost::empty();
  prepare(h);
  SetupPlan p = sample_plan();
  // The last file's directory is a regular file: found before the first file is written.
  fs::remove_all(h.real("/etc/udev/rules.d"));
  h.put("/etc/udev/rules.d", "a file in the way\n");
  p.files.back() = {"/etc/udev/rules.d/ptagent-vfio.rules", std::nullopt, std::string("x\n"),
                    false};
  RecordingRunner runner;
  const Error e = error_of([&] { apply_setup(h.root(), p, &runner); });
  EXPECT_EQ(e.kind(), ErrorKind::failed);
  EXPECT_NE(e.object().find("/etc/udev/rules.d"), std::string::npos) << e.object();
  EXPECT_FALSE(fs::exists(h.real("/etc/modprobe.d/ptagent.conf")));
  EXPECT_EQ(slurp(h.real("/etc/initramfs-tools/modules")), "# modules\nraid1\n");
  EXPECT_FALSE(fs::exists(h.real("/etc/ptagent/backup"))) << "not even a backup";
  EXPECT_TRUE(runner.calls.empty());
}

TEST(SetupApply, AFileThatCannotBeWrittenPutsTheEarlierOnesBack) {
  TempHost h = TempHost::empty();
  prepare(h);
  SetupPlan p = sample_plan();
  // The third file is a symlink: refused when it is written, after the first two were.
  fs::remove(h.real("/etc/udev/rules.d/old.rules"));
  fs::create_symlink("/dev/null", h.real("/etc/udev/rules.d/old.rules"));
  p.files.back() = {"/etc/udev/rules.d/old.rules", std::nullopt, std::string("new\n"), false};
  RecordingRunner runner;
  const Error e = error_of([&] { apply_setup(h.root(), p, &runner); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_FALSE(fs::exists(h.real("/etc/modprobe.d/ptagent.conf")));
  EXPECT_EQ(slurp(h.real("/etc/initramfs-tools/modules")), "# modules\nraid1\n");
  EXPECT_TRUE(fs::is_symlink(h.real("/etc/udev/rules.d/old.rules")));
  EXPECT_TRUE(runner.calls.empty()) << "no command runs after a file failed";
}

TEST(SetupApply, AnEmptyPlanDoesNothing) {
  TempHost h = TempHost::empty();
  RecordingRunner runner;
  const ApplyReport r = apply_setup(h.root(), SetupPlan{}, &runner);
  EXPECT_TRUE(r.written.empty());
  EXPECT_TRUE(r.ran.empty());
  EXPECT_TRUE(runner.calls.empty());
  EXPECT_FALSE(fs::exists(h.real("/etc")));
}

TEST(SetupApply, DescribePlanShowsDiffsThenCommands) {
  const std::string d = describe_plan(sample_plan());
  EXPECT_EQ(d.rfind("--- /dev/null\n+++ /etc/modprobe.d/ptagent.conf\n", 0), 0u) << d;
  EXPECT_NE(d.find(" raid1\n+vfio_pci\n"), std::string::npos) << d;
  EXPECT_NE(d.find("--- /etc/udev/rules.d/old.rules\n+++ /dev/null\n"), std::string::npos) << d;
  const auto cmds = d.find("would run: udevadm control --reload\n");
  ASSERT_NE(cmds, std::string::npos) << d;
  EXPECT_GT(cmds, d.find("-old rule\n"));
  EXPECT_EQ(d.substr(d.size() - 23), "would run: update-grub\n");
  EXPECT_EQ(describe_plan(SetupPlan{}), "");
}

TEST(SetupApply, AFailingBestEffortCommandIsAWarningNotARollback) {
  // udevadm control --reload with no udevd running (found on the real-kernel bench): the rules
  // are read when udevd starts, so the files stay and the rest runs.
  TempHost h = TempHost::empty();
  prepare(h);
  SetupPlan p = sample_plan();
  p.commands[0].best_effort = true;
  RecordingRunner runner({"udevadm control --reload"},
                         "Failed to send reload request: No such file or directory\n");
  const ApplyReport r = apply_setup(h.root(), p, &runner);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("udevadm control --reload exited with status 1"), std::string::npos)
      << r.warnings[0];
  EXPECT_NE(r.warnings[0].find("No such file or directory"), std::string::npos) << r.warnings[0];
  EXPECT_EQ(slurp(h.real("/etc/modprobe.d/ptagent.conf")), "options vfio-pci ids=10de:1b80\n");
  EXPECT_EQ(r.ran,
            (V{"mdevctl define --auto --uuid u1", "update-initramfs -u -k all", "update-grub"}));
}
