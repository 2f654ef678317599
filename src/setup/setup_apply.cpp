#include "setup/setup_apply.hpp"

#include <ctime>

#include "error.hpp"
#include "setup/command_runner.hpp"
#include "setup/etc_files.hpp"
#include "setup/unified_diff.hpp"
#include "sysfs/root.hpp"
#include "util/utc_time.hpp"

namespace ptagent {

namespace {

std::string tail(const std::string& output, std::size_t lines) {
  std::size_t pos = output.size();
  std::size_t n = 0;
  while (pos > 0 && n <= lines) {
    pos = output.rfind('\n', pos - 1);
    if (pos == std::string::npos) {
      pos = 0;
      break;
    }
    ++n;
  }
  std::string out = output.substr(pos == 0 ? 0 : pos + 1);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

void put_back(const Root& root, const FileEdit& e) {
  if (e.before) {
    write_file_atomic(root, e.path, *e.before);
  } else {
    remove_file(root, e.path);
  }
}

}  // namespace

std::string describe_plan(const SetupPlan& plan) {
  std::string out;
  for (const auto& f : plan.files) out += unified_diff(f.path, f.before, f.after);
  for (const auto& c : plan.commands) out += "would run: " + command_text(c.argv) + "\n";
  return out;
}

ApplyReport apply_setup(const Root& root, const SetupPlan& plan, CommandRunner* runner) {
  ApplyReport report;
  const std::string when = utc_stamp();
  // Nothing is written before every directory is known to be writable.
  // The targets first: a refusal there leaves not even a backup directory behind.
  for (const auto& f : plan.files) ensure_writable_dir_for(root, f.path);
  for (const auto& f : plan.files) {
    if (f.foreign && f.before) ensure_writable_dir_for(root, std::string(kSetupBackupDir) + f.path);
  }
  for (const auto& f : plan.files) {
    if (!f.foreign || !f.before) continue;
    const std::string backup = std::string(kSetupBackupDir) + f.path + "." + when;
    write_file_atomic(root, backup, *f.before);
    report.backups.push_back(backup);
  }
  std::vector<const FileEdit*> done;
  auto rollback_files = [&] {
    std::string problems;
    for (auto it = done.rbegin(); it != done.rend(); ++it) {
      try {
        put_back(root, **it);
      } catch (const Error& e) {
        problems += std::string("; could not put back ") + (*it)->path + ": " + e.cause();
      }
    }
    return problems;
  };
  try {
    for (const auto& f : plan.files) {
      if (f.after) {
        write_file_atomic(root, f.path, *f.after);
      } else {
        remove_file(root, f.path);
      }
      done.push_back(&f);
      report.written.push_back(f.path);
    }
  } catch (const Error& e) {
    const std::string problems = rollback_files();
    throw Error(e.kind(), e.reason(), e.object(), e.cause() + problems,
                e.hint().empty() ? "the files written before were put back" : e.hint(),
                e.sys_errno());
  }
  if (!runner) {
    for (const auto& c : plan.commands) report.not_run.push_back(command_text(c.argv));
    return report;
  }
  std::vector<const SetupCommand*> ran;
  for (const auto& c : plan.commands) {
    const CommandResult r = runner->run(c.argv);
    if (r.exit_code == 0) {
      ran.push_back(&c);
      report.ran.push_back(command_text(c.argv));
      continue;
    }
    if (c.best_effort) {
      const std::string shown = tail(r.output, 5);
      report.warnings.push_back(command_text(c.argv) + " exited with status " +
                                std::to_string(r.exit_code) +
                                (shown.empty() ? std::string() : ": " + shown) +
                                " (the change is written and takes effect when it next starts)");
      continue;
    }
    // Undo: files back first, then the commands that changed something, then the
    // regenerations again from the restored files.
    std::string problems = rollback_files();
    for (auto it = ran.rbegin(); it != ran.rend(); ++it) {
      if (!(*it)->undo.empty()) {
        const auto u = runner->run((*it)->undo);
        if (u.exit_code != 0) problems += "; undo '" + command_text((*it)->undo) + "' failed";
      }
    }
    for (const auto* p : ran) {
      if (p->regenerates) {
        const auto again = runner->run(p->argv);
        if (again.exit_code != 0) {
          problems +=
              "; '" + command_text(p->argv) + "' failed again after the files were put back";
        }
      }
    }
    const std::string shown = tail(r.output, 20);
    throw_failed(command_text(c.argv),
                 "exited with status " + std::to_string(r.exit_code) +
                     (shown.empty() ? std::string(" and printed nothing") : ":\n" + shown) +
                     problems,
                 "nothing was changed: every file was put back as it was; fix what the command "
                 "reports and run the setup again");
  }
  return report;
}

}  // namespace ptagent
