// `ptagent` with no command: the summary of each simulated host (golden text and JSON), its
// counts against what groups says, and the help still one option away.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/cli_runner.hpp"

using ptagent::test::expect_golden;
using ptagent::test::fixture_host;
using ptagent::test::run_cli;

namespace {

std::string rooted(std::string text, const std::string& dir) {
  for (auto at = text.find(dir); at != std::string::npos; at = text.find(dir, at))
    text.replace(at, dir.size(), "ROOT");
  return text;
}

class Summary : public ::testing::TestWithParam<std::string> {};

TEST_P(Summary, Golden) {
  const std::string host = GetParam();
  const std::string root = fixture_host(host);
  auto text = run_cli({"--root", root});
  EXPECT_EQ(text.code, 0) << text.err;
  EXPECT_EQ(text.err, "");
  expect_golden(host + "/summary.txt", rooted(text.out, root));
  auto json = run_cli({"--root", root, "--json"});
  EXPECT_EQ(json.code, 0) << json.err;
  expect_golden(host + "/summary.json", rooted(json.out, root));
  // Three commands to try next, the first always check.
  const auto j = nlohmann::json::parse(json.out);
  ASSERT_EQ(j["next"].size(), 3u);
  EXPECT_EQ(j["next"][0]["command"], "ptagent check");
}

INSTANTIATE_TEST_SUITE_P(Hosts, Summary, ::testing::Values("workstation", "server", "noiommu"));

// The counts are groups' verdicts: every assignable endpoint is "alone" or "together" there in a
// group that is not refused as a whole, and readiness is check's.
TEST(Summary, AgreesWithGroupsAndCheck) {
  for (const char* host : {"workstation", "server", "noiommu"}) {
    SCOPED_TRACE(host);
    const std::string root = fixture_host(host);
    const auto s = nlohmann::json::parse(run_cli({"--root", root, "--json"}).out);
    const auto g = nlohmann::json::parse(run_cli({"--root", root, "--json", "groups"}).out);
    std::vector<std::string> assignable;
    for (const auto& group : g) {
      if (group["verdict"].get<std::string>().rfind("not assignable", 0) == 0) continue;
      for (const auto& m : group["members"]) {
        if (m["infrastructure"].is_null() && m["verdict"] != "not_assignable")
          assignable.push_back(m["address"]);
      }
    }
    std::sort(assignable.begin(), assignable.end());
    EXPECT_EQ(s["assignable"], nlohmann::json(assignable));
    auto check = run_cli({"--root", root, "--json", "check"});
    EXPECT_EQ(s["ready"], nlohmann::json::parse(check.out)["ready"]);
    EXPECT_EQ(s["ready"], check.code == 0);
  }
}

TEST(Summary, HelpIsStillThere) {
  auto h = run_cli({"--help"});
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.out.find("Usage: ptagent"), std::string::npos);
  EXPECT_NE(h.out.find("'ptagent' alone"), std::string::npos);
  auto bad = run_cli({"--root", "/nonexistent/ptagent-host"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("cannot open the host root"), std::string::npos) << bad.err;
}

}  // namespace
