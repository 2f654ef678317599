// ptagent sriov end to end: the CLI on the simulated server, with the kernel double for changes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include "agent/commands.hpp"
#include "ops/journal.hpp"
#include "ops/wait.hpp"
#include "support/cli_runner.hpp"
#include "support/kernel_double.hpp"
#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::test::CliResult;
using ptagent::test::fixture_host;
using ptagent::test::run_cli;
using ptagent::testing::KernelDouble;
using ptagent::testing::TempHost;

using ::testing::HasSubstr;
using ::testing::Not;

namespace {

const WaitLimits kFast{std::chrono::milliseconds(300), std::chrono::milliseconds(10)};

// Runs `ptagent --root HOST [--json] [--dry-run] sriov ARGS…` with the kernel double as the writer.
CliResult run_sriov(const TempHost& host, SysfsWriter& writer, const std::vector<std::string>& args,
                    bool json = false, bool dry_run = false) {
  return test::run_command(
      host.dir(),
      [&](cli::Context& ctx) {
        ctx.use_sysfs(writer);
        ctx.use_settle(kFast);
        return cli::cmd_sriov(ctx, args);
      },
      json, dry_run);
}

}  // namespace

TEST(CmdSriov, GoldenShowOfTheServerPf) {
  const CliResult text = run_cli({"--root", fixture_host("server"), "sriov", "01:00.0"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_EQ(text.err, "");
  test::expect_golden("server/sriov-01_00.0.txt", text.out);
  const CliResult json =
      run_cli({"--root", fixture_host("server"), "sriov", "0000:01:00.0", "--json"});
  ASSERT_EQ(json.code, 0) << json.err;
  test::expect_golden("server/sriov-01_00.0.json", json.out);
}

TEST(CmdSriov, ShowsAnEmptyPf) {
  const CliResult r = run_cli({"--root", fixture_host("server"), "sriov", "pci_0000_01_00_1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("0 of 63"));
  EXPECT_THAT(r.out, Not(HasSubstr("INDEX")));
}

TEST(CmdSriov, BadInputIsAUsageErrorAndANonPfARefusal) {
  const std::string root = fixture_host("server");
  const std::vector<test::CliFailure> cases = {
      {{"sriov"}, 2, "needs a PF"},
      {{"sriov", "01:00.0", "--vfs", "-1"}, 2, "--vfs -1: the number of VFs cannot be negative"},
      {{"sriov", "01:00.0", "--vfs", "four"}, 2, "--vfs four: is not a number"},
      {{"sriov", "01:00.0", "--vfs", ""}, 2, "--vfs"},
      {{"sriov", "04:00.0", "--vfs", "2"}, 1, "0000:04:00.0: is not an SR-IOV physical function"},
      {{"sriov", "04:00.0"}, 1, "0000:04:00.0: is not an SR-IOV physical function"},
      {{"sriov", "01:10.0"}, 1, "is an SR-IOV virtual function"},
      {{"sriov", "01:00.0", "--autoprobe", "maybe"}, 2, "--autoprobe maybe: must be yes or no"},
      {{"sriov", "01:00.0", "--force"}, 2, "--force: only applies with --vfs"},
      {{"sriov", "1:2:3"}, 2, ""},
      {{"sriov", "09:00.0"}, 1, "no such PCI device"},
      {{"sriov", "01:00.0", "--vfs", "64"}, 1, "--vfs 64 is above sriov_totalvfs (63)"},
      {{"sriov", "01:00.0", "--vfs", "2"}, 1, "0000:01:10.2 (bound to vfio-pci)"},
  };
  test::expect_cli_failures(root, cases, /*stdout_empty=*/true);
}

TEST(CmdSriov, Help) {
  const CliResult r = run_cli({"sriov", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("Usage: ptagent sriov PF"));
  EXPECT_THAT(r.out, HasSubstr("--autoprobe"));
  EXPECT_NE(run_cli({"--help"}).out.find("sriov"), std::string::npos);
}

TEST(CmdSriov, EnablesVfsAndPrintsThem) {
  TempHost host = TempHost::copy_of("server");
  KernelDouble kernel(host.root());
  const CliResult r = run_sriov(host, kernel, {"01:00.1", "--vfs", "2", "--autoprobe", "no"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("0000:01:00.1: 0 -> 2 VFs"));
  EXPECT_THAT(r.out, HasSubstr("sriov_drivers_autoprobe set to 0"));
  EXPECT_THAT(r.out, HasSubstr("2 of 63"));
  ASSERT_EQ(kernel.calls().size(), 2u);
  EXPECT_NE(kernel.calls()[0].path.find("sriov_drivers_autoprobe"), std::string::npos);
  const auto entries = Journal(host.root()).load();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].previous_numvfs, 0u);

  const CliResult again = run_sriov(host, kernel, {"01:00.1", "--vfs", "2"});
  EXPECT_EQ(again.code, 0);
  EXPECT_THAT(again.out, HasSubstr("already has 2 VFs"));
  EXPECT_EQ(kernel.calls().size(), 2u);
}

TEST(CmdSriov, DryRunPrintsThePlanAndChangesNothing) {
  TempHost host = TempHost::copy_of("server");
  KernelDouble kernel(host.root());
  const std::string before = ptagent::testing::host_state(host.root());
  const CliResult r = run_sriov(host, kernel, {"01:00.0", "--vfs", "2", "--force"}, false, true);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Would change 0000:01:00.0 from 4 to 2 VFs"));
  EXPECT_NE(
      r.out.find(
          "write 0 to sriov_numvfs (removes 0000:01:10.0 0000:01:10.2 0000:01:10.4 0000:01:10.6)"),
      std::string::npos);
  EXPECT_THAT(r.out, HasSubstr("write 2 to sriov_numvfs"));
  EXPECT_THAT(r.err, HasSubstr("--force: removing a VF in use: 0000:01:10.2"));
  const CliResult j = run_sriov(host, kernel, {"01:00.0", "--vfs", "0", "--force"}, true, true);
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_THAT(j.out, HasSubstr("\"dry_run\": true"));
  EXPECT_EQ(kernel.write_count(), 0u);
  EXPECT_EQ(ptagent::testing::host_state(host.root()), before);
  EXPECT_TRUE(Journal(host.root()).load().empty());
}

TEST(CmdSriov, ARunningDomainHoldsItsVf) {
  TempHost host = TempHost::copy_of("server");
  std::filesystem::create_directories(host.real("/run/libvirt/qemu"));
  std::ofstream(host.real("/run/libvirt/qemu/db.xml"))
      << "<domstatus state='running'><domain type='kvm'><name>db</name><devices>"
         "<interface type='hostdev'><source><address type='pci' domain='0x0000' bus='0x01' "
         "slot='0x10' "
         "function='0x4'/></source></interface></devices></domain></domstatus>";
  KernelDouble kernel(host.root());
  const CliResult show = run_sriov(host, kernel, {"01:00.0"});
  ASSERT_EQ(show.code, 0) << show.err;
  EXPECT_THAT(show.out, HasSubstr("yes: assigned to running domain db"));
  const CliResult refused = run_sriov(host, kernel, {"01:00.0", "--vfs", "0"});
  EXPECT_EQ(refused.code, 1);
  EXPECT_THAT(refused.err, HasSubstr("0000:01:10.4 (assigned to running domain db)"))
      << refused.err;
  EXPECT_EQ(kernel.write_count(), 0u);
}

TEST(CmdSriov, AKernelFailureIsExplainedAndPutBack) {
  TempHost host = TempHost::copy_of("server");
  KernelDouble kernel(host.root());
  kernel.fail_nth_write(2, ENOMEM);
  const CliResult r = run_sriov(host, kernel, {"01:00.0", "--vfs", "8", "--force"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(
      r.err,
      HasSubstr("not enough MMIO resources: SR-IOV off in firmware or BAR space short (ENOMEM)"))
      << r.err;
  EXPECT_THAT(r.err, HasSubstr("the previous 4 VFs were put back"));
  EXPECT_THAT(r.err, HasSubstr("fix: "));
  EXPECT_TRUE(Journal(host.root()).load().empty());
  const CliResult show = run_sriov(host, kernel, {"01:00.0"}, true);
  EXPECT_THAT(show.out, HasSubstr("\"num_vfs\": 4"));
}
