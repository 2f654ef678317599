#include "agent/cli.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "agent/commands.hpp"
#include "domain/effects.hpp"
#include "error.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/root.hpp"
#include "virt/libvirt_client_real.hpp"

namespace ptagent::cli {

namespace {

// The real writer on ctx.root(), made at the first write.
class RootWriter final : public SysfsWriter {
 public:
  explicit RootWriter(Context& ctx) : ctx_(ctx) {}
  int write(const std::string& path, std::string_view value) override {
    if (!real_) real_ = std::make_unique<RealSysfsWriter>(ctx_.root());
    return real_->write(path, value);
  }

 private:
  Context& ctx_;
  std::unique_ptr<RealSysfsWriter> real_;
};

}  // namespace

struct Context::Seams {
  explicit Seams(Context& ctx) : writer(ctx) {}
  RootWriter writer;
  virt::RealLibvirtClient libvirt;
  SystemClock clock;
  SysfsWriter* sysfs_given = nullptr;
  LibvirtClient* libvirt_given = nullptr;
  Clock* clock_given = nullptr;
  WaitLimits settle;
  JournalFault journal_fault;
  std::optional<Effects> effects;
};

Context::Context(GlobalOptions g, std::ostream& o, std::ostream& e, std::istream& i)
    : global(std::move(g)), out(o), err(e), in(i), seams_(std::make_unique<Seams>(*this)) {}
Context::~Context() = default;

Effects& Context::effects() {
  Seams& s = *seams_;
  if (!s.effects) {
    s.effects.emplace(Effects{s.sysfs_given ? *s.sysfs_given : s.writer,
                              s.libvirt_given ? *s.libvirt_given : s.libvirt,
                              s.clock_given ? *s.clock_given : s.clock, s.settle, s.journal_fault});
  }
  return *s.effects;
}

// Doubles are given before the first effects(): the context is built once.
void Context::use_sysfs(SysfsWriter& writer) {
  seams_->sysfs_given = &writer;
  seams_->effects.reset();
}
void Context::use_libvirt(LibvirtClient& libvirt) {
  seams_->libvirt_given = &libvirt;
  seams_->effects.reset();
}
void Context::use_clock(Clock& clock) {
  seams_->clock_given = &clock;
  seams_->effects.reset();
}
void Context::use_settle(const WaitLimits& limits) {
  seams_->settle = limits;
  seams_->effects.reset();
}
void Context::use_journal_fault(JournalFault fault) {
  seams_->journal_fault = std::move(fault);
  seams_->effects.reset();
}

const Root& Context::root() {
  if (!root_) {
    root_ = std::make_unique<Root>(global.root);
    if (!root_->is_system_root() && !root_->is_dir(kSysDir)) {
      throw_usage("--root " + global.root, "is not a host tree (it has no sys/ directory)",
                  "point --root at a simulated host such as tests/fixtures/hosts/workstation");
    }
  }
  return *root_;
}

std::optional<std::string> flag_of(Input input) {
  switch (input) {
    case Input::vf_count:
      return "--vfs";
    case Input::mdev_uuid:
    case Input::new_uuid:
      return "--uuid";
    case Input::mdev_parent:
      return "--parent";
    case Input::mdev_type:
      return "--type";
    case Input::force:
      return "--force";
    case Input::whole_group:
      return "--group";
    case Input::driver:
      return "--driver";
    case Input::host_root:
      return "--root";
    case Input::autoprobe:
      return "--autoprobe";
    case Input::all_changes:
      return "--all";
    case Input::hook_binary:
      return "--binary";
    case Input::by_address:
      return "--by-address";
    case Input::replace_conflicting:
      return "--replace-conflicting";
    case Input::timeout:
      return "--timeout";
    case Input::connect_uri:
      return "--connect";
  }
  return std::nullopt;
}

std::string report_error(const Error& e) {
  return report(e, "ptagent: error: ", flag_of);
}

std::string error_json(const Error& e) {
  auto text = [](const std::string& part) {
    return part.empty() ? nlohmann::json(nullptr) : nlohmann::json(spell(part, flag_of));
  };
  const nlohmann::json j = {{"error",
                             {{"code", std::string(reason_name(e.reason()))},
                              {"object", text(e.object())},
                              {"cause", spell(e.cause(), flag_of)},
                              {"fix", text(e.hint())}}}};
  // Text from the host or argv that is not UTF-8 is replaced, never a second error.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void print_error(const GlobalOptions& global, std::ostream& out, std::ostream& err,
                 const Error& e) {
  if (global.json) {
    out << error_json(e) << "\n";
  } else {
    out.flush();
    err << report_error(e);
  }
}

Journal Context::journal() {
  return Journal(root(), kStateDir, seams_->journal_fault);
}

const Command& command(const std::string& name) {
  for (const auto& c : commands()) {
    if (name == c.name) return c;
  }
  throw std::logic_error("no command " + name);
}

void require_explicit_connect(Context& ctx, const std::string& what) {
  if (ctx.root().is_system_root() || ctx.global.connect_given) return;
  throw_usage(
      "--root " + ctx.global.root + " with " + what,
      "checks the devices under " + ctx.global.root + " but libvirt (" + ctx.global.connect +
          ") would act on this host's real devices",
      "give the libvirt to use explicitly with --connect URI (e.g. --connect test:///default), "
      "or drop --root");
}

void Context::warn(const std::string& message) {
  err << "ptagent: warning: " << message << "\n";
}

namespace {

const char* kGlobalHelp =
    "Global options (before or after the command):\n"
    "  --root DIR         read and change the host under DIR instead of / (also $PTAGENT_ROOT)\n"
    "  --json             machine-readable output where the command supports it\n"
    "  --connect URI      libvirt connection URI (default qemu:///system)\n"
    "  --dry-run          print what would change and change nothing\n"
    "  -h, --help         help for ptagent or for one command\n"
    "  --version          print the version\n";

void print_main_help(std::ostream& out) {
  out << "Usage: ptagent [GLOBAL OPTIONS] COMMAND [OPTIONS]\n\n"
         "Makes PCI(e) passthrough to libvirt/QEMU guests safe: checks the host, explains every\n"
         "refusal, and undoes what it did.\n\nCommands:\n";
  for (const auto& c : commands()) {
    std::string n = c.name;
    n.resize(std::max<std::size_t>(n.size() + 2, 14), ' ');
    out << "  " << n << c.summary << "\n";
  }
  out << "\n"
      << kGlobalHelp
      << "\nExit codes: 0 success, 1 failed or refused, 2 bad usage or malformed input, 3 not "
         "done\n"
      << "yet (probe could not run libvirt's check, detach-from left an unplug pending).\n"
      << "With --json, an error is one line on stdout: {\"error\": {\"code\": …, \"object\": …, "
         "\"cause\": …, \"fix\": …}}.\n"
      << "Run 'ptagent COMMAND --help' for the options of one command, 'ptagent' alone for a\n"
      << "summary of the host and what to try next.\n";
}

// Takes the global options out of argv wherever they appear (before the first "--").
bool extract_globals(std::vector<std::string>& args, GlobalOptions& g, bool& help, bool& version) {
  std::vector<std::string> rest;
  bool passthrough = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (passthrough) {
      rest.push_back(a);
      continue;
    }
    auto value = [&](const std::string& name, std::string& target) -> bool {
      if (a == name) {
        if (i + 1 >= args.size()) throw_usage(name, "needs a value");
        target = args[++i];
        return true;
      }
      if (a.rfind(name + "=", 0) == 0) {
        target = a.substr(name.size() + 1);
        return true;
      }
      return false;
    };
    if (a == "--") {
      passthrough = true;
      rest.push_back(a);
    } else if (value("--root", g.root)) {
    } else if (value("--connect", g.connect)) {
      g.connect_given = true;
    } else if (a == "--json") {
      g.json = true;
    } else if (a == "--dry-run") {
      g.dry_run = true;
    } else if (a == "--version") {
      version = true;
    } else if ((a == "--help" || a == "-h") && rest.empty()) {
      help = true;
    } else {
      rest.push_back(a);
    }
  }
  args = std::move(rest);
  return true;
}

// The options given by position (DEVICE…): a user never types them as --device, so help lists
// them as arguments, by name, and not among the options.
struct Positional {
  std::string name;
  bool repeats = false;
};
std::vector<Positional> positional_names(const po::positional_options_description& positional) {
  std::vector<Positional> names;
  const unsigned total = positional.max_total_count();
  for (unsigned i = 0; i < total && i < 64; ++i) {
    const std::string& name = positional.name_for_position(i);
    if (!names.empty() && names.back().name == name) {
      names.back().repeats = true;
    } else {
      names.push_back({name});
    }
  }
  // An unbounded last name (add(name, -1)) takes every position from there on.
  if (total == std::numeric_limits<unsigned>::max() && !names.empty()) names.back().repeats = true;
  return names;
}

// "  DEVICE…               text", wrapped at 80 columns like Boost's option list.
void print_arguments(std::ostream& out, const std::vector<Positional>& names,
                     const po::options_description& desc) {
  constexpr std::size_t kColumn = 24, kWidth = 80;
  bool any = false;
  for (const auto& p : names) {
    const po::option_description* o = desc.find_nothrow(p.name, false);
    if (!o || o->description().empty()) continue;
    if (!any) out << "Arguments:\n";
    any = true;
    std::string line = "  ";
    for (char c : p.name)
      line += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::size_t col = line.size();
    if (p.repeats) {
      line += "…";  // one column
      ++col;
    }
    if (col + 1 > kColumn) {
      out << line << "\n";
      line.clear();
      col = 0;
    }
    line.append(kColumn - col, ' ');
    col = kColumn;
    std::istringstream words(o->description());
    std::string word;
    bool first = true;
    while (words >> word) {
      if (!first && col + 1 + word.size() > kWidth) {
        out << line << "\n";
        line.assign(kColumn, ' ');
        col = kColumn;
      } else if (!first) {
        line += ' ';
        ++col;
      }
      line += word;
      col += word.size();
      first = false;
    }
    out << line << "\n";
  }
  if (any) out << "\n";
}

}  // namespace

bool parse_options(Context& ctx, const Command& cmd, po::options_description& desc,
                   const po::positional_options_description& positional, const Args& args,
                   po::variables_map& vm, const std::string& details) {
  desc.add_options()("help,h", "show this help");
  try {
    po::store(po::command_line_parser(args).options(desc).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    if (std::find(args.begin(), args.end(), "--help") == args.end() &&
        std::find(args.begin(), args.end(), "-h") == args.end()) {
      throw_usage(std::string("ptagent ") + cmd.name, e.what(),
                  std::string("run 'ptagent ") + cmd.name + " --help'");
    }
    vm.clear();
    vm.insert({"help", po::variable_value()});
  }
  if (vm.count("help")) {
    ctx.out << "Usage: ptagent " << cmd.name << " " << cmd.synopsis << "\n\n"
            << cmd.summary << "\n";
    if (!details.empty()) ctx.out << "\n" << details;
    const std::vector<Positional> names = positional_names(positional);
    std::set<std::string> hidden;
    for (const auto& p : names) hidden.insert(p.name);
    po::options_description options("Options");
    for (const auto& o : desc.options()) {
      if (!hidden.count(o->long_name())) options.add(o);
    }
    ctx.out << "\n";
    print_arguments(ctx.out, names, desc);
    ctx.out << options << "\n" << kGlobalHelp;
    return false;
  }
  return true;
}

int run(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err,
        std::istream& in) {
  GlobalOptions g;
  if (const char* env = std::getenv("PTAGENT_ROOT"); env && *env) g.root = env;
  std::vector<std::string> args(argv.begin() + (argv.empty() ? 0 : 1), argv.end());
  bool help = false, version = false;
  try {
    extract_globals(args, g, help, version);
    if (version) {
      out << "ptagent " << PTAGENT_VERSION << "\n";
      return 0;
    }
    if (args.empty() && help) {
      print_main_help(out);
      return 0;
    }
    if (args.empty()) {
      Context ctx(g, out, err, in);
      ctx.terminal = &out == &std::cout && ::isatty(STDOUT_FILENO) == 1;
      return cmd_summary(ctx);
    }
    const std::string name = args.front();
    args.erase(args.begin());
    for (const auto& c : commands()) {
      if (name == c.name) {
        Context ctx(g, out, err, in);
        ctx.terminal = &out == &std::cout && ::isatty(STDOUT_FILENO) == 1;
        if (help) args.insert(args.begin(), "--help");
        return c.handler(ctx, args);
      }
    }
    throw_usage(name, "unknown command", "run 'ptagent --help' for the list of commands");
  } catch (const Error& e) {
    print_error(g, out, err, e);
    return e.exit_code();
  } catch (const std::exception& e) {
    print_error(g, out, err, Error(ErrorKind::failed, "", e.what()));
    return 1;
  }
}

}  // namespace ptagent::cli
