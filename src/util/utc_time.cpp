#include "util/utc_time.hpp"

#include <chrono>

namespace ptagent {

std::string utc_text(std::time_t t, const char* format) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

std::string utc_now() {
  return utc_text(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()),
                  "%Y-%m-%dT%H:%M:%SZ");
}

std::string utc_stamp() {
  return utc_text(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()),
                  "%Y%m%dT%H%M%SZ");
}

}  // namespace ptagent
