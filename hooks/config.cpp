#include "hooks/config.hpp"

#include "sysfs/parse.hpp"

namespace ptagent::hook {

namespace {
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

HookConfig parse_config(std::string_view text) {
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
      c.problems.push_back("line " + std::to_string(lineno) + ": expected key = value");
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
      c.problems.push_back("line " + std::to_string(lineno) + ": unknown key '" + key + "'");
      continue;
    }
    if (!ok) c.problems.push_back("line " + std::to_string(lineno) + ": bad value for " + key);
  }
  return c;
}

}  // namespace ptagent::hook
