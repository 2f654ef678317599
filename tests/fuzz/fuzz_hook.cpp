// The qemu hook's entry point in process, as libvirt drives it: argv (NAME OPERATION SUB-OPERATION
// EXTRA) and the domain XML on stdin, against a copy of the simulated workstation whose sysfs
// writes go to the kernel double.
//
// Input: the arguments separated by NUL bytes, then two NUL bytes, then stdin (no "\0\0": all of
// it is argv and stdin is empty). Invariants after each run: the exit code is 0, 1 or 2; a prepare
// that fails leaves the host and the journal as they were; whatever a run changed, release of the
// same document undoes, leaving the host as it started; ptagent never writes new_id.
#include <filesystem>
#include <memory>
#include <sstream>

#include "fuzz_check.hpp"
#include "hooks/hook.hpp"
#include "ops/journal.hpp"
#include "support/kernel_double.hpp"
#include "support/temp_host.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
using ptagent::testing::host_state;
using ptagent::testing::KernelDouble;
using ptagent::testing::TempHost;

namespace {

struct Sim {
  std::unique_ptr<TempHost> host;
  std::unique_ptr<KernelDouble> kernel;
  std::string start;
  void reset() {
    kernel.reset();
    host = std::make_unique<TempHost>(TempHost::copy_of("workstation"));
    kernel = std::make_unique<KernelDouble>(host->root());
    start = host_state(host->root());
  }
};

Sim& sim() {
  static Sim s = [] {
    Sim x;
    x.reset();
    return x;
  }();
  return s;
}

int run(Sim& s, const std::vector<std::string>& args, std::string_view xml, std::string& err) {
  std::ostringstream out;
  hook::HookDeps deps{s.host->root(), *s.kernel, HookConfig{}, out, [](const std::string&) {}};
  deps.config.busy_retry = std::chrono::milliseconds(1);
  const int rc = hook::run_hook(args, xml, deps);
  err = out.str();
  return rc;
}

std::size_t journal_size(const Sim& s) {
  try {
    return Journal(s.host->root()).load().size();
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, std::string("the journal the hook wrote is unreadable: ") + e.what());
  }
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzz_text(data, size);
  const auto split = input.find(std::string_view("\0\0", 2));
  const std::string_view argv_part = input.substr(0, split);
  const std::string_view xml =
      split == std::string_view::npos ? std::string_view() : input.substr(split + 2);
  std::vector<std::string> args;
  for (std::size_t pos = 0; pos <= argv_part.size() && args.size() < 8;) {
    const auto nul = argv_part.find('\0', pos);
    const auto end = nul == std::string_view::npos ? argv_part.size() : nul;
    args.emplace_back(argv_part.substr(pos, end - pos));
    pos = end + 1;
  }

  Sim& s = sim();
  std::string err;
  const int rc = run(s, args, xml, err);
  FUZZ_CHECK(rc == 0 || rc == 1 || rc == 2, "exit code " + std::to_string(rc));
  FUZZ_CHECK(s.kernel->new_id_writes().empty(), "the hook wrote new_id");
  const hook::Invocation inv = hook::parse_invocation(args);
  if (inv.op == hook::Operation::prepare && rc != 0) {
    FUZZ_CHECK(host_state(s.host->root()) == s.start, "a failed prepare changed the host: " + err);
    FUZZ_CHECK(journal_size(s) == 0, "a failed prepare left journal entries: " + err);
  }
  if (s.kernel->write_count() > 0 || s.host->root().exists("/run/ptagent/journal.json")) {
    std::string release_err;
    const int rrc = run(s, {"fuzz", "release", "end", "-"}, xml, release_err);
    FUZZ_CHECK(journal_size(s) == 0, "release left journal entries: " + release_err);
    FUZZ_CHECK(host_state(s.host->root()) == s.start,
               "release did not restore the host: " + release_err);
    FUZZ_CHECK(rrc == 0, "release failed: " + release_err);
  }
  if (s.kernel->write_count() > 0) {
    s.reset();  // a fresh copy: the double's files and counters start over
  } else {
    std::filesystem::remove_all(s.host->real("/run/ptagent"));
  }
  return 0;
}
