// The one way setup runs host programs (update-grub, update-initramfs, dracut, grubby,
// proxmox-boot-tool, kernel-install, mdevctl, udevadm): an interface, so that tests record the
// calls or put stub programs on a private PATH, and a simulated host never runs the real ones.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ptagent {

struct CommandResult {
  int exit_code = 0;   // the program's exit status; 127 when it could not be started
  std::string output;  // stdout and stderr together, as a terminal would show them
};

// What a filter program (input on stdin, result on stdout) gave.
struct FilterResult {
  int exit_code = 0;   // 127 when it could not be started
  std::string output;  // stdout
  std::string errors;  // stderr, or why it could not be started
};

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  virtual CommandResult run(const std::vector<std::string>& argv) = 0;
};

// Runs programs found only in `search_path` (a PATH-style list of directories), with that PATH
// and LC_ALL=C in the environment, stdin from /dev/null, output captured.
class ProcessRunner : public CommandRunner {
 public:
  explicit ProcessRunner(std::string search_path);
  CommandResult run(const std::vector<std::string>& argv) override;
  // The same for a program that reads its input from stdin and writes its result to stdout
  // (`dot -Tsvg`): `input` on its stdin, its stdout in output and its stderr in errors, apart.
  FilterResult filter(const std::vector<std::string>& argv, std::string_view input);
  const std::string& search_path() const { return path_; }

 private:
  std::string path_;
};

// "update-initramfs -u -k all", each word quoted for a shell when it needs to be.
std::string command_text(const std::vector<std::string>& argv);

}  // namespace ptagent
