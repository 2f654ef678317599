#include "ops/hook_config.hpp"

#include <gtest/gtest.h>

#include <set>

using namespace ptagent;

namespace {
std::vector<int> lines(const HookConfig& c) {
  std::vector<int> out;
  for (const auto& p : c.problems) out.push_back(p.line);
  return out;
}
}  // namespace

TEST(HookConfig, DefaultsAndValues) {
  HookConfig d = parse_hook_config("");
  EXPECT_EQ(d.deadline.count(), 30000);
  HookConfig c = parse_hook_config(
      "# comment\nhook_timeout = 5\nwrite_timeout=0.5\nlog_file = /var/log/ptagent.log\n");
  EXPECT_EQ(c.deadline.count(), 5000);
  EXPECT_EQ(c.write_timeout.count(), 500);
  EXPECT_EQ(c.log_file, "/var/log/ptagent.log");
  EXPECT_TRUE(c.problems.empty());
}

TEST(HookConfig, BadLinesAreReportedWithTheirLineNotFatal) {
  HookConfig c = parse_hook_config(
      "hook_timeout = -1\nnonsense\n\n# fine\ncolour = blue\nhook_timeout = 9999\nlog_file = "
      "relative\n");
  EXPECT_EQ(c.deadline.count(), 30000);
  EXPECT_TRUE(c.log_file.empty());
  EXPECT_EQ(lines(c), (std::vector<int>{1, 2, 5, 6, 7}));
  EXPECT_EQ(c.problems[0].text, "bad value for hook_timeout: '-1'");
  EXPECT_EQ(c.problems[1].text, "expected key = value");
  EXPECT_EQ(c.problems[2].text, "unknown key 'colour'");
}

TEST(HookConfig, ATimeoutUnderAMillisecondIsRefused) {
  // Found by fuzz_hook_config: 0.0001 s truncated to a deadline of 0 ms, which kills every hook.
  HookConfig c =
      parse_hook_config("hook_timeout = 0.0001\nwrite_timeout = 0.0009\nbusy_retry = 0.001\n");
  EXPECT_EQ(c.deadline.count(), 30000);
  EXPECT_EQ(c.write_timeout.count(), 10000);
  EXPECT_EQ(c.busy_retry.count(), 1);
  EXPECT_EQ(lines(c), (std::vector<int>{1, 2}));
}

TEST(HookConfig, ProblemTextNamesTheFileAndLine) {
  EXPECT_EQ(hook_config_problem_text("/etc/ptagent/ptagent.conf", {3, "unknown key 'x'"}),
            "/etc/ptagent/ptagent.conf:3: unknown key 'x'");
}

// The table that documents the keys (ptagent.conf(5)) is the one the parser knows: every key in
// it is taken (a bad value is a bad value, not an unknown key), its default is what an empty file
// gives, and nothing else is.
TEST(HookConfig, TheKeyTableIsWhatTheParserReads) {
  const HookConfig d = parse_hook_config("");
  std::set<std::string> keys;
  for (const auto& k : hook_config_keys()) {
    keys.insert(k.key);
    HookConfig bad = parse_hook_config(std::string(k.key) + " = \n");
    ASSERT_EQ(bad.problems.size(), 1u) << k.key;
    EXPECT_EQ(bad.problems[0].text.rfind(std::string("bad value for ") + k.key, 0), 0u)
        << bad.problems[0].text;
    if (std::string(k.value) == "SECONDS") {
      HookConfig c = parse_hook_config(std::string(k.key) + " = " + k.fallback + "\n");
      EXPECT_TRUE(c.problems.empty()) << k.key;
      EXPECT_EQ(c.deadline, d.deadline) << k.key << ": the documented default is not the default";
      EXPECT_EQ(c.write_timeout, d.write_timeout) << k.key;
      EXPECT_EQ(c.busy_retry, d.busy_retry) << k.key;
    }
  }
  EXPECT_EQ(keys,
            (std::set<std::string>{"hook_timeout", "write_timeout", "busy_retry", "log_file"}));
  const std::string text = hook_config_keys_text();
  for (const auto& k : keys) EXPECT_NE(text.find(k + " = "), std::string::npos) << k;
  for (std::size_t at = 0, nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
    EXPECT_LE(nl - at, 80u) << text.substr(at, nl - at);
}
