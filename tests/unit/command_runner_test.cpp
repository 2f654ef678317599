// command_runner: ProcessRunner runs only programs on its own search path (with that PATH and
// LC_ALL=C, stdin from /dev/null), reports 127 for a program it cannot start, captures stdout and
// stderr together; command_text quotes words for a shell.
#include "setup/command_runner.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::TempHost;
namespace fs = std::filesystem;

namespace {

std::string script(const std::string& dir, const std::string& name, const std::string& body,
                   unsigned mode = 0755) {
  fs::create_directories(dir);
  const std::string path = dir + "/" + name;
  std::ofstream(path) << "#!/bin/sh\n" << body;
  ::chmod(path.c_str(), mode);
  return path;
}

}  // namespace

TEST(CommandRunner, CommandTextQuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(command_text({"update-initramfs", "-u", "-k", "all"}), "update-initramfs -u -k all");
  EXPECT_EQ(command_text({"grub2-mkconfig", "-o", "/boot/grub2/grub.cfg"}),
            "grub2-mkconfig -o /boot/grub2/grub.cfg");
  EXPECT_EQ(command_text({"grubby", "--update-kernel=ALL", "--args=intel_iommu=on iommu=pt"}),
            "grubby --update-kernel=ALL '--args=intel_iommu=on iommu=pt'");
  EXPECT_EQ(command_text({"echo", "it's"}), "echo 'it'\\''s'");
  EXPECT_EQ(command_text({"echo", ""}), "echo ''");
  EXPECT_EQ(command_text({"echo", "$HOME", "a;b", "*"}), "echo '$HOME' 'a;b' '*'");
  EXPECT_EQ(command_text({}), "");
}

TEST(CommandRunner, RunsAProgramOnItsPathWithAPrivateEnvironment) {
  TempHost h = TempHost::empty();
  const std::string bin = h.dir() + "/bin";
  script(bin, "probe",
         "echo \"args:$1|$2\"\n"
         "echo \"PATH=$PATH LC_ALL=$LC_ALL HOME=${HOME-unset}\"\n"
         "echo to-stderr >&2\n"
         "if read line; then echo \"stdin:$line\"; else echo stdin-empty; fi\n"
         "exit 3\n");
  ProcessRunner runner(bin);
  EXPECT_EQ(runner.search_path(), bin);
  const CommandResult r = runner.run({"probe", "a b", "c"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.output,
            "args:a b|c\n"
            "PATH=" +
                bin +
                " LC_ALL=C HOME=unset\n"
                "to-stderr\n"
                "stdin-empty\n");
}

TEST(CommandRunner, SearchesEachDirectoryOfThePathInOrder) {
  TempHost h = TempHost::empty();
  script(h.dir() + "/first", "tool", "echo first\n");
  script(h.dir() + "/second", "tool", "echo second\n");
  script(h.dir() + "/second", "other", "echo other\n");
  ProcessRunner runner("::" + h.dir() + "/missing:" + h.dir() + "/first:" + h.dir() + "/second");
  EXPECT_EQ(runner.run({"tool"}).output, "first\n");
  const CommandResult other = runner.run({"other"});
  EXPECT_EQ(other.exit_code, 0);
  EXPECT_EQ(other.output, "other\n");
}

TEST(CommandRunner, AProgramOffThePathIsNotRun) {
  TempHost h = TempHost::empty();
  fs::create_directories(h.dir() + "/bin");
  ProcessRunner runner(h.dir() + "/bin");
  // `true` is in /bin of the build machine, but not on this runner's path.
  const CommandResult r = runner.run({"true"});
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_NE(r.output.find("true"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(h.dir() + "/bin"), std::string::npos) << "names the path: " << r.output;

  EXPECT_EQ(ProcessRunner("").run({"true"}).exit_code, 127);
  EXPECT_EQ(runner.run({}).exit_code, 127);
}

TEST(CommandRunner, ANonExecutableFileIsNotAProgram) {
  TempHost h = TempHost::empty();
  script(h.dir() + "/bin", "tool", "echo ran\n", 0644);
  const CommandResult r = ProcessRunner(h.dir() + "/bin").run({"tool"});
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_EQ(r.output.find("ran"), std::string::npos);
}

TEST(CommandRunner, AProgramThatCannotBeExecutedExits127) {
  TempHost h = TempHost::empty();
  const std::string bin = h.dir() + "/bin";
  fs::create_directories(bin);
  const std::string path = bin + "/broken";
  std::ofstream(path) << "#!/nonexistent/interpreter\n";
  ::chmod(path.c_str(), 0755);
  const CommandResult r = ProcessRunner(bin).run({"broken"});
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_NE(r.output.find("exec failed"), std::string::npos) << r.output;
}

TEST(CommandRunner, ASignalIsReportedAs128PlusItsNumber) {
  TempHost h = TempHost::empty();
  script(h.dir() + "/bin", "dies", "echo before\nkill -9 $$\n");
  const CommandResult r = ProcessRunner(h.dir() + "/bin").run({"dies"});
  EXPECT_EQ(r.exit_code, 128 + 9);
  EXPECT_EQ(r.output, "before\n");
}

TEST(CommandRunner, CapturesMoreOutputThanAPipeHolds) {
  TempHost h = TempHost::empty();
  script(h.dir() + "/bin", "chatty",
         "i=0\nwhile [ $i -lt 20000 ]; do echo 0123456789; i=$((i+1)); done\n");
  const CommandResult r = ProcessRunner(h.dir() + "/bin").run({"chatty"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output.size(), 20000u * 11u);
}

// filter: input on stdin, stdout and stderr apart (dot -Tsvg's way of being run).
TEST(CommandRunner, FilterFeedsStdinAndKeepsStderrApart) {
  TempHost h = TempHost::empty();
  const std::string bin = h.dir() + "/bin";
  script(bin, "upper", "/usr/bin/tr a-z A-Z\necho warned >&2\nexit 0\n");
  ProcessRunner runner(bin);
  const FilterResult r = runner.filter({"upper"}, "digraph g {}\n");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, "DIGRAPH G {}\n");
  EXPECT_EQ(r.errors, "warned\n");
  // Larger than a pipe's buffer both ways: nothing waits on anybody.
  const std::string big(1 << 20, 'x');
  const FilterResult b = ProcessRunner(bin).filter({"upper"}, big);
  EXPECT_EQ(b.output.size(), big.size());
  EXPECT_TRUE(b.output == std::string(1 << 20, 'X'));
}

TEST(CommandRunner, FilterReportsAMissingProgramAndTheExitCode) {
  TempHost h = TempHost::empty();
  const std::string bin = h.dir() + "/bin";
  const FilterResult missing = ProcessRunner(bin).filter({"dot", "-Tsvg"}, "x");
  EXPECT_EQ(missing.exit_code, 127);
  EXPECT_EQ(missing.output, "");
  EXPECT_NE(missing.errors.find("dot: not found in " + bin), std::string::npos);
  script(bin, "fails", "read -r line\necho 'syntax error in line 1' >&2\nexit 1\n");
  const FilterResult r = ProcessRunner(bin).filter({"fails"}, "x");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.errors, "syntax error in line 1\n");
}
