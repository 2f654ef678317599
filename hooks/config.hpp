// /etc/ptagent/ptagent.conf: "key = value" lines, '#' comments. Only the hook reads it.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace ptagent::hook {

struct HookConfig {
  std::chrono::milliseconds deadline{30000};       // the whole hook, any operation
  std::chrono::milliseconds write_timeout{10000};  // one sysfs write
  std::chrono::milliseconds busy_retry{5000};      // removing an mdev that is still busy at release
  std::string log_file;               // besides syslog, append action lines here (absolute path)
  std::vector<std::string> problems;  // unknown keys and bad values, logged, never fatal
};

HookConfig parse_config(std::string_view text);

}  // namespace ptagent::hook
