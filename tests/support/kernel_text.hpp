// Small text helpers shared by the two emulations of the kernel's sysfs (the in-process
// KernelDouble and the FUSE server in tests/sim): path pieces and the kernel's number parsing.
#pragma once

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace ptagent::testing {

inline std::string dirname_of(const std::string& p) {
  auto slash = p.rfind('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return p.substr(0, slash);
}

inline std::string basename_of(const std::string& p) {
  auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

// sysfs_streq: a value may carry one trailing newline.
inline std::string strip_newline(std::string_view v) {
  std::string s(v);
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// kstrtoul(buf, 0): decimal, 0x hex or 0 octal, one trailing newline, nothing else.
inline std::optional<unsigned long long> parse_kernel_uint(std::string_view v) {
  std::string s = strip_newline(v);
  if (s.empty() || s.front() == '-' || s.front() == '+' ||
      std::isspace(static_cast<unsigned char>(s.front()))) {
    return std::nullopt;
  }
  char* end = nullptr;
  errno = 0;
  unsigned long long n = std::strtoull(s.c_str(), &end, 0);
  if (errno != 0 || end != s.c_str() + s.size()) return std::nullopt;
  return n;
}

}  // namespace ptagent::testing
