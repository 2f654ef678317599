// Golden files of the CLI, one per case under tests/golden/<command>/: gen-xml output for each
// device kind, the dry-run plans of bind, mdev, sriov and setup on the simulated hosts, and the
// --help of every command. PTAGENT_UPDATE_GOLDEN=1 rewrites them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent/cli.hpp"
#include "support/cli_runner.hpp"
#include "support/temp_host.hpp"

using ptagent::test::CliResult;
using ptagent::test::expect_golden;
using ptagent::test::fixture_host;
using ptagent::test::run_cli;
using ptagent::testing::TempHost;

namespace {

// The host's temporary directory is spelled ROOT in the golden files.
std::string rooted(std::string text, const std::string& dir) {
  for (std::size_t at = text.find(dir); at != std::string::npos; at = text.find(dir, at))
    text.replace(at, dir.size(), "ROOT");
  return text;
}

// stdout, then stderr after a "--- stderr" line when there is any, then the exit code.
std::string transcript(const CliResult& r, const std::string& dir = {}) {
  std::string text = r.out;
  if (!r.err.empty()) text += "--- stderr\n" + r.err;
  text += "--- exit " + std::to_string(r.code) + "\n";
  return dir.empty() ? text : rooted(text, dir);
}

struct Case {
  std::string golden;  // path under tests/golden
  const char* host;    // simulated host, or nullptr for none
  std::vector<std::string> args;
  std::string input = {};
};

void run_cases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE(c.golden);
    std::vector<std::string> argv;
    if (c.host) argv = {"--root", fixture_host(c.host)};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    expect_golden(c.golden, transcript(run_cli(argv, c.input), c.host ? fixture_host(c.host) : ""));
  }
}

// Dry runs on a private copy of the host, so that nothing a run leaves (locks, a journal) lands in
// the committed fixture.
void run_dry_cases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE(c.golden);
    TempHost h = TempHost::copy_of(c.host);
    std::vector<std::string> argv{"--root", h.dir(), "--dry-run"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    expect_golden(c.golden, transcript(run_cli(argv, c.input), h.dir()));
  }
}

const char* kU1 = "4b20d080-1b54-4048-85b3-a6a62d165c01";

TEST(GoldenCli, GenXml) {
  run_cases({
      {"gen-xml/single-function.xml", nullptr, {"gen-xml", "0000:ff:17.6"}},
      {"gen-xml/single-function-options.xml",
       nullptr,
       {"gen-xml", "ff:17.6", "--managed", "no", "--driver", "vfio", "--rom-bar", "off",
        "--rom-file", "/usr/share/rom.bin", "--boot-order", "1", "--alias", "ua-nic",
        "--guest-address", "00:05"}},
      {"gen-xml/fields.xml",
       nullptr,
       {"gen-xml", "--bus", "255", "--slot", "23", "--function", "6"}},
      {"gen-xml/multifunction.xml",
       nullptr,
       {"gen-xml", "0000:ff:00", "--functions", "0,1", "--guest-address", "00:06", "--alias",
        "ua-gpu", "--boot-order", "2"}},
      {"gen-xml/multifunction-host.xml",
       "workstation",
       {"gen-xml", "01:00", "--guest-address", "00:07"}},
      {"gen-xml/multifunction-wrap-metadata.xml",
       nullptr,
       {"gen-xml", "ff:00", "--functions", "0,1", "--managed", "no", "--metadata", "--bind-group",
        "whole", "--wrap"}},
      {"gen-xml/vf.xml", "server", {"gen-xml", "01:00.2", "--managed", "no", "--metadata"}},
      {"gen-xml/mdev.xml",
       nullptr,
       {"gen-xml", "--mdev", "--parent", "0000:00:02.0", "--type", "i915-GVTg_V5_4", "--uuid", kU1,
        "--display", "on", "--ramfb", "on", "--metadata"}},
      {"gen-xml/mdev-derived.xml",
       nullptr,
       {"gen-xml", "--mdev", "--parent", "mtty", "--type", "mtty-2", "--domain-uuid",
        "6c0d8a58-33f0-4c0c-9c48-0b4b6f1e7a01", "--index", "1", "--guest-address", "00:09",
        "--wrap", "--metadata"}},
      {"gen-xml/metadata-managed.xml", nullptr, {"gen-xml", "ff:17.6", "--metadata"}},
      {"gen-xml/qemu.txt",
       nullptr,
       {"gen-xml", "ff:00", "--functions", "0,1", "--boot-order", "1", "--format", "qemu"}},
      {"gen-xml/mdev-qemu.txt",
       nullptr,
       {"gen-xml", "--mdev", "--parent", "0000:00:02.0", "--type", "i915-GVTg_V5_4", "--uuid", kU1,
        "--display", "on", "--ramfb", "on", "--format", "qemu"}},
      {"gen-xml/multifunction.json",
       nullptr,
       {"--json", "gen-xml", "ff:00", "--functions", "0,1", "--guest-address", "00:06", "--alias",
        "ua-gpu"}},
      {"gen-xml/mdev.json",
       nullptr,
       {"gen-xml", "--format", "json", "--mdev", "--parent", "0000:00:02.0", "--type",
        "i915-GVTg_V5_4", "--uuid", kU1}},
      {"gen-xml/critical-warning.xml", "workstation", {"gen-xml", "02:00.0"}},
      {"gen-xml/refused-guest-slots.txt",
       nullptr,
       {"gen-xml", "ff:00.0", "fe:00.1", "--guest-address", "00:06"}},
      {"gen-xml/refused-no-function-0.txt",
       nullptr,
       {"gen-xml", "ff:00.1", "ff:00.2", "--guest-address", "00:06"}},
      {"gen-xml/refused-twice.txt", nullptr, {"gen-xml", "ff:00.1", "0000:ff:00.1"}},
  });
}

TEST(GoldenCli, DryRunPlans) {
  run_dry_cases({
      {"bind/workstation-01_00.0-group.txt", "workstation", {"bind", "01:00.0", "--group"}},
      {"bind/workstation-01_00.0-group.json",
       "workstation",
       {"--json", "bind", "01:00.0", "--group"}},
      {"bind/server-03_00.0.txt", "server", {"bind", "03:00.0"}},
      {"mdev/workstation-create.txt",
       "workstation",
       {"mdev", "create", "0000:00:02.0", "i915-GVTg_V5_4", "--uuid", kU1}},
      {"mdev/workstation-create.json",
       "workstation",
       {"--json", "mdev", "create", "0000:00:02.0", "i915-GVTg_V5_4", "--uuid", kU1}},
      {"sriov/server-01_00.0-vfs-2.txt", "server", {"sriov", "01:00.0", "--vfs", "2", "--force"}},
      {"sriov/server-01_00.1-vfs-2.json", "server", {"--json", "sriov", "01:00.1", "--vfs", "2"}},
      {"setup/workstation-iommu.txt", "workstation", {"setup", "iommu"}},
      {"setup/workstation-modules.txt", "workstation", {"setup", "modules"}},
      {"setup/workstation-bind-01_00-by-id.txt",
       "workstation",
       {"setup", "bind", "01:00", "--by-id"}},
      {"setup/server-sriov-01_00.1.txt", "server", {"setup", "sriov", "01:00.1", "--vfs", "2"}},
      {"setup/workstation-mdev-no-mdevctl.txt",
       "workstation",
       {"setup", "mdev", "--uuid", kU1, "--parent", "0000:00:02.0", "--type", "i915-GVTg_V5_4"}},
      {"setup/noiommu-iommu.txt", "noiommu", {"setup", "iommu"}},
  });
}

TEST(GoldenCli, HelpOfEveryCommand) {
  std::vector<Case> cases{{"help/ptagent.txt", nullptr, {"--help"}}};
  for (const auto& c : ptagent::cli::commands()) {
    cases.push_back({std::string("help/") + c.name + ".txt", nullptr, {c.name, "--help"}});
  }
  for (const char* verb : {"types", "list", "create", "remove"}) {
    cases.push_back({std::string("help/mdev-") + verb + ".txt", nullptr, {"mdev", verb, "--help"}});
  }
  for (const char* verb : {"iommu", "modules", "bind", "sriov", "mdev", "status", "revert"}) {
    cases.push_back(
        {std::string("help/setup-") + verb + ".txt", nullptr, {"setup", verb, "--help"}});
  }
  for (const char* verb : {"install", "uninstall", "status"}) {
    cases.push_back({std::string("help/hook-") + verb + ".txt", nullptr, {"hook", verb, "--help"}});
  }
  run_cases(cases);
}

}  // namespace
