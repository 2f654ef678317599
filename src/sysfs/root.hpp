// The one rooted accessor for host state: every read of /sys, /proc, /dev, /etc, /run and
// /lib/modules goes through a Root, so a simulated host is just another base directory.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptagent {

// Paths given to Root are absolute host paths ("/sys/bus/pci/devices"). They are resolved as if
// the base directory were "/": symlinks, absolute or relative, and ".." never leave the base.
class Root {
 public:
  // Opens the base directory; throws Error (usage) if it is not a directory.
  explicit Root(std::string base = "/");
  ~Root();
  Root(const Root&) = delete;
  Root& operator=(const Root&) = delete;
  Root(Root&& other) noexcept;
  Root& operator=(Root&& other) noexcept;

  const std::string& base() const { return base_; }
  bool is_system_root() const { return base_ == "/"; }
  // The base directory joined with an absolute host path, for messages and peers (lspci).
  std::string host_path(std::string_view abs) const;

  // Whole file contents, or nullopt if it does not exist or cannot be read.
  std::optional<std::string> read(std::string_view abs, std::size_t max_bytes = 16u << 20) const;
  // Like read() but with surrounding whitespace removed.
  std::optional<std::string> read_value(std::string_view abs) const;
  // Raw target of a symlink, or nullopt if abs is not a symlink.
  std::optional<std::string> read_link(std::string_view abs) const;
  // Last component of a symlink's target ("driver" -> "vfio-pci").
  std::optional<std::string> link_name(std::string_view abs) const;
  // Canonical absolute host path with every symlink resolved inside the base, or nullopt.
  std::optional<std::string> resolve(std::string_view abs) const;
  // Entry names of a directory, sorted, without "." ".." and dotfiles; empty if missing.
  std::vector<std::string> list(std::string_view abs) const;
  bool exists(std::string_view abs) const;
  bool is_dir(std::string_view abs) const;
  bool is_symlink(std::string_view abs) const;

  // Opens a file inside the base (no symlink at the last component), for writing or as a
  // directory to work in (O_RDONLY | O_DIRECTORY). Returns the file descriptor or -errno. The one
  // way core code opens host files under /sys, /run and /etc for writing.
  int open_in_root(std::string_view abs, int flags, unsigned mode = 0) const;
  // Creates the directory abs inside the base (its parent must exist). 0, or the errno of
  // mkdir(2) (EEXIST when something is there already).
  int make_dir(std::string_view abs, unsigned mode) const;
  // The same for abs and every missing parent; 0 when abs is a directory afterwards.
  int make_dirs(std::string_view abs, unsigned mode) const;

 private:
  friend class SysDir;
  int open_path(std::string_view abs, int flags) const;  // O_PATH-style resolution helper
  // The host path (inside the base) of an open file descriptor, or nullopt.
  std::optional<std::string> path_of(int fd) const;

  std::string base_;
  int dirfd_ = -1;
};

}  // namespace ptagent
