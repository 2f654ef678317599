#include <gtest/gtest.h>

#include "hooks/config.hpp"

using namespace ptagent::hook;

TEST(HookConfig, DefaultsAndValues) {
  HookConfig d = parse_config("");
  EXPECT_EQ(d.deadline.count(), 30000);
  HookConfig c = parse_config(
      "# comment\nhook_timeout = 5\nwrite_timeout=0.5\nlog_file = /var/log/ptagent.log\n");
  EXPECT_EQ(c.deadline.count(), 5000);
  EXPECT_EQ(c.write_timeout.count(), 500);
  EXPECT_EQ(c.log_file, "/var/log/ptagent.log");
  EXPECT_TRUE(c.problems.empty());
}

TEST(HookConfig, BadLinesAreReportedNotFatal) {
  HookConfig c = parse_config(
      "hook_timeout = -1\nnonsense\ncolour = blue\nhook_timeout = 9999\nlog_file = relative\n");
  EXPECT_EQ(c.deadline.count(), 30000);
  EXPECT_TRUE(c.log_file.empty());
  EXPECT_EQ(c.problems.size(), 5u);
}

TEST(HookConfig, ATimeoutUnderAMillisecondIsRefused) {
  // Found by fuzz_hook_config: 0.0001 s truncated to a deadline of 0 ms, which kills every hook.
  HookConfig c =
      parse_config("hook_timeout = 0.0001\nwrite_timeout = 0.0009\nbusy_retry = 0.001\n");
  EXPECT_EQ(c.deadline.count(), 30000);
  EXPECT_EQ(c.write_timeout.count(), 10000);
  EXPECT_EQ(c.busy_retry.count(), 1);
  EXPECT_EQ(c.problems.size(), 2u);
}
