// Carrying out a setup plan all or nothing: every target directory checked writable first, each
// foreign file backed up (/etc/ptagent/backup), every file replaced atomically, then the commands
// (item commands, then each regeneration once). A failure puts every file back, undoes the
// commands that ran, runs the regenerations that had succeeded again so that the boot files match
// the restored configuration, and throws an Error that shows the failed command's output.
#pragma once

#include <string>
#include <vector>

#include "setup/setup_plan.hpp"

namespace ptagent {

class Root;
class CommandRunner;

struct ApplyReport {
  std::vector<std::string> written;   // files written or removed
  std::vector<std::string> backups;   // backup copies made
  std::vector<std::string> ran;       // commands run, in order
  std::vector<std::string> not_run;   // commands left to the administrator (no runner)
  std::vector<std::string> warnings;  // best-effort commands that failed, with their output
};

// `runner` nullptr: the files are written and the commands are listed in not_run (a simulated
// host without a stub PATH never runs the host's real programs).
ApplyReport apply_setup(const Root& root, const SetupPlan& plan, CommandRunner* runner);

// The dry-run text: every file's unified diff, then the commands that would run.
std::string describe_plan(const SetupPlan& plan);

}  // namespace ptagent
