// ptagent-hook: installed as /etc/libvirt/hooks/qemu (or qemu.d/ptagent). Thin: reads libvirt's
// arguments and stdin, then calls the hook library. Not linked against libvirt.
#include <fcntl.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "hooks/hook.hpp"
#include "hooks/writer.hpp"
#include "ops/hook_install.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/root.hpp"

namespace {

std::string read_all(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  return out;
}

// `ptagent-hook --help`: for a person and for help2man (ptagent-hook(8) is made from it).
std::string help_text() {
  return std::string(
             "Usage: ptagent-hook DOMAIN OPERATION SUB-OPERATION EXTRA  (run by libvirtd)\n"
             "   or: ptagent-hook --help | --version\n"
             "\n"
             "libvirt's qemu hook for ptagent. libvirtd runs it around every lifecycle step of "
             "every domain,\n"
             "with the domain XML on stdin. For a domain whose XML carries no ptagent metadata "
             "and no mdev\n"
             "it does nothing. At 'prepare begin' it checks the domain's host devices before "
             "QEMU starts\n"
             "(each exists, none is host-critical, every IOMMU group is viable, none is in use "
             "by another\n"
             "running domain, every mdev parent and type has an instance free), refuses with "
             "one paragraph\n"
             "naming the device, the reason and the fix, then creates the domain's mdevs and "
             "binds its\n"
             "unmanaged devices to vfio-pci, journal first. At 'release end' and 'stopped end' "
             "it undoes\n"
             "exactly what it did. It never writes to stdout (libvirt reads it as XML) and "
             "does not load\n"
             "libvirt.\n"
             "\n"
             "Install it with 'ptagent hook install' (as /etc/libvirt/hooks/qemu, or as\n"
             "/etc/libvirt/hooks/qemu.d/ptagent beside another hook), then restart libvirtd.\n"
             "\n"
             "Options (only as the one argument; libvirtd always passes four):\n"
             "  --help      print this help and exit\n"
             "  --version   print the version and exit\n"
             "\n"
             "Environment:\n"
             "  PTAGENT_ROOT   act on the host tree under this directory instead of / (tests)\n"
             "\n"
             "Files:\n"
             "  ") +
         ptagent::kHookConfigFile +
         "   the hook's settings (ptagent.conf(5);\n"
         "      'ptagent hook config' shows them and any problem)\n"
         "  " +
         ptagent::kStateDir + "/" + ptagent::kJournalFileName +
         "   what the hook did, for its undo and 'ptagent restore --all'\n"
         "\n"
         "Exit status: at prepare, 0 lets the domain start and 1 refuses it (the reason on "
         "stderr,\n"
         "which libvirt shows); 0 at every other step.\n";
}

}  // namespace

#ifdef PTAGENT_SANITIZER_LOG_DIR
// Sanitizer builds only: libvirtd runs the hook with a scrubbed environment (no ASAN_OPTIONS) and
// shows its stderr only when prepare fails, so reports go to files that tests/sanitize.sh checks.
extern "C" const char* __asan_default_options() {
  return "log_path=" PTAGENT_SANITIZER_LOG_DIR "/hook-asan:halt_on_error=1:detect_leaks=1";
}
extern "C" const char* __ubsan_default_options() {
  return "log_path=" PTAGENT_SANITIZER_LOG_DIR "/hook-ubsan:halt_on_error=1:print_stacktrace=1";
}
#endif

// Lets `ptagent hook install` recognise this binary as ptagent's (ops/hook_install.hpp): an ELF
// note in an allocated section of its own, kept by the compiler (used), by the linker's
// --gc-sections (retain) and by strip.
[[gnu::used, gnu::retain, gnu::section(".note.ptagent"),
  gnu::aligned(4)]] constinit const ptagent::HookNote kHookNote{};

int main(int argc, char** argv) {
  // A person's questions. libvirtd always passes four arguments, so one argument is never libvirt
  // (a domain may be called --help, but then three more arguments follow).
  if (argc == 2 &&
      (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "--version")) {
    std::cout << (std::string_view(argv[1]) == "--help" ? help_text()
                                                        : "ptagent-hook " PTAGENT_VERSION "\n");
    std::cout.flush();
    return std::cout ? 0 : 1;
  }
  // Nothing on stdout, ever: for migrate/restore libvirt reads it as replacement XML.
  int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (devnull >= 0) {
    ::dup2(devnull, STDOUT_FILENO);
    ::close(devnull);
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  // libvirt waits for us to read the whole document; read it before anything else.
  const std::string xml = read_all(STDIN_FILENO);

  const char* env_root = std::getenv("PTAGENT_ROOT");
  try {
    ptagent::Root root(env_root && *env_root ? env_root : "/");
    ptagent::hook::Invocation inv = ptagent::hook::parse_invocation(args);
    if (inv.complete && ptagent::hook::nothing_to_do(inv, xml, root)) return 0;

    ptagent::HookConfig config;
    if (auto text = root.read(ptagent::kHookConfigFile, 1 << 16))
      config = ptagent::parse_hook_config(*text);

    // The whole hook is bounded: libvirtd waits for us.
    const bool at_prepare = inv.op == ptagent::hook::Operation::prepare;
    std::thread([deadline = config.deadline, at_prepare] {
      std::this_thread::sleep_for(deadline);
      static const char msg[] =
          "ptagent-hook: deadline reached, giving up (see /etc/ptagent/ptagent.conf "
          "hook_timeout)\n";
      (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
      std::_Exit(at_prepare ? 1 : 0);
    }).detach();

    std::shared_ptr<spdlog::logger> logger;
    const std::string log_file = config.log_file;
    auto log = [&logger, &log_file](const std::string& line) {
      if (!logger) {
        std::vector<spdlog::sink_ptr> sinks;
        sinks.push_back(std::make_shared<spdlog::sinks::syslog_sink_mt>("ptagent-hook", LOG_PID,
                                                                        LOG_DAEMON, false));
        if (!log_file.empty()) {
          try {
            sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(log_file));
          } catch (const std::exception&) {
          }
        }
        logger = std::make_shared<spdlog::logger>("ptagent-hook", sinks.begin(), sinks.end());
        logger->flush_on(spdlog::level::info);
      }
      logger->info(line);
    };
    for (const auto& p : config.problems)
      log(ptagent::hook_config_problem_text(ptagent::kHookConfigFile, p));
    const auto writer = ptagent::hook::make_writer(root, config);
    ptagent::hook::HookDeps deps{root,      *writer, config,
                                 std::cerr, log,     ptagent::hook::make_journal_fault(root)};
    int rc = ptagent::hook::run_hook(inv, xml, deps);
    std::cerr.flush();
    std::_Exit(rc);  // detached watchdog thread: leave without unwinding it
  } catch (const std::exception& e) {
    std::cerr << "ptagent-hook: " << e.what() << "\n";
    return args.size() >= 2 && args[1] == "prepare" ? 1 : 0;
  }
}
