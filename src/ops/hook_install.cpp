#include "ops/hook_install.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "error.hpp"
#include "sysfs/root.hpp"
#include "util/atomic_file.hpp"
#include "util/elf_note.hpp"
#include "util/fd.hpp"
#include "util/path_text.hpp"

namespace ptagent {

namespace fs = std::filesystem;

std::string hook_marker() {
  std::string m = "ptagent-hook-";
  m += "marker-v1";
  return m;
}

namespace {

// What an open file is: ours when it is a regular file with the hook's ELF note, or with the
// marker (a wrapper script, or a hook binary of an earlier version). fd: the open result
// (-errno), opened without following a symlink.
HookFile classify(const Fd& fd) {
  if (!fd.ok())
    return fd.get() == -ENOENT || fd.get() == -ENOTDIR ? HookFile::absent : HookFile::foreign;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return HookFile::foreign;
  std::string data;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data.append(buf, static_cast<std::size_t>(n));
  }
  const bool ours =
      elf_has_note(data, std::string_view(kHookNoteName, sizeof kHookNoteName - 1), kHookNoteType,
                   std::string_view(kHookNoteDesc, sizeof kHookNoteDesc - 1)) ||
      data.find(hook_marker()) != std::string::npos;
  return ours ? HookFile::ours : HookFile::foreign;
}

// Symlinks and directories are not ours.
HookFile classify(const Root& root, const std::string& path) {
  return classify(Fd(root.open_in_root(path, O_RDONLY | O_NONBLOCK)));
}

std::string wrapper_script(const std::string& binary, const std::string& root) {
  auto quote = [](const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
  };
  return "#!/bin/sh\n# " + hook_marker() +
         ": runs ptagent's hook against a simulated host (tests only)\nPTAGENT_ROOT=" +
         quote(root) + " exec " + quote(binary) + " \"$@\"\n";
}

void write_atomically(const Root& root, const std::string& target, const std::string& content) {
  const std::string dir = parent_dir(target);
  if (const int err = root.make_dirs(dir, 0755); err != 0) {
    throw_failed(root.host_path(dir),
                 std::string("cannot create the directory: ") + std::strerror(err));
  }
  Fd dirfd(root.open_in_root(dir, O_RDONLY | O_DIRECTORY));
  if (!dirfd.ok()) {
    throw_failed(root.host_path(dir), std::string("cannot open: ") + std::strerror(-dirfd.get()),
                 "run as root");
  }
  const std::string name = base_name(target);
  const std::string tmp = name + ".ptagent-tmp";
  const auto failure = replace_file_at(dirfd.get(), name, tmp, content, 0755);
  if (!failure) return;
  const std::string err = std::strerror(failure->error);
  switch (failure->step) {
    case ReplaceStep::create_temp:
      throw_failed(root.host_path(dir + "/" + tmp), "cannot create: " + err, "run as root");
    case ReplaceStep::write_temp:
    case ReplaceStep::fsync_temp:
      throw_failed(root.host_path(dir + "/" + tmp), "write failed: " + err);
    case ReplaceStep::rename:
      throw_failed(root.host_path(target), "cannot install: " + err);
    case ReplaceStep::fsync_dir:
      break;  // installed; only its durability is in doubt
  }
}

}  // namespace

HookStatus hook_status(const Root& root, const std::string& hooks_dir) {
  HookStatus s;
  s.hooks_dir = root.host_path(hooks_dir);
  s.main = classify(root, hooks_dir + "/qemu");
  s.dropin = classify(root, hooks_dir + "/qemu.d/ptagent");
  if (s.main == HookFile::ours)
    s.installed_at = s.hooks_dir + "/qemu";
  else if (s.dropin == HookFile::ours)
    s.installed_at = s.hooks_dir + "/qemu.d/ptagent";
  return s;
}

HookInstallPlan plan_hook_install(const Root& root, const std::string& hooks_dir,
                                  const std::string& binary, const std::string& wrapper_root) {
  const int fd = ::open(binary.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (classify(Fd(fd >= 0 ? fd : -errno)) != HookFile::ours) {
    throw_not_found(
        binary, "is not the ptagent-hook binary (missing, or without ptagent's identifying note)",
        "build it (ninja -C build) or give its path with " + mention(Input::hook_binary));
  }
  const HookStatus s = hook_status(root, hooks_dir);
  const std::string shown = s.hooks_dir;
  HookInstallPlan plan;
  plan.content_from = binary;
  plan.wrapper_root = wrapper_root;
  if (s.main == HookFile::absent || s.main == HookFile::ours) {
    plan.target = shown + "/qemu";
    plan.target_in_root = hooks_dir + "/qemu";
    plan.replaces_ours = s.main == HookFile::ours;
    if (s.dropin == HookFile::ours) {
      throw_refused(shown + "/qemu.d/ptagent", "ptagent's hook is already installed there",
                    "run 'ptagent hook uninstall' first");
    }
  } else {
    plan.beside_foreign = true;
    plan.target = shown + "/qemu.d/ptagent";
    plan.target_in_root = hooks_dir + "/qemu.d/ptagent";
    if (s.dropin == HookFile::foreign) {
      throw_refused(plan.target, "exists and is not ptagent's: refusing to overwrite it",
                    "move it away yourself if it is stale");
    }
    plan.replaces_ours = s.dropin == HookFile::ours;
  }
  return plan;
}

void install_hook(const Root& root, const HookInstallPlan& plan) {
  std::string content;
  if (plan.wrapper_root.empty()) {
    std::ifstream f(plan.content_from, std::ios::binary);
    content.assign((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (content.empty()) throw_failed(plan.content_from, "cannot read the hook binary");
  } else {
    content = wrapper_script(fs::absolute(plan.content_from).string(), plan.wrapper_root);
  }
  write_atomically(root, plan.target_in_root, content);
}

std::optional<std::string> uninstall_hook(const Root& root, const std::string& hooks_dir) {
  const HookStatus s = hook_status(root, hooks_dir);
  if (!s.installed_at) return std::nullopt;
  const std::string in_root = hooks_dir + (s.main == HookFile::ours ? "/qemu" : "/qemu.d/ptagent");
  Fd dir(root.open_in_root(parent_dir(in_root), O_RDONLY | O_DIRECTORY));
  if (!dir.ok() || ::unlinkat(dir.get(), base_name(in_root).c_str(), 0) != 0) {
    const int err = dir.ok() ? errno : -dir.get();
    throw_failed(*s.installed_at, std::string("cannot remove: ") + std::strerror(err),
                 "run as root");
  }
  return s.installed_at;
}

}  // namespace ptagent
