// The CLI's shared context and entry point. Handlers write to ctx.out / ctx.err only.
#pragma once

#include <boost/program_options.hpp>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "error.hpp"
#include "ops/journal.hpp"

namespace ptagent {
class Clock;
class LibvirtClient;
class Root;
class SysfsWriter;
struct Effects;
struct WaitLimits;
}  // namespace ptagent

namespace ptagent::cli {

struct GlobalOptions {
  std::string root = "/";
  bool json = false;
  bool dry_run = false;
  std::string connect = "qemu:///system";
  bool connect_given = false;  // --connect was on the command line
};

class Context {
 public:
  Context(GlobalOptions global, std::ostream& out, std::ostream& err, std::istream& in);
  ~Context();
  GlobalOptions global;
  std::ostream& out;
  std::ostream& err;
  std::istream& in;
  // out is a terminal (run() sets it when out is std::cout and stdout is a tty): colour may go.
  bool terminal = false;
  // The host root, opened on first use (throws Error(usage) if --root is not a directory).
  const Root& root();
  void warn(const std::string& message);
  // The state journal under the root (/run/ptagent), with the effects' journal fault seam.
  Journal journal();

  // Every side effect of a command (domain/effects.hpp), built once at the first use from the
  // real parts: the sysfs writer on root() (opened at the first write, so --help and bad input
  // never open the root), libvirt, the system clock. A test gives its doubles before it runs a
  // command handler.
  Effects& effects();
  void use_sysfs(SysfsWriter& writer);
  void use_libvirt(LibvirtClient& libvirt);
  void use_clock(Clock& clock);
  void use_settle(const WaitLimits& limits);
  void use_journal_fault(JournalFault fault);

 private:
  struct Seams;
  std::unique_ptr<Root> root_;
  std::unique_ptr<Seams> seams_;
};

// Commands that act through libvirt check the devices under --root but libvirtd acts on the real
// host: with a --root other than /, refuses (Error(usage), exit 2) unless --connect names the
// libvirt to use. `what` names the command ("detach").
void require_explicit_connect(Context& ctx, const std::string& what);
// The line their --help says it with.
inline constexpr const char* kRootNeedsConnect =
    "With --root DIR (a simulated host), an explicit --connect URI is required: libvirt acts on "
    "the real host.\n";

using Args = std::vector<std::string>;
using Handler = int (*)(Context&, const Args&);

struct Command {
  const char* name;
  const char* synopsis;  // "DEVICE [--json]"
  const char* summary;   // one line for `ptagent --help`
  Handler handler;
};

const std::vector<Command>& commands();
// The table entry of one command by name (for its help text).
const Command& command(const std::string& name);

// Parses a subcommand's options (the global ones are already removed). Prints help and returns
// false for --help; throws Error(usage) on bad options.
namespace po = boost::program_options;
bool parse_options(Context& ctx, const Command& cmd, po::options_description& desc,
                   const po::positional_options_description& positional, const Args& args,
                   po::variables_map& vm, const std::string& details = {});

// How the CLI spells an input the core names: its flag (--vfs for the VF count).
std::optional<std::string> flag_of(Input input);
// An error as the CLI prints it: "ptagent: error: OBJECT: cause" and "  fix: hint".
std::string report_error(const Error& e);
// The same error for a script (--json): {"error": {"code": reason_name(), "object", "cause",
// "fix"}} (an absent object or fix is null), the inputs spelled as flags, one line.
std::string error_json(const Error& e);
// How a command's error reaches its caller: with --json the JSON on `out`, else the report on
// `err`. The exit code is e.exit_code() either way.
void print_error(const GlobalOptions& global, std::ostream& out, std::ostream& err, const Error& e);

// Entry point used by main() and the tests. Returns the exit code.
int run(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err,
        std::istream& in);

}  // namespace ptagent::cli
