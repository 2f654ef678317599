// ptagent hook install|uninstall|status|config: the libvirt qemu hook in place, never over a
// foreign one; the settings it reads from /etc/ptagent/ptagent.conf.
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string_view>

#include "agent/commands.hpp"
#include "agent/render.hpp"
#include "error.hpp"
#include "ops/hook_config.hpp"
#include "ops/hook_install.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/root.hpp"

namespace ptagent::cli {

namespace {

// The heading of the key list in `ptagent hook --help`; contrib/make-man.sh makes ptagent.conf(5)
// from what follows it.
constexpr const char* kConfigKeysHeading = "Keys of ptagent.conf (key = value, '#' comments):";

const char* file_state(HookFile f) {
  switch (f) {
    case HookFile::absent:
      return "absent";
    case HookFile::ours:
      return "ptagent";
    case HookFile::foreign:
      return "another hook";
  }
  return "?";
}

// The hook binary beside this executable: build tree, or the installed layout
// (/usr/bin/ptagent and /usr/libexec/ptagent/ptagent-hook).
std::string default_binary() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink(kProcSelfExe, ec);
  if (ec) return "ptagent-hook";
  auto dir = self.parent_path();
  for (const auto& candidate :
       {dir / "ptagent-hook", dir / "hooks" / "ptagent-hook", dir / PTAGENT_HOOK_FROM_BIN}) {
    if (std::filesystem::exists(candidate, ec)) return candidate.lexically_normal().string();
  }
  return (dir / "ptagent-hook").string();
}

// 30000 ms as "30", 500 ms as "0.5": seconds, as ptagent.conf writes them.
std::string seconds_text(std::chrono::milliseconds ms) {
  std::string s = std::to_string(ms.count() / 1000);
  if (auto frac = ms.count() % 1000; frac != 0) {
    std::string f = std::to_string(1000 + frac).substr(1);
    while (f.back() == '0') f.pop_back();
    s += "." + f;
  }
  return s;
}

// ptagent hook config: the settings as the hook reads them; each problem as FILE:LINE (exit 2).
int show_config(Context& ctx) {
  const std::string file = ctx.root().host_path(kHookConfigFile);
  const auto text = ctx.root().read(kHookConfigFile, 1 << 16);
  const HookConfig c = text ? parse_hook_config(*text) : HookConfig{};
  const auto value = [&c](std::string_view key) -> nlohmann::json {
    if (key == "hook_timeout") return seconds_text(c.deadline);
    if (key == "write_timeout") return seconds_text(c.write_timeout);
    if (key == "busy_retry") return seconds_text(c.busy_retry);
    return c.log_file.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.log_file);
  };
  if (ctx.global.json) {
    nlohmann::json settings = nlohmann::json::object(), problems = nlohmann::json::array();
    for (const auto& k : hook_config_keys()) settings[k.key] = value(k.key);
    for (const auto& p : c.problems)
      problems.push_back(
          {{"line", p.line}, {"text", p.text}, {"where", hook_config_problem_text(file, p)}});
    ctx.out << nlohmann::json({{"file", file},
                               {"present", text.has_value()},
                               {"settings", settings},
                               {"problems", problems}})
                   .dump(2)
            << "\n";
  } else {
    ctx.out << file << ": " << (text ? "read" : "absent, the defaults") << "\n";
    for (const auto& k : hook_config_keys()) {
      const auto v = value(k.key);
      ctx.out << k.key << " = " << (v.is_null() ? std::string("none") : v.get<std::string>())
              << "\n";
    }
    for (const auto& p : c.problems)
      ctx.err << "ptagent: " << hook_config_problem_text(file, p) << "\n";
  }
  return c.problems.empty() ? 0 : 2;
}

}  // namespace

int cmd_hook(Context& ctx, const Args& args) {
  std::string verb, hooks_dir, binary, sim_root;
  po::options_description desc("Options");
  desc.add_options()("verb", po::value(&verb), "install, uninstall, status or config")(
      "hooks-dir", po::value(&hooks_dir),
      "libvirt's hooks directory (default /etc/libvirt/hooks under --root)")(
      "binary", po::value(&binary),
      "the ptagent-hook binary to install (default: next to ptagent)")(
      "simulated-root", po::value(&sim_root),
      "tests only: install a wrapper that runs the hook with PTAGENT_ROOT=DIR (libvirt scrubs the "
      "environment)");
  po::positional_options_description pos;
  pos.add("verb", 1);
  po::variables_map vm;
  const std::string details =
      "install: as hooks/qemu when there is none (or it is ptagent's); next to another hook as\n"
      "hooks/qemu.d/ptagent (libvirt >= 6.5 runs every executable file there); never over a "
      "foreign file.\n"
      "libvirtd reads the hooks directory when it starts: restart it afterwards.\n"
      "config: the hook's settings as it reads them from " +
      std::string(kHookConfigFile) +
      " (under --root);\neach problem as FILE:LINE on stderr, exit 2 (the hook logs it and keeps "
      "that key's default).\n\n" +
      kConfigKeysHeading + "\n" + hook_config_keys_text();
  if (!parse_options(ctx, command("hook"), desc, pos, args, vm, details)) return 0;
  if (verb != "install" && verb != "uninstall" && verb != "status" && verb != "config") {
    throw_usage("ptagent hook " + verb, "unknown action",
                "use install, uninstall, status or config");
  }
  if (verb == "config") return show_config(ctx);
  // libvirt's directory under --root, or the one named (a real path: a Root at "/").
  std::optional<Root> named_root;
  const Root* root = nullptr;
  if (hooks_dir.empty()) {
    root = &ctx.root();
    hooks_dir = kLibvirtHooksDir;
  } else {
    named_root.emplace("/");
    root = &*named_root;
    hooks_dir = std::filesystem::absolute(hooks_dir).lexically_normal().string();
    while (hooks_dir.size() > 1 && hooks_dir.back() == '/') hooks_dir.pop_back();
  }
  const std::string shown_dir = root->host_path(hooks_dir);
  if (binary.empty()) binary = default_binary();
  if (!sim_root.empty()) sim_root = std::filesystem::absolute(sim_root).string();

  if (verb == "status") {
    HookStatus s = hook_status(*root, hooks_dir);
    if (ctx.global.json) {
      ctx.out << nlohmann::json({{"hooks_dir", s.hooks_dir},
                                 {"qemu", file_state(s.main)},
                                 {"qemu.d/ptagent", file_state(s.dropin)},
                                 {"installed", s.installed_at ? nlohmann::json(*s.installed_at)
                                                              : nlohmann::json(nullptr)}})
                     .dump(2)
              << "\n";
    } else {
      ctx.out << shown_dir << "/qemu: " << file_state(s.main) << "\n"
              << shown_dir << "/qemu.d/ptagent: " << file_state(s.dropin) << "\n"
              << (s.installed_at ? "ptagent's hook is installed at " + *s.installed_at
                                 : std::string("ptagent's hook is not installed"))
              << "\n";
    }
    return s.installed_at ? 0 : 1;
  }
  if (verb == "uninstall") {
    if (ctx.global.dry_run) {
      HookStatus s = hook_status(*root, hooks_dir);
      ctx.out << (s.installed_at ? "would remove " + *s.installed_at
                                 : std::string("nothing to remove"))
              << "\n";
      return 0;
    }
    auto removed = uninstall_hook(*root, hooks_dir);
    if (!removed) {
      ctx.out << "ptagent's hook is not installed in " << shown_dir << "; nothing removed\n";
      return 0;
    }
    ctx.out << "removed " << *removed
            << "\nrestart libvirtd so that it stops running it ('systemctl restart libvirtd')\n";
    return 0;
  }
  HookInstallPlan plan = plan_hook_install(*root, hooks_dir, binary, sim_root);
  if (ctx.global.dry_run) {
    ctx.out << "would install " << (sim_root.empty() ? binary : "a wrapper for " + binary) << " as "
            << plan.target << "\n";
    return 0;
  }
  install_hook(*root, plan);
  ctx.out << "installed " << plan.target
          << (plan.replaces_ours ? " (replacing ptagent's older copy)" : "") << "\n";
  if (plan.beside_foreign) {
    ctx.out << "another qemu hook exists at " << shown_dir
            << "/qemu and was left alone; libvirt (>= 6.5) runs "
            << "both\n";
  }
  ctx.out << "restart libvirtd so that it picks the hook up ('systemctl restart libvirtd')\n";
  return 0;
}

}  // namespace ptagent::cli
