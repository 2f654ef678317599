// ptagent hook install|uninstall|status: the libvirt qemu hook in place, never over a foreign one.
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "agent/commands.hpp"
#include "agent/render.hpp"
#include "error.hpp"
#include "ops/hook_install.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/root.hpp"

namespace ptagent::cli {

namespace {

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

}  // namespace

int cmd_hook(Context& ctx, const Args& args) {
  std::string verb, hooks_dir, binary, sim_root;
  po::options_description desc("Options");
  desc.add_options()("verb", po::value(&verb), "install, uninstall or status")(
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
      "libvirtd reads the hooks directory when it starts: restart it afterwards.\n";
  if (!parse_options(ctx, command("hook"), desc, pos, args, vm, details)) return 0;
  if (verb != "install" && verb != "uninstall" && verb != "status") {
    throw_usage("ptagent hook " + verb, "unknown action", "use install, uninstall or status");
  }
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
