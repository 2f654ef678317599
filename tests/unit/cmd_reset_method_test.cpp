// ptagent reset-method on the simulated workstation: show, set, --default, --none, --dry-run,
// --json and bad input.
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

const std::string kFile = "/sys/bus/pci/devices/0000:00:1f.3/reset_method";

CliResult run_rm(const TempHost& host, SysfsWriter& writer, const std::vector<std::string>& args,
                 bool json = false, bool dry_run = false) {
  return test::run_with_writer(host.dir(), writer, cli::cmd_reset_method, args, json, dry_run);
}

}  // namespace

TEST(CmdResetMethod, ShowsTheList) {
  const CliResult r = run_cli({"--root", fixture_host("workstation"), "reset-method", "00:1f.3"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "0000:00:1f.3: flr pm\n");
  const CliResult j =
      run_cli({"--root", fixture_host("workstation"), "--json", "reset-method", "00:1f.3"});
  EXPECT_EQ(nlohmann::json::parse(j.out)["reset_methods"], nlohmann::json({"flr", "pm"}));
}

TEST(CmdResetMethod, SetsRestoresAndDisables) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  CliResult r = run_rm(h, k, {"00:1f.3", "pm", "flr"}, false, true);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Would write 'pm flr'"));
  EXPECT_TRUE(k.calls().empty());
  r = run_rm(h, k, {"00:1f.3", "pm", "flr"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("flr pm -> pm flr"));
  EXPECT_EQ(h.root().read_value(kFile), "pm flr");
  r = run_rm(h, k, {"00:1f.3", "--none"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("every reset is disabled"));
  EXPECT_EQ(h.root().read_value(kFile), "");
  r = run_rm(h, k, {"00:1f.3", "--default"}, true);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["reset_methods"], nlohmann::json({"flr", "pm"}));
}

TEST(CmdResetMethod, BadInputChangesNothing) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  EXPECT_EQ(run_rm(h, k, {}).code, 2);
  CliResult r = run_rm(h, k, {"00:1f.3", "reboot"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("device_specific"));
  EXPECT_EQ(run_rm(h, k, {"00:1f.3", "flr", "flr"}).code, 2);
  EXPECT_EQ(run_rm(h, k, {"00:1f.3", "flr", "--default"}).code, 2);
  EXPECT_EQ(run_rm(h, k, {"0000:09:00.0", "flr"}).code, 1);
  r = run_rm(h, k, {"00:1f.3", "bus"});  // the device does not support a bus reset
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("0000:00:1f.3"));
  EXPECT_THAT(r.err, HasSubstr("EINVAL"));
  EXPECT_EQ(h.root().read_value(kFile), "flr pm");
}
