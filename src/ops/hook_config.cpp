#include "ops/hook_config.hpp"

#include <array>
#include <cstdlib>

#include "sysfs/parse.hpp"

namespace ptagent {

namespace {
constexpr std::array kKeys{
    HookConfigKey{"hook_timeout", "SECONDS", "30",
                  "How long one run of the hook may take, whatever it does; when it is reached "
                  "the hook gives up (a start is refused, a release goes on without it). "
                  "At most 600."},
    HookConfigKey{"write_timeout", "SECONDS", "10",
                  "How long one sysfs write (binding a device, resetting it, creating an mdev) "
                  "may block before the hook stops waiting for it. At most 600."},
    HookConfigKey{"busy_retry", "SECONDS", "5",
                  "How long the hook retries removing an mdev that the kernel still says is busy "
                  "when its domain is released. At most 600."},
    HookConfigKey{"log_file", "PATH", "none",
                  "An absolute path where the hook appends its action lines, besides syslog."},
};

bool seconds(std::string_view value, std::chrono::milliseconds& out, double max) {
  std::string v(trim(value));
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (v.empty() || end != v.c_str() + v.size() || !(d > 0 && d <= max)) return false;
  // At least a millisecond: a shorter value would truncate to a deadline of 0.
  const auto ms = static_cast<long long>(d * 1000);
  if (ms < 1) return false;
  out = std::chrono::milliseconds(ms);
  return true;
}
}  // namespace

std::span<const HookConfigKey> hook_config_keys() {
  return kKeys;
}

HookConfig parse_hook_config(std::string_view text) {
  HookConfig c;
  std::size_t start = 0;
  int lineno = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = trim(text.substr(start, nl - start));
    start = nl + 1;
    ++lineno;
    if (line.empty() || line.front() == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      c.problems.push_back({lineno, "expected key = value"});
      continue;
    }
    std::string key(trim(line.substr(0, eq)));
    std::string_view value = line.substr(eq + 1);
    bool ok = true;
    if (key == "hook_timeout") {
      ok = seconds(value, c.deadline, 600);
    } else if (key == "write_timeout") {
      ok = seconds(value, c.write_timeout, 600);
    } else if (key == "busy_retry") {
      ok = seconds(value, c.busy_retry, 600);
    } else if (key == "log_file") {
      c.log_file = std::string(trim(value));
      ok = !c.log_file.empty() && c.log_file.front() == '/';
      if (!ok) c.log_file.clear();
    } else {
      c.problems.push_back({lineno, "unknown key '" + key + "'"});
      continue;
    }
    if (!ok)
      c.problems.push_back(
          {lineno, "bad value for " + key + ": '" + std::string(trim(value)) + "'"});
  }
  return c;
}

std::string hook_config_problem_text(std::string_view file, const HookConfigProblem& problem) {
  return std::string(file) + ":" + std::to_string(problem.line) + ": " + problem.text;
}

std::string hook_config_keys_text() {
  std::string out;
  for (const auto& k : kKeys) {
    if (!out.empty()) out += "\n";
    out += std::string(k.key) + " = " + k.value + " (default: " + k.fallback + ")\n";
    // The description wrapped at 80 columns, indented by 4.
    std::string line = "   ";
    std::string_view words = k.text;
    while (!words.empty()) {
      auto sp = words.find(' ');
      std::string_view w = words.substr(0, sp);
      if (line.size() + 1 + w.size() > 80) {
        out += line + "\n";
        line = "   ";
      }
      line += " ";
      line += w;
      words = sp == std::string_view::npos ? std::string_view{} : words.substr(sp + 1);
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace ptagent
