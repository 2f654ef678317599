// ptagent power on the simulated hosts: showing, --keep-on/--idle through the kernel double,
// --dry-run, --json and bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "agent/commands.hpp"
#include "support/cli_runner.hpp"
#include "support/kernel_double.hpp"
#include "support/temp_host.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
using ptagent::test::CliResult;
using ptagent::test::fixture_host;
using ptagent::test::run_cli;
using ptagent::testing::KernelDouble;
using ptagent::testing::TempHost;
using ::testing::HasSubstr;

namespace {

const std::string kGpu = "/sys/bus/pci/devices/0000:01:00.0/";

CliResult run_power(const TempHost& host, SysfsWriter& writer, const std::vector<std::string>& args,
                    bool json = false, bool dry_run = false) {
  return test::run_with_writer(host.dir(), writer, cli::cmd_power, args, json, dry_run);
}

}  // namespace

TEST(CmdPower, ShowsTheStateOfTheApuFunction) {
  const CliResult r = run_cli({"--root", fixture_host("apu"), "power", "04:00.0"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("power_state D3cold"));
  EXPECT_THAT(r.out, HasSubstr("Bridge  0000:00:08.1"));
  const CliResult j = run_cli({"--root", fixture_host("apu"), "--json", "power", "04:00.0"});
  ASSERT_EQ(j.code, 0) << j.err;
  const auto parsed = nlohmann::json::parse(j.out);
  EXPECT_EQ(parsed["device"]["power_state"], "D3cold");
  EXPECT_EQ(parsed["bridge"]["address"], "0000:00:08.1");
  EXPECT_TRUE(parsed["may_enter_d3cold"].is_boolean());
}

TEST(CmdPower, DryRunListsTheWritesAndChangesNothing) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  const CliResult r = run_power(h, k, {"01:00.0", "--keep-on"}, false, true);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("write 0 to " + kGpu + "d3cold_allowed"));
  EXPECT_TRUE(k.calls().empty());
  EXPECT_EQ(h.root().read_value(kGpu + "d3cold_allowed"), "1");
}

TEST(CmdPower, KeepOnThenIdle) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  CliResult r = run_power(h, k, {"0000:01:00.0", "--keep-on"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("wrote 0 to " + kGpu + "d3cold_allowed (was 1)"));
  EXPECT_EQ(h.root().read_value(kGpu + "d3cold_allowed"), "0");
  r = run_power(h, k, {"0000:01:00.0", "--keep-on"});
  EXPECT_THAT(r.out, HasSubstr("nothing to change"));
  r = run_power(h, k, {"0000:01:00.0", "--idle"}, true);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["device"]["power_control"], "auto");
  EXPECT_EQ(j["changed"].size(), 2u);
}

TEST(CmdPower, BadInputChangesNothing) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  EXPECT_EQ(run_power(h, k, {}).code, 2);
  EXPECT_EQ(run_power(h, k, {"01:00.0", "--keep-on", "--idle"}).code, 2);
  EXPECT_EQ(run_power(h, k, {"01:00.z", "--keep-on"}).code, 2);
  const CliResult missing = run_power(h, k, {"0000:09:00.0", "--keep-on"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_THAT(missing.err, HasSubstr("0000:09:00.0"));
  k.fail_writes_to("d3cold_allowed", EACCES);
  const CliResult denied = run_power(h, k, {"01:00.0", "--keep-on"});
  EXPECT_EQ(denied.code, 1);
  EXPECT_THAT(denied.err, HasSubstr("root"));
  EXPECT_EQ(h.root().read_value(kGpu + "d3cold_allowed"), "1");
  EXPECT_EQ(h.root().read_value("/sys/bus/pci/devices/0000:00:01.0/d3cold_allowed"), "1");
}
