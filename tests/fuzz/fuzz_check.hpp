// Shared by the libFuzzer targets: an invariant that does not hold is a crash libFuzzer reports
// (with the input saved), not a silent pass. Only ptagent::Error may leave a parser; any other
// exception escapes LLVMFuzzerTestOneInput and libFuzzer reports it as a crash too.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#define FUZZ_CHECK(cond, what)                                                               \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "fuzz invariant broken at %s:%d: %s\n  %s\n", __FILE__, __LINE__, \
                   #cond, std::string(what).c_str());                                        \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)

inline std::string_view fuzz_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}
