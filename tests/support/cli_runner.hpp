// Drives the CLI in-process (whole command lines, or one command with a test SysfsWriter) and
// compares output with golden files.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace ptagent {
class SysfsWriter;
}
namespace ptagent::cli {
class Context;
}

namespace ptagent::test {

struct CliResult {
  int code = 0;
  std::string out;
  std::string err;
};

// Runs `ptagent ARGS…` (argv[0] is added) with `input` on stdin.
CliResult run_cli(const std::vector<std::string>& args, const std::string& input = {});

// Runs one command's handler as `ptagent --root ROOT [--json] [--dry-run] …` would, for the
// handlers that take their SysfsWriter (a kernel double) from the caller: `command` gets the
// Context and returns the exit code; an Error it throws is printed (message and fix) and gives
// the exit code, as in cli::run. Nothing on stdin.
CliResult run_command(const std::string& root, const std::function<int(cli::Context&)>& command,
                      bool json = false, bool dry_run = false);

// The same for a handler that takes only the writer: `handler(ctx, args)` with ctx using `writer`.
using Handler = int (*)(cli::Context&, const std::vector<std::string>&);
CliResult run_with_writer(const std::string& root, SysfsWriter& writer, Handler handler,
                          const std::vector<std::string>& args, bool json = false,
                          bool dry_run = false);

// A command line that must fail: its exit code and a part of what it prints on stderr.
struct CliFailure {
  std::vector<std::string> args;
  int code;
  const char* message;
};

// Runs `ptagent --root ROOT ARGS…` for each case and expects its exit code and message; with
// stdout_empty, also that it printed nothing on stdout. A case with --json expects the error as
// JSON on stdout holding the message, and nothing on stderr.
void expect_cli_failures(const std::string& root, const std::vector<CliFailure>& cases,
                         bool stdout_empty = false);

// Path of a committed simulated host: fixture_host("workstation").
std::string fixture_host(const std::string& name);

// Compares `actual` with tests/golden/RELPATH; with PTAGENT_UPDATE_GOLDEN=1 rewrites the file.
void expect_golden(const std::string& relpath, const std::string& actual);

}  // namespace ptagent::test
