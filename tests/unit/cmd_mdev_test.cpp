// ptagent mdev end to end: the CLI on the simulated workstation, with the kernel double.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "agent/commands.hpp"
#include "ops/journal.hpp"
#include "ops/wait.hpp"
#include "support/cli_runner.hpp"
#include "support/kernel_double.hpp"
#include "support/temp_host.hpp"

using namespace ptagent;
using nlohmann::json;
using ptagent::test::CliResult;
using ptagent::test::fixture_host;
using ptagent::test::run_cli;
using ptagent::testing::KernelDouble;
using ptagent::testing::TempHost;

using ::testing::HasSubstr;

namespace {

const WaitLimits kFast{std::chrono::milliseconds(300), std::chrono::milliseconds(10)};
const char* kU1 = "4b20d080-1b54-4048-85b3-a6a62d165c01";
const char* kU2 = "83c32df7-d52e-4ec1-9668-1f3c7e4df107";

CliResult run_mdev(const TempHost& host, SysfsWriter& writer, const std::vector<std::string>& args,
                   bool as_json = false, bool dry_run = false) {
  return test::run_command(
      host.dir(),
      [&](cli::Context& ctx) {
        ctx.use_sysfs(writer);
        ctx.use_settle(kFast);
        return cli::cmd_mdev(ctx, args);
      },
      as_json, dry_run);
}

}  // namespace

TEST(CmdMdev, GoldenTypesOfTheWorkstation) {
  const CliResult text = run_cli({"--root", fixture_host("workstation"), "mdev", "types"});
  ASSERT_EQ(text.code, 0) << text.err;
  test::expect_golden("workstation/mdev-types.txt", text.out);
  const CliResult j = run_cli({"--root", fixture_host("workstation"), "--json", "mdev", "types"});
  ASSERT_EQ(j.code, 0) << j.err;
  test::expect_golden("workstation/mdev-types.json", j.out);
  // mdevctl's shape: [{parent: [{type: {...}}]}]
  const json doc = json::parse(j.out);
  EXPECT_EQ(doc[0]["0000:00:02.0"][1]["i915-GVTg_V5_8"]["available_instances"], 2);
  EXPECT_EQ(run_cli({"--root", fixture_host("workstation"), "mdev", "types", "00:02.0"}).out,
            text.out);
}

TEST(CmdMdev, EmptyHostsPrintEmptyLists) {
  EXPECT_EQ(run_cli({"--root", fixture_host("server"), "--json", "mdev", "types"}).out, "[]\n");
  EXPECT_EQ(run_cli({"--root", fixture_host("server"), "--json", "mdev", "list"}).out, "[]\n");
  EXPECT_EQ(run_cli({"--root", fixture_host("workstation"), "--json", "mdev", "list"}).out, "[]\n");
  EXPECT_EQ(run_cli({"--root", fixture_host("workstation"), "mdev", "list"}).out,
            "No mediated devices.\n");
}

TEST(CmdMdev, CreateListRemove) {
  TempHost host = TempHost::copy_of("workstation");
  KernelDouble kernel(host.root());
  const CliResult created = run_mdev(host, kernel,
                                     {"create", "0000:00:02.0", "i915-GVTg_V5_4", "--uuid",
                                      "4B20D080-1B54-4048-85B3-A6A62D165C01"});
  ASSERT_EQ(created.code, 0) << created.err;
  EXPECT_EQ(created.out, std::string(kU1) + "\n");

  const CliResult generated = run_mdev(host, kernel, {"create", "00:02.0", "i915-GVTg_V5_8"});
  ASSERT_EQ(generated.code, 0) << generated.err;
  const std::string u2 = generated.out.substr(0, 36);
  EXPECT_EQ(generated.out.size(), 37u);

  // One of them is mdevctl's and open by a guest.
  std::filesystem::create_directories(host.real("/etc/mdevctl.d/0000:00:02.0"));
  std::ofstream(host.real("/etc/mdevctl.d/0000:00:02.0/" + u2))
      << R"({"mdev_type": "i915-GVTg_V5_8", "start": "auto", "attrs": [{"x": "1"}]})";
  const CliResult list = run_mdev(host, kernel, {"list"}, true);
  ASSERT_EQ(list.code, 0) << list.err;
  const json doc = json::parse(list.out);
  ASSERT_TRUE(doc.is_array());
  ASSERT_EQ(doc.size(), 1u);
  const json& devices = doc[0]["0000:00:02.0"];
  ASSERT_EQ(devices.size(), 2u);
  for (const auto& d : devices) {
    const std::string uuid = d.begin().key();
    const json& v = d.begin().value();
    if (uuid == kU1) {
      EXPECT_EQ(v["mdev_type"], "i915-GVTg_V5_4");
      EXPECT_EQ(v["owner"], "ptagent");
      EXPECT_EQ(v["start"], "manual");
    } else {
      EXPECT_EQ(uuid, u2);
      EXPECT_EQ(v["owner"], "mdevctl");
      EXPECT_EQ(v["start"], "auto");
      EXPECT_EQ(v["attrs"][0]["x"], "1");
    }
    EXPECT_EQ(v["in_use"], false);
  }
  const CliResult text = run_mdev(host, kernel, {"list"});
  EXPECT_NE(text.out.find(std::string(kU1) + "  0000:00:02.0  i915-GVTg_V5_4  ptagent"),
            std::string::npos)
      << text.out;

  const CliResult refused = run_mdev(host, kernel, {"remove", u2});
  EXPECT_EQ(refused.code, 1);
  EXPECT_THAT(refused.err, HasSubstr("mdevctl owns it"));

  const CliResult removed = run_mdev(host, kernel, {"remove", kU1});
  ASSERT_EQ(removed.code, 0) << removed.err;
  EXPECT_EQ(removed.out,
            std::string("Removed mdev ") + kU1 + " (i915-GVTg_V5_4 on 0000:00:02.0)\n");
  const CliResult forced = run_mdev(host, kernel, {"remove", u2, "--force"});
  ASSERT_EQ(forced.code, 0) << forced.err;
  EXPECT_THAT(forced.err, HasSubstr("--force"));
  EXPECT_EQ(run_mdev(host, kernel, {"list"}, true).out, "[]\n");
  EXPECT_TRUE(Journal(host.root()).load().empty());
}

TEST(CmdMdev, AnOpenDeviceIsNotRemoved) {
  TempHost host = TempHost::copy_of("workstation");
  KernelDouble kernel(host.root());
  ASSERT_EQ(
      run_mdev(host, kernel, {"create", "0000:00:02.0", "i915-GVTg_V5_8", "--uuid", kU2}).code, 0);
  const CliResult j =
      run_mdev(host, kernel, {"create", "0000:00:02.0", "i915-GVTg_V5_8", "--uuid", kU2}, true);
  ASSERT_EQ(j.code, 0) << j.err;
  const json created = json::parse(j.out);
  EXPECT_EQ(created["reused"], true);
  const unsigned group = created["iommu_group"].get<unsigned>();
  std::filesystem::create_directories(host.real("/proc/777/fd"));
  std::filesystem::create_symlink("/dev/vfio/" + std::to_string(group),
                                  host.real("/proc/777/fd/20"));
  const CliResult list = run_mdev(host, kernel, {"list"});
  EXPECT_THAT(list.out, HasSubstr("yes: held open by pid 777"));
  const std::size_t writes = kernel.write_count();
  const CliResult r = run_mdev(host, kernel, {"remove", kU2});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("held open by pid 777"));
  EXPECT_EQ(kernel.write_count(), writes);
}

TEST(CmdMdev, DryRunChangesNothing) {
  TempHost host = TempHost::copy_of("workstation");
  KernelDouble kernel(host.root());
  const std::string before = ptagent::testing::host_state(host.root());
  const CliResult r = run_mdev(
      host, kernel, {"create", "0000:00:02.0", "i915-GVTg_V5_4", "--uuid", kU1}, false, true);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(
      r.out.find("Would create a i915-GVTg_V5_4 on 0000:00:02.0 with UUID " + std::string(kU1)),
      std::string::npos)
      << r.out;
  EXPECT_THAT(r.out, HasSubstr("available instances 1 -> 0"));
  EXPECT_EQ(kernel.write_count(), 0u);
  EXPECT_EQ(ptagent::testing::host_state(host.root()), before);
  EXPECT_TRUE(Journal(host.root()).load().empty());

  ASSERT_EQ(
      run_mdev(host, kernel, {"create", "0000:00:02.0", "i915-GVTg_V5_4", "--uuid", kU1}).code, 0);
  const std::size_t writes = kernel.write_count();
  const CliResult rm = run_mdev(host, kernel, {"remove", kU1}, false, true);
  ASSERT_EQ(rm.code, 0) << rm.err;
  EXPECT_NE(rm.out.find("Would remove mdev " + std::string(kU1)), std::string::npos);
  EXPECT_EQ(kernel.write_count(), writes);
}

TEST(CmdMdev, BadInputAndRefusals) {
  const std::string root = fixture_host("workstation");
  const std::vector<test::CliFailure> cases = {
      {{"mdev"}, 2, "needs a sub-command"},
      {{"mdev", "start"}, 2, "mdev start: unknown sub-command"},
      {{"mdev", "create"}, 2, "needs a PARENT and a TYPE"},
      {{"mdev", "create", "0000:00:02.0"}, 2, "needs a PARENT and a TYPE"},
      {{"mdev", "create", "0000:00:02.1", "i915-GVTg_V5_4"}, 1, "did you mean 0000:00:02.0?"},
      {{"mdev", "create", "0000:00:02.0", "i915-GVTg_V5_5"}, 1, "did you mean i915-GVTg_V5_4?"},
      {{"mdev", "create", "0000:00:02.0", "../../../../../bus/pci/drivers_probe"},
       2,
       "contains '/'"},
      {{"mdev", "create", "0000:00:02.0", ".."}, 2, "must not start with '.'"},
      {{"mdev", "create", "0000:00:02.0", "i915-GVTg_V5_4", "--uuid", "not-a-uuid"},
       2,
       "is not a UUID"},
      {{"mdev", "create", "../x", "i915-GVTg_V5_4"}, 2, "mdev parent '../x'"},
      {{"mdev", "remove"}, 2, "needs a UUID"},
      {{"mdev", "remove", "xyz"}, 2, "is not a UUID"},
      {{"mdev", "remove", kU1}, 1, "no such mediated device"},
      {{"mdev", "types", "0000:00:14.0"}, 1, "no such mdev parent"},
      {{"mdev", "list", "extra"}, 2, ""},
  };
  test::expect_cli_failures(root, cases);
}

TEST(CmdMdev, EverySubCommandHasHelp) {
  const CliResult top = run_cli({"mdev", "--help"});
  EXPECT_EQ(top.code, 0);
  for (const char* verb : {"types", "list", "create", "remove"}) {
    EXPECT_NE(top.out.find(std::string("  ") + verb), std::string::npos) << verb;
    const CliResult r = run_cli({"mdev", verb, "--help"});
    EXPECT_EQ(r.code, 0) << verb;
    EXPECT_NE(r.out.find(std::string("Usage: ptagent mdev ") + verb), std::string::npos) << r.out;
  }
  EXPECT_NE(run_cli({"mdev", "create", "-h"}).out.find("--uuid"), std::string::npos);
  EXPECT_NE(run_cli({"mdev", "remove", "--help"}).out.find("--force"), std::string::npos);
}
