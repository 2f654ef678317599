#include "util/bounded_call.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>

namespace ptagent {
namespace {

using std::chrono::milliseconds;

TEST(BoundedCall, ReturnsTheResult) {
  const auto r =
      call_with_timeout<std::string>([] { return std::string("done"); }, milliseconds(5000));
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "done");
}

TEST(BoundedCall, GivesUpAfterTheTimeout) {
  // The worker owns its state: it finishes after the caller has gone on.
  auto release = std::make_shared<std::atomic<bool>>(false);
  const auto start = std::chrono::steady_clock::now();
  const auto r = call_with_timeout<int>(
      [release] {
        while (!release->load()) std::this_thread::sleep_for(milliseconds(1));
        return 1;
      },
      milliseconds(20));
  EXPECT_FALSE(r);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
  release->store(true);
}

}  // namespace
}  // namespace ptagent
