#include "sysfs/procfs.hpp"

#include <charconv>

#include "sysfs/parse.hpp"

namespace ptagent {

namespace {

std::string decode_octal(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
        s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool parse_unsigned(std::string_view s, unsigned& out, int base) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::vector<MountEntry> parse_mountinfo(std::string_view text) {
  std::vector<MountEntry> out;
  for (auto line : lines_of(text)) {
    auto f = split_words(line);
    // id parent maj:min root mountpoint options [optional...] - fstype source superoptions
    if (f.size() < 7) continue;
    std::size_t sep = 6;
    while (sep < f.size() && f[sep] != "-") ++sep;
    if (sep + 1 >= f.size()) continue;
    const std::string& mm = f[2];
    auto colon = mm.find(':');
    if (colon == std::string::npos) continue;
    MountEntry e;
    if (!parse_unsigned(std::string_view(mm).substr(0, colon), e.major, 10) ||
        !parse_unsigned(std::string_view(mm).substr(colon + 1), e.minor, 10)) {
      continue;
    }
    e.mount_point = decode_octal(f[4]);
    e.fs_type = f[sep + 1];
    if (sep + 2 < f.size()) e.source = decode_octal(f[sep + 2]);
    if (sep + 3 < f.size()) e.super_options = decode_octal(f[sep + 3]);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<SwapEntry> parse_swaps(std::string_view text) {
  std::vector<SwapEntry> out;
  bool first = true;
  for (auto line : lines_of(text)) {
    if (first) {
      first = false;
      if (line.rfind("Filename", 0) == 0) continue;
    }
    auto f = split_words(line);
    if (f.size() < 2) continue;
    out.push_back({decode_octal(f[0]), f[1]});
  }
  return out;
}

std::vector<RouteEntry> parse_route(std::string_view text) {
  std::vector<RouteEntry> out;
  for (auto line : lines_of(text)) {
    auto f = split_words(line);
    if (f.size() < 8 || f[0] == "Iface") continue;
    RouteEntry r;
    r.iface = f[0];
    if (!parse_unsigned(f[1], r.destination, 16) || !parse_unsigned(f[3], r.flags, 16) ||
        !parse_unsigned(f[7], r.mask, 16)) {
      continue;
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::string> parse_cmdline(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false, any = false;
  for (char c : text) {
    if (c == '"') {
      quoted = !quoted;
      any = true;
      continue;
    }
    if (!quoted && (c == ' ' || c == '\t' || c == '\n' || c == '\0')) {
      if (any) out.push_back(std::move(cur));
      cur.clear();
      any = false;
      continue;
    }
    cur += c;
    any = true;
  }
  if (any) out.push_back(std::move(cur));
  return out;
}

bool has_cmdline_param(const std::vector<std::string>& params, std::string_view name) {
  for (const auto& p : params) {
    std::string_view v(p);
    if (v == name) return true;
    if (v.size() > name.size() && v.substr(0, name.size()) == name && v[name.size()] == '=')
      return true;
  }
  return false;
}

std::string cmdline_value(const std::vector<std::string>& params, std::string_view name) {
  std::string out;
  for (const auto& p : params) {
    std::string_view v(p);
    if (v.size() > name.size() && v.substr(0, name.size()) == name && v[name.size()] == '=') {
      out = std::string(v.substr(name.size() + 1));
    }
  }
  return out;
}

std::string parse_cpu_vendor(std::string_view cpuinfo) {
  for (auto line : lines_of(cpuinfo)) {
    if (line.rfind("vendor_id", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string_view::npos) return std::string(trim(line.substr(colon + 1)));
    }
  }
  return {};
}

std::vector<std::string> parse_cpu_flags(std::string_view cpuinfo) {
  for (auto line : lines_of(cpuinfo)) {
    if (line.rfind("flags", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string_view::npos) return split_words(line.substr(colon + 1));
    }
  }
  return {};
}

bool interrupts_show_remapping(std::string_view interrupts) {
  return interrupts.find("IR-") != std::string_view::npos;
}

long long meminfo_value(std::string_view meminfo, std::string_view key) {
  for (auto line : lines_of(meminfo)) {
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':') {
      auto words = split_words(line.substr(key.size() + 1));
      if (words.empty()) return -1;
      auto v = parse_int_attr(words[0]);
      return v ? *v : -1;
    }
  }
  return -1;
}

}  // namespace ptagent
