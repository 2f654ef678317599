// ptagent plan: golden plans on every simulated host, the steps against what check, probe and
// setup --dry-run say for the same devices, and the bad input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/cli_runner.hpp"
#include "support/temp_host.hpp"

using ptagent::test::expect_cli_failures;
using ptagent::test::expect_golden;
using ptagent::test::fixture_host;
using ptagent::test::run_cli;
using ptagent::testing::TempHost;

namespace {

struct Case {
  const char* host;
  std::vector<std::string> devices;
  const char* golden;
  int code;
};

const std::vector<Case> kCases = {
    {"workstation", {"01:00.0"}, "plan/workstation-01_00.0", 0},
    {"workstation", {"00:1f.3"}, "plan/workstation-00_1f.3", 1},
    {"workstation", {"02:00.0"}, "plan/workstation-02_00.0", 1},
    {"server", {"03:00.0", "03:01.0"}, "plan/server-03_00.0-03_01.0", 0},
    {"server", {"01:10.2"}, "plan/server-01_10.2", 0},
    {"noiommu", {"00:05.0"}, "plan/noiommu-00_05.0", 1},
};

TEST(Plan, GoldensOnEverySimulatedHost) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.golden);
    std::vector<std::string> argv{"--root", fixture_host(c.host), "plan"};
    argv.insert(argv.end(), c.devices.begin(), c.devices.end());
    auto text = run_cli(argv);
    EXPECT_EQ(text.code, c.code) << text.err;
    EXPECT_EQ(text.err, "");
    expect_golden(std::string(c.golden) + ".txt", text.out);
    argv.push_back("--json");
    auto json = run_cli(argv);
    EXPECT_EQ(json.code, c.code);
    expect_golden(std::string(c.golden) + ".json", json.out);
  }
}

// Each plan's steps say what the other commands say: a device refused in the plan is refused by
// probe, the FAIL checks are check's, and the set-up command it gives is one setup accepts.
TEST(Plan, AgreesWithCheckProbeAndSetup) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.golden);
    const std::string root = fixture_host(c.host);
    std::vector<std::string> argv{"--root", root, "--json", "plan"};
    argv.insert(argv.end(), c.devices.begin(), c.devices.end());
    const auto plan = nlohmann::json::parse(run_cli(argv).out);
    const auto check = nlohmann::json::parse(run_cli({"--root", root, "--json", "check"}).out);
    std::vector<std::string> fails, host_steps;
    for (const auto& k : check["checks"])
      if (k["status"] == "FAIL") fails.push_back(k["id"]);
    bool refused = false;
    for (const auto& s : plan["steps"]) {
      if (s["kind"] == "host-check") host_steps.push_back(s["check"]);
      if (s["kind"] == "refused") refused = true;
      if (s["kind"] == "bind-at-boot") {
        TempHost h = TempHost::copy_of(c.host);
        std::vector<std::string> setup{"--root", h.dir(), "--dry-run", "setup", "bind"};
        for (const auto& d : s["devices"]) setup.push_back(d);
        auto dry = run_cli(setup);
        EXPECT_EQ(dry.code, 0) << dry.err;
      }
    }
    EXPECT_EQ(host_steps, fails);
    for (const auto& d : c.devices) {
      auto probe = run_cli({"--root", root, "probe", d, "--no-live"});
      if (!refused) {
        EXPECT_EQ(probe.code, 0) << d << probe.out << probe.err;
      }
    }
    EXPECT_EQ(plan["possible"], !refused && fails.empty());
  }
}

TEST(Plan, BadInput) {
  expect_cli_failures(fixture_host("workstation"),
                      {
                          {{"plan"}, 2, "needs a DEVICE"},
                          {{"plan", "01:00.8"}, 2, "out of range"},
                          {{"plan", "09:00.0"}, 1, "no such PCI device"},
                          {{"plan", "01:00.0", "--domain", ""}, 2, "--domain"},
                          {{"plan", "01:00.0", "--bogus"}, 2, "ptagent plan"},
                      },
                      true);
}

}  // namespace
