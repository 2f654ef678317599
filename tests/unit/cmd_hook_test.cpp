// ptagent hook config: the settings the hook reads from /etc/ptagent/ptagent.conf under --root,
// each problem as FILE:LINE with exit 2.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/cli_runner.hpp"
#include "support/temp_host.hpp"

using ptagent::test::CliResult;
using ptagent::test::run_cli;
using ptagent::testing::TempHost;
using ::testing::HasSubstr;

namespace {
// A host tree with nothing but /sys (what --root asks for) and what the test puts there.
TempHost bare_host() {
  TempHost h = TempHost::empty();
  h.put("/sys/.keep");
  return h;
}
}  // namespace

TEST(CmdHookConfig, NoFileIsTheDefaults) {
  const TempHost h = bare_host();
  const CliResult r = run_cli({"--root", h.dir(), "hook", "config"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, h.dir() +
                       "/etc/ptagent/ptagent.conf: absent, the defaults\nhook_timeout = 30\n"
                       "write_timeout = 10\nbusy_retry = 5\nlog_file = none\n");
  EXPECT_EQ(r.err, "");
}

TEST(CmdHookConfig, TheFileIsRead) {
  const TempHost h = bare_host();
  h.put("/etc/ptagent/ptagent.conf",
        "# ours\nhook_timeout = 60\nwrite_timeout=2.5\nlog_file = /var/log/hook.log\n");
  const CliResult r = run_cli({"--root", h.dir(), "hook", "config"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(": read\nhook_timeout = 60\nwrite_timeout = 2.5\nbusy_retry = 5\n"
                               "log_file = /var/log/hook.log\n"));
  const CliResult j = run_cli({"--root", h.dir(), "--json", "hook", "config"});
  EXPECT_EQ(j.code, 0);
  const auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["present"], true);
  EXPECT_EQ(doc["settings"]["hook_timeout"], "60");
  EXPECT_EQ(doc["settings"]["log_file"], "/var/log/hook.log");
  EXPECT_TRUE(doc["problems"].empty());
}

TEST(CmdHookConfig, ABadFileNamesTheFileAndLineAndExits2) {
  const TempHost h = bare_host();
  h.put("/etc/ptagent/ptagent.conf", "hook_timeout = 60\n\ncolour = blue\nbusy_retry = soon\n");
  const std::string file = h.dir() + "/etc/ptagent/ptagent.conf";
  const CliResult r = run_cli({"--root", h.dir(), "hook", "config"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "ptagent: " + file + ":3: unknown key 'colour'\nptagent: " + file +
                       ":4: bad value for busy_retry: 'soon'\n");
  EXPECT_THAT(r.out, HasSubstr("hook_timeout = 60\n"));  // the good lines still count
  EXPECT_THAT(r.out, HasSubstr("busy_retry = 5\n"));     // a bad one keeps the default
  const CliResult j = run_cli({"--root", h.dir(), "--json", "hook", "config"});
  EXPECT_EQ(j.code, 2);
  const auto doc = nlohmann::json::parse(j.out);
  ASSERT_EQ(doc["problems"].size(), 2u);
  EXPECT_EQ(doc["problems"][0]["line"], 3);
  EXPECT_EQ(doc["problems"][0]["where"], file + ":3: unknown key 'colour'");
}

TEST(CmdHookConfig, HelpListsEveryKeyWithItsDefault) {
  const CliResult r = run_cli({"hook", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("Keys of ptagent.conf"));
  for (const char* k : {"hook_timeout = SECONDS (default: 30)", "write_timeout = SECONDS",
                        "busy_retry = SECONDS", "log_file = PATH"})
    EXPECT_THAT(r.out, HasSubstr(k));
}
