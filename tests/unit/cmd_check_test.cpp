// ptagent check: golden output on every simulated host, JSON shape, exit codes and bad input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/cli_runner.hpp"

using ptagent::test::expect_golden;
using ptagent::test::fixture_host;
using ptagent::test::run_cli;

namespace {

struct HostCase {
  const char* host;
  int code;
};

void PrintTo(const HostCase& c, std::ostream* os) {
  *os << c.host << " (exit " << c.code << ")";
}

class CheckGolden : public ::testing::TestWithParam<HostCase> {};

TEST_P(CheckGolden, TextAndJson) {
  const HostCase hc = GetParam();
  const std::string host = hc.host;
  auto text = run_cli({"--root", fixture_host(host), "check"});
  EXPECT_EQ(text.code, hc.code) << text.err;
  EXPECT_EQ(text.err, "");
  expect_golden(host + "/check.txt", text.out);

  auto json = run_cli({"check", "--json", "--root", fixture_host(host)});
  EXPECT_EQ(json.code, hc.code) << json.err;
  expect_golden(host + "/check.json", json.out);

  auto j = nlohmann::json::parse(json.out);
  ASSERT_TRUE(j["checks"].is_array());
  EXPECT_EQ(j["checks"].size(), 18u);
  int pass = 0, warn = 0, fail = 0, skip = 0;
  for (const auto& c : j["checks"]) {
    for (const char* key : {"id", "status", "title", "evidence", "fix"})
      ASSERT_TRUE(c[key].is_string()) << key;
    const std::string s = c["status"];
    pass += s == "PASS";
    warn += s == "WARN";
    fail += s == "FAIL";
    skip += s == "SKIP";
    if (s == "PASS") {
      EXPECT_EQ(c["fix"], "");
    }
    if (s == "FAIL" || s == "WARN") {
      EXPECT_NE(c["fix"], "");
    }
  }
  EXPECT_EQ(pass + warn + fail + skip, 18);
  EXPECT_EQ(j["summary"]["pass"], pass);
  EXPECT_EQ(j["summary"]["warn"], warn);
  EXPECT_EQ(j["summary"]["fail"], fail);
  EXPECT_EQ(j["summary"]["skip"], skip);
  EXPECT_EQ(j["ready"], fail == 0);
  EXPECT_EQ(hc.code, fail == 0 ? 0 : 1);
}

INSTANTIATE_TEST_SUITE_P(Hosts, CheckGolden,
                         ::testing::Values(HostCase{"workstation", 0}, HostCase{"server", 0},
                                           HostCase{"noiommu", 1}),
                         [](const ::testing::TestParamInfo<HostCase>& param_info) {
                           return std::string(param_info.param.host);
                         });

TEST(Check, TextLayout) {
  auto r = run_cli({"--root", fixture_host("noiommu"), "check"});
  EXPECT_NE(r.out.find("PASS  cpu                  GenuineIntel"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FAIL  iommu                no IOMMU"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n                           fix: give the VM an IOMMU"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("18 checks: "), std::string::npos);
  EXPECT_NE(r.out.find("not ready for PCI passthrough"), std::string::npos);
}

TEST(Check, Help) {
  auto r = run_cli({"check", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Usage: ptagent check [--json]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Exit status: 0 when nothing FAILs"), std::string::npos);
  auto main_help = run_cli({"--help"});
  EXPECT_NE(main_help.out.find("  check "), std::string::npos);
}

TEST(Check, BadInput) {
  auto extra = run_cli({"--root", fixture_host("workstation"), "check", "0000:01:00.0"});
  EXPECT_EQ(extra.code, 2);
  EXPECT_EQ(extra.out, "");
  EXPECT_NE(extra.err.find("ptagent check"), std::string::npos) << extra.err;

  auto option = run_cli({"--root", fixture_host("workstation"), "check", "--bogus"});
  EXPECT_EQ(option.code, 2);
  EXPECT_NE(option.err.find("ptagent check"), std::string::npos) << option.err;
  EXPECT_NE(option.err.find("bogus"), std::string::npos) << option.err;

  auto missing = run_cli({"--root", "/nonexistent/ptagent-root", "check"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_EQ(missing.out, "");
  EXPECT_NE(missing.err.find("/nonexistent/ptagent-root"), std::string::npos) << missing.err;

  // A directory that is not a host tree (no sys/).
  auto not_host = run_cli({"--root", std::string(PTAGENT_FIXTURES_DIR), "check"});
  EXPECT_EQ(not_host.code, 2);
  EXPECT_NE(not_host.err.find("is not a host tree"), std::string::npos) << not_host.err;
}

}  // namespace
