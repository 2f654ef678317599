// The CLI's entry point: errors as text or, with --json, as JSON on stdout with the same exit
// codes; --help lists the options a user types and the positional arguments by name.
#include "agent/cli.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "error.hpp"
#include "support/cli_runner.hpp"

using namespace ptagent;
using ptagent::test::CliResult;
using ptagent::test::fixture_host;
using ptagent::test::run_cli;
using ::testing::HasSubstr;

namespace {

struct JsonCase {
  std::vector<std::string> args;  // after --root workstation --json
  int code;
  const char* error_code;
  const char* cause;  // a part of it
};

TEST(CliJsonErrors, ErrorIsJsonOnStdoutWithTheSameExitCode) {
  const std::vector<JsonCase> cases{
      {{"show", "0000:09:00.0"}, 1, "not_found", "no such PCI device"},
      {{"show"}, 2, "invalid_input", "needs a DEVICE"},
      {{"show", "zz:zz"}, 2, "invalid_input", ""},
      {{"frobnicate"}, 2, "invalid_input", "unknown command"},
      {{"list", "--bogus"}, 2, "invalid_input", "unrecognised option"},
      {{"mdev", "remove", "not-a-uuid"}, 2, "invalid_input", ""},
      {{"hook", "install", "--hooks-dir", "/nonexistent/hooks", "--binary", "/bin/true"},
       1,
       "not_found",
       "is not the ptagent-hook binary"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv{"--root", fixture_host("workstation"), "--json"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const CliResult r = run_cli(argv);
    SCOPED_TRACE(c.args.front() + " " + r.out);
    EXPECT_EQ(r.code, c.code);
    EXPECT_EQ(r.err, "");
    ASSERT_EQ(r.out.back(), '\n');
    EXPECT_EQ(r.out.find('\n'), r.out.size() - 1);  // one line
    const nlohmann::json j = nlohmann::json::parse(r.out);
    ASSERT_TRUE(j.contains("error"));
    const auto& e = j["error"];
    EXPECT_EQ(e["code"], c.error_code);
    EXPECT_THAT(e["cause"].get<std::string>(), HasSubstr(c.cause));
    EXPECT_TRUE(e["object"].is_string() || e["object"].is_null());
    EXPECT_TRUE(e["fix"].is_string() || e["fix"].is_null());
    EXPECT_EQ(e.size(), 4u);

    // Without --json: the same exit code, the text on stderr, nothing on stdout.
    argv.erase(argv.begin() + 2);
    const CliResult text = run_cli(argv);
    EXPECT_EQ(text.code, c.code);
    EXPECT_EQ(text.out, "");
    EXPECT_THAT(text.err, HasSubstr("ptagent: error: "));
    EXPECT_THAT(text.err, HasSubstr(e["cause"].get<std::string>()));
  }
}

TEST(CliJsonErrors, InputsAreSpelledAsFlagsAndMissingPartsAreNull) {
  const Error e(ErrorKind::refused, Reason::busy, "0000:01:00.0", "in use by domain win10",
                "stop it, or pass " + mention(Input::force));
  const nlohmann::json j = nlohmann::json::parse(cli::error_json(e));
  EXPECT_EQ(j["error"]["code"], "busy");
  EXPECT_EQ(j["error"]["object"], "0000:01:00.0");
  EXPECT_EQ(j["error"]["fix"], "stop it, or pass --force");

  const Error bare(ErrorKind::failed, "", "it broke");
  const nlohmann::json k = nlohmann::json::parse(cli::error_json(bare));
  EXPECT_TRUE(k["error"]["object"].is_null());
  EXPECT_TRUE(k["error"]["fix"].is_null());
  EXPECT_EQ(k["error"]["code"], "failed");
}

TEST(CliJsonErrors, TextThatIsNotUtf8IsReplacedNotThrown) {
  const Error e(ErrorKind::usage, std::string("bad\xff\xfe"), "cause");
  const nlohmann::json j = nlohmann::json::parse(cli::error_json(e));
  EXPECT_THAT(j["error"]["object"].get<std::string>(), HasSubstr("bad"));
}

TEST(CliHelp, PositionalOptionsAreArgumentsNotOptions) {
  std::vector<std::vector<std::string>> lines;
  for (const auto& c : cli::commands()) lines.push_back({c.name, "--help"});
  for (const char* verb : {"types", "list", "create", "remove"})
    lines.push_back({"mdev", verb, "--help"});
  for (const char* verb : {"iommu", "bind", "revert"}) lines.push_back({"setup", verb, "--help"});
  for (const char* verb : {"install", "status"}) lines.push_back({"hook", verb, "--help"});
  for (const auto& argv : lines) {
    const CliResult r = run_cli(argv);
    SCOPED_TRACE(argv.front());
    EXPECT_EQ(r.code, 0);
    for (const char* internal :
         {"--device arg", "--args arg", "--verb arg", "--action arg", "--arg arg"}) {
      EXPECT_THAT(r.out, ::testing::Not(HasSubstr(internal)));
    }
  }
  EXPECT_THAT(run_cli({"show", "--help"}).out, HasSubstr("Arguments:\n  DEVICE "));
  EXPECT_THAT(run_cli({"bind", "--help"}).out, HasSubstr("\n  DEVICE…  "));
  // The arguments are still accepted as options.
  EXPECT_EQ(run_cli({"--root", fixture_host("workstation"), "show", "--device", "01:00.0"}).code,
            0);
}

}  // namespace
