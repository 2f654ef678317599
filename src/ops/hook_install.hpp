// Installing the libvirt qemu hook without clobbering another one: `qemu` when the slot is free or
// already ours, `qemu.d/ptagent` when a foreign `qemu` exists (libvirt >= 6.5 runs every executable
// file there), never over a foreign file.
#pragma once

#include <optional>
#include <string>

namespace ptagent {

class Root;

// Embedded in the hook binary (as one literal in hooks/main.cpp) and in wrapper scripts, to
// recognise our own files. Built from pieces here so that the CLI binary does not match itself.
std::string hook_marker();

enum class HookFile { absent, ours, foreign };

struct HookStatus {
  std::string hooks_dir;
  HookFile main = HookFile::absent;         // hooks_dir/qemu
  HookFile dropin = HookFile::absent;       // hooks_dir/qemu.d/ptagent
  std::optional<std::string> installed_at;  // our file, if any
};

// hooks_dir is a host path under `root` (libvirt's /etc/libvirt/hooks under --root, or a
// directory the user named with a Root at "/"); what the results name is the real path.
HookStatus hook_status(const Root& root, const std::string& hooks_dir);

struct HookInstallPlan {
  std::string target;          // where our file goes (the real path, for messages)
  std::string target_in_root;  // the same under the root
  bool replaces_ours = false;
  bool beside_foreign = false;  // a foreign qemu hook stays; ours goes to qemu.d
  std::string content_from;     // the binary copied, or "" for a wrapper
  std::string wrapper_root;     // non-empty: a wrapper script setting PTAGENT_ROOT
};

// Throws Error(refused) when a foreign file sits where ours would go, Error(not_found) when the
// hook binary is missing.
// The binary is a path of the machine ptagent runs on.
HookInstallPlan plan_hook_install(const Root& root, const std::string& hooks_dir,
                                  const std::string& binary, const std::string& wrapper_root);
// Atomic: temp file in the target directory, 0755, fsync, rename (util/atomic_file.hpp).
void install_hook(const Root& root, const HookInstallPlan& plan);
// Removes our files; refuses (Error refused) nothing foreign is touched. Returns what was removed.
std::optional<std::string> uninstall_hook(const Root& root, const std::string& hooks_dir);

}  // namespace ptagent
