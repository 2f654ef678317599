// Installing the libvirt qemu hook without clobbering another one: `qemu` when the slot is free or
// already ours, `qemu.d/ptagent` when a foreign `qemu` exists (libvirt >= 6.5 runs every executable
// file there), never over a foreign file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace ptagent {

class Root;

// What identifies the hook binary: an ELF note (name "ptagent", this type, this descriptor) that
// hooks/main.cpp places in its own section. No optimiser removes it (it is data marked used and
// retained, not code) and strip keeps it (an allocated note), so a Release, -O3 or stripped
// build is recognised like the tested one. Reading a note runs nothing: a foreign file in the
// hooks directory is never executed to ask what it is.
inline constexpr char kHookNoteName[] = "ptagent";
inline constexpr std::uint32_t kHookNoteType = 0x4b4f4f48;  // "HOOK"
inline constexpr char kHookNoteDesc[] = "ptagent-hook/1";

// The note as it lies in the section: the ELF note header, then name and descriptor, each padded
// to 4 bytes.
struct HookNote {
  std::uint32_t namesz = sizeof kHookNoteName;
  std::uint32_t descsz = sizeof kHookNoteDesc;
  std::uint32_t type = kHookNoteType;
  char name[(sizeof kHookNoteName + 3) / 4 * 4] = {};
  char desc[(sizeof kHookNoteDesc + 3) / 4 * 4] = {};
  constexpr HookNote() {
    for (std::size_t i = 0; i < sizeof kHookNoteName; ++i) name[i] = kHookNoteName[i];
    for (std::size_t i = 0; i < sizeof kHookNoteDesc; ++i) desc[i] = kHookNoteDesc[i];
  }
};

// In the wrapper scripts (and in hook binaries of earlier versions, which carried it as a string),
// to recognise our own files. Built from pieces here so that the CLI binary does not match itself.
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
