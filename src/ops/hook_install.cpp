#include "ops/hook_install.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "error.hpp"

namespace ptagent {

namespace fs = std::filesystem;

std::string hook_marker() {
  std::string m = "ptagent-hook-";
  m += "marker-v1";
  return m;
}

namespace {

HookFile classify(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return HookFile::absent;
  if (!S_ISREG(st.st_mode)) return HookFile::foreign;  // symlinks and directories are not ours
  std::ifstream f(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return data.find(hook_marker()) != std::string::npos ? HookFile::ours : HookFile::foreign;
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

void write_atomically(const std::string& target, const std::string& content) {
  const fs::path dir = fs::path(target).parent_path();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw_failed(dir.string(), "cannot create the directory: " + ec.message());
  const std::string tmp = target + ".ptagent-tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0755);
  if (fd < 0)
    throw_failed(tmp, std::string("cannot create: ") + std::strerror(errno), "run as root");
  std::size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw_failed(tmp, std::string("write failed: ") + std::strerror(err));
    }
    off += static_cast<std::size_t>(n);
  }
  ::fchmod(fd, 0755);
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw_failed(target, std::string("cannot install: ") + std::strerror(err));
  }
}

}  // namespace

HookStatus hook_status(const std::string& hooks_dir) {
  HookStatus s;
  s.hooks_dir = hooks_dir;
  s.main = classify(hooks_dir + "/qemu");
  s.dropin = classify(hooks_dir + "/qemu.d/ptagent");
  if (s.main == HookFile::ours)
    s.installed_at = hooks_dir + "/qemu";
  else if (s.dropin == HookFile::ours)
    s.installed_at = hooks_dir + "/qemu.d/ptagent";
  return s;
}

HookInstallPlan plan_hook_install(const std::string& hooks_dir, const std::string& binary,
                                  const std::string& wrapper_root) {
  if (classify(binary) != HookFile::ours) {
    throw_not_found(
        binary, "is not the ptagent-hook binary (missing, or without ptagent's marker)",
        "build it (ninja -C build) or give its path with " + mention(Input::hook_binary));
  }
  HookStatus s = hook_status(hooks_dir);
  HookInstallPlan plan;
  plan.content_from = binary;
  plan.wrapper_root = wrapper_root;
  if (s.main == HookFile::absent || s.main == HookFile::ours) {
    plan.target = hooks_dir + "/qemu";
    plan.replaces_ours = s.main == HookFile::ours;
    if (s.dropin == HookFile::ours) {
      throw_refused(hooks_dir + "/qemu.d/ptagent", "ptagent's hook is already installed there",
                    "run 'ptagent hook uninstall' first");
    }
  } else {
    plan.beside_foreign = true;
    plan.target = hooks_dir + "/qemu.d/ptagent";
    if (s.dropin == HookFile::foreign) {
      throw_refused(plan.target, "exists and is not ptagent's: refusing to overwrite it",
                    "move it away yourself if it is stale");
    }
    plan.replaces_ours = s.dropin == HookFile::ours;
  }
  return plan;
}

void install_hook(const HookInstallPlan& plan) {
  std::string content;
  if (plan.wrapper_root.empty()) {
    std::ifstream f(plan.content_from, std::ios::binary);
    content.assign((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (content.empty()) throw_failed(plan.content_from, "cannot read the hook binary");
  } else {
    content = wrapper_script(fs::absolute(plan.content_from).string(), plan.wrapper_root);
  }
  write_atomically(plan.target, content);
}

std::optional<std::string> uninstall_hook(const std::string& hooks_dir) {
  HookStatus s = hook_status(hooks_dir);
  if (!s.installed_at) return std::nullopt;
  if (::unlink(s.installed_at->c_str()) != 0) {
    throw_failed(*s.installed_at, std::string("cannot remove: ") + std::strerror(errno),
                 "run as root");
  }
  return s.installed_at;
}

}  // namespace ptagent
