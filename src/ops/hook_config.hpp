// /etc/ptagent/ptagent.conf, the hook's settings: "key = value" lines, '#' comments. The hook
// reads it at every lifecycle step and logs each problem (never fatal: a typo must not stop every
// guest); `ptagent hook config` reads it the same way and shows each problem with the file and
// line. The keys are one table (hook_config_keys()), which also makes ptagent.conf(5).
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ptagent {

struct HookConfigKey {
  const char* key;       // "hook_timeout"
  const char* value;     // what the value is: "SECONDS", "PATH"
  const char* fallback;  // the value without the key: "30"
  const char* text;      // what it sets, one sentence or two
};
// Every key ptagent.conf may hold, in the order ptagent.conf(5) lists them.
std::span<const HookConfigKey> hook_config_keys();

struct HookConfigProblem {
  int line = 0;      // 1-based
  std::string text;  // "unknown key 'colour'"
};

struct HookConfig {
  std::chrono::milliseconds deadline{30000};       // the whole hook, any operation
  std::chrono::milliseconds write_timeout{10000};  // one sysfs write
  std::chrono::milliseconds busy_retry{5000};      // removing an mdev that is still busy at release
  std::string log_file;                     // besides syslog, append action lines here (absolute)
  std::vector<HookConfigProblem> problems;  // unknown keys and bad values, in line order
};

HookConfig parse_hook_config(std::string_view text);

// "FILE:LINE: TEXT", as compilers and other tools name a place in a file.
std::string hook_config_problem_text(std::string_view file, const HookConfigProblem& problem);

// The keys as text: a line "KEY = VALUE (default: FALLBACK)" and the indented description under
// it, each key separated by a blank line (`ptagent hook config --help`, ptagent.conf(5)).
std::string hook_config_keys_text();

}  // namespace ptagent
