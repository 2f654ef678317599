#include "ops/wait.hpp"

#include <gtest/gtest.h>

using namespace ptagent;
using std::chrono::milliseconds;

TEST(Wait, ReturnsAtOnceWhenDone) {
  int calls = 0;
  EXPECT_TRUE(wait_until({milliseconds(1000), milliseconds(10)}, [&] { return ++calls > 0; }));
  EXPECT_EQ(calls, 1);
}

TEST(Wait, PollsUntilDone) {
  int calls = 0;
  EXPECT_TRUE(wait_until({milliseconds(2000), milliseconds(1)}, [&] { return ++calls == 5; }));
  EXPECT_EQ(calls, 5);
}

TEST(Wait, GivesUpAfterTheTimeout) {
  int calls = 0;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(wait_until({milliseconds(60), milliseconds(20)}, [&] {
    ++calls;
    return false;
  }));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, milliseconds(60));
  EXPECT_LT(took, milliseconds(1000));
  EXPECT_GE(calls, 2);
}
