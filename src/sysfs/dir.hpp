// One directory of the host (a PCI device's sysfs directory, typically), opened once through its
// Root and read relative to that handle: one open for the directory, one open and one read per
// attribute, no path walk per attribute, no listing unless names() is asked for. Entries that
// are symlinks are never followed from here (what they point to is read through the Root, which
// keeps resolution inside the base).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptagent {

class Root;

class SysDir {
 public:
  enum class Kind { file, dir, link, other };

  // Opens `abs` (symlinks resolved inside root). nullopt if it is not a directory.
  static std::optional<SysDir> open(const Root& root, std::string_view abs);
  // Opens the entry `name` of this directory: one lookup of one component, no symlink followed
  // (nullopt if the entry is missing, a symlink or not a directory).
  std::optional<SysDir> open_dir(std::string_view name) const;
  ~SysDir();
  SysDir(SysDir&& other) noexcept;
  SysDir& operator=(SysDir&&) = delete;
  SysDir(const SysDir&) = delete;
  SysDir& operator=(const SysDir&) = delete;

  // The directory's canonical host path ("/sys/devices/pci0000:00/0000:00:02.0").
  const std::string& real_path() const { return real_; }
  // Entry names, sorted, without "." and ".." (lists the directory on each call).
  std::vector<std::string> names() const;
  std::optional<Kind> kind(std::string_view name) const;
  bool has(std::string_view name) const { return kind(name).has_value(); }
  bool has_dir(std::string_view name) const;  // a directory, or a link to one

  // Contents of an entry (up to max_bytes), or nullopt if it is missing or unreadable.
  std::optional<std::string> read(std::string_view name, std::size_t max_bytes = 4096) const;
  // Raw target of a symlink entry; nullopt if it is not one.
  std::optional<std::string> read_link(std::string_view name) const;
  // Last component of a symlink entry's target ("driver" -> "vfio-pci").
  std::optional<std::string> link_name(std::string_view name) const;

 private:
  SysDir(const Root& root, std::string abs, int fd, std::string real);
  std::string through_root(std::string_view name) const;

  const Root* root_;
  std::string abs_;  // as opened, for reads that go through the Root
  int fd_;
  std::string real_;
};

}  // namespace ptagent
