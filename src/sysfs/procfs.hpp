// Parsers for the /proc files ptagent reads. Pure functions over text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ptagent {

struct MountEntry {
  unsigned major = 0;
  unsigned minor = 0;
  std::string mount_point;  // octal escapes (\040) decoded
  std::string fs_type;
  std::string source;         // "/dev/nvme0n1p2"
  std::string super_options;  // "rw,lowerdir=/lower,upperdir=/upper/up,workdir=/upper/work"
};
// /proc/self/mountinfo; malformed lines are skipped.
std::vector<MountEntry> parse_mountinfo(std::string_view text);

struct SwapEntry {
  std::string filename;  // "/dev/sda2" or a swap file
  std::string type;      // "partition" | "file"
};
std::vector<SwapEntry> parse_swaps(std::string_view text);

struct RouteEntry {
  std::string iface;
  unsigned destination = 0;
  unsigned mask = 0;
  unsigned flags = 0;
  bool is_default() const { return destination == 0 && mask == 0; }
};
// /proc/net/route (hex fields, host byte order as the kernel prints them).
std::vector<RouteEntry> parse_route(std::string_view text);

// The kernel command line split into parameters; quotes respected.
std::vector<std::string> parse_cmdline(std::string_view text);
// Value of "name=value" on the command line (last one wins), or "" if present without value;
// nullopt semantics by has_param.
bool has_cmdline_param(const std::vector<std::string>& params, std::string_view name);
std::string cmdline_value(const std::vector<std::string>& params, std::string_view name);

// "GenuineIntel", "AuthenticAMD", or "" from /proc/cpuinfo.
std::string parse_cpu_vendor(std::string_view cpuinfo);
// CPU flags of the first processor.
std::vector<std::string> parse_cpu_flags(std::string_view cpuinfo);

// True when /proc/interrupts shows interrupt-remapped (IR-) entries.
bool interrupts_show_remapping(std::string_view interrupts);

// "HugePages_Total:  1024" -> 1024; -1 if absent.
long long meminfo_value(std::string_view meminfo, std::string_view key);

}  // namespace ptagent
