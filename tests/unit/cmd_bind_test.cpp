// ptagent bind / restore end to end: the commands against the kernel double on fixture copies,
// and on this machine's real root where that is safe (it has no vfio-pci, so nothing can change).
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "agent/commands.hpp"
#include "ops/journal.hpp"
#include "support/cli_runner.hpp"
#include "support/kernel_double.hpp"
#include "support/temp_host.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
using ptagent::test::CliResult;
using ptagent::testing::host_state;
using ptagent::testing::KernelDouble;
using ptagent::testing::TempHost;

namespace {

enum class Cmd { bind, restore };

// Like cli::run, but with the kernel double as the writer.
CliResult run(const TempHost& h, SysfsWriter& w, Cmd cmd, const std::vector<std::string>& args,
              bool json = false, bool dry_run = false) {
  return test::run_command(
      h.dir(),
      [&](cli::Context& ctx) {
        ctx.use_sysfs(w);
        return cmd == Cmd::bind ? cli::cmd_bind(ctx, args) : cli::cmd_restore(ctx, args);
      },
      json, dry_run);
}

bool has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(CmdBind, GroupBindThenRestore) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  const std::string start = host_state(h.root());
  CliResult r = run(h, k, Cmd::bind, {"01:00.0", "--group"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "0000:01:00.0: nouveau -> vfio-pci\n"
            "0000:01:00.1: snd_hda_intel -> vfio-pci\n"
            "Recorded in /run/ptagent/journal.json; undo with: ptagent restore 0000:01:00.0 "
            "0000:01:00.1\n");
  EXPECT_EQ(r.err, "");
  r = run(h, k, Cmd::restore, {"0000:01:00.0", "pci_0000_01_00_1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "0000:01:00.0: vfio-pci -> nouveau\n0000:01:00.1: vfio-pci -> snd_hda_intel\n");
  EXPECT_EQ(host_state(h.root()), start);
  EXPECT_TRUE(k.new_id_writes().empty());
}

TEST(CmdBind, SlotShorthandAndJson) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  CliResult r = run(h, k, Cmd::bind, {"01:00"}, /*json=*/true);
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["dry_run"], false);
  EXPECT_EQ(j["driver"], "vfio-pci");
  ASSERT_EQ(j["devices"].size(), 2u);
  EXPECT_EQ(j["devices"][0]["address"], "0000:01:00.0");
  EXPECT_EQ(j["devices"][0]["driver_before"], "nouveau");
  EXPECT_TRUE(j["devices"][0]["override_before"].is_null());
  EXPECT_EQ(j["devices"][0]["driver_after"], "vfio-pci");
  EXPECT_EQ(j["journal"], "/run/ptagent/journal.json");

  r = run(h, k, Cmd::restore, {"--all"}, /*json=*/true);
  ASSERT_EQ(r.code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["entries"].size(), 2u);
  EXPECT_EQ(j["entries"][0]["id"], "bind:0000:01:00.1");  // newest first
  EXPECT_EQ(j["entries"][0]["undone"], true);
  EXPECT_TRUE(j["entries"][0]["error"].is_null());
}

TEST(CmdBind, DryRunChangesNothing) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  const std::string start = host_state(h.root());
  CliResult r = run(h, k, Cmd::bind, {"0000:00:17.0"}, false, /*dry_run=*/true);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "Plan (dry run, nothing changed):\n"
            "  1. record 0000:00:17.0 (driver ahci, driver_override none) in "
            "/run/ptagent/journal.json\n"
            "  2. write \"vfio-pci\" to /sys/bus/pci/devices/0000:00:17.0/driver_override\n"
            "  3. write \"0000:00:17.0\" to /sys/bus/pci/drivers/ahci/unbind\n"
            "  4. write \"0000:00:17.0\" to /sys/bus/pci/drivers_probe\n"
            "  5. check that 0000:00:17.0 is on vfio-pci\n"
            "  6. mark the journal entries done\n");
  EXPECT_EQ(k.write_count(), 0u);
  EXPECT_EQ(host_state(h.root()), start);
  EXPECT_FALSE(h.root().exists("/run/ptagent"));

  r = run(h, k, Cmd::bind, {"0000:00:17.0"}, /*json=*/true, /*dry_run=*/true);
  ASSERT_EQ(r.code, 0);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["dry_run"], true);
  EXPECT_EQ(j["steps"].size(), 6u);
  EXPECT_TRUE(j["devices"][0]["driver_after"].is_null());

  // Restore plans too.
  k.set_vfio_requires_viable_group(false);
  ASSERT_EQ(run(h, k, Cmd::bind, {"0000:00:17.0"}).code, 0);
  const std::string bound = host_state(h.root());
  const std::size_t writes = k.write_count();
  r = run(h, k, Cmd::restore, {"0000:00:17.0"}, false, true);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(
      has(r.out, "write \"\\n\" to /sys/bus/pci/devices/0000:00:17.0/driver_override (clears it)"))
      << r.out;
  EXPECT_TRUE(has(r.out, "remove the journal entry bind:0000:00:17.0")) << r.out;
  r = run(h, k, Cmd::restore, {"--all"}, false, true);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "1. undo bind of 0000:00:17.0 to vfio-pci (was on ahci), by cli at "))
      << r.out;
  EXPECT_EQ(k.write_count(), writes);
  EXPECT_EQ(host_state(h.root()), bound);
}

TEST(CmdBind, FailureMidWayIsReportedAndUndone) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  const std::string start = host_state(h.root());
  k.fail_writes_to("drivers/nouveau/unbind", EBUSY);
  CliResult r = run(h, k, Cmd::bind, {"01:00.0", "--group"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(
      r.err,
      "ptagent: error: 0000:01:00.0: unbind from nouveau failed: Device or resource busy (EBUSY); "
      "every device was put back as it was"))
      << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(host_state(h.root()), start);
  EXPECT_TRUE(Journal(h.root()).load().empty());
}

TEST(CmdBind, RefusalsAndBadInput) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  const std::string start = host_state(h.root());
  struct Case {
    Cmd cmd;
    std::vector<std::string> args;
    int code;
    const char* message;
  };
  const Case cases[] = {
      {Cmd::bind, {}, 2, "ptagent bind: needs at least one DEVICE"},
      {Cmd::bind, {"01:00.9"}, 2, "01:00.9"},
      {Cmd::bind, {"0000:09:00.0"}, 1, "0000:09:00.0: no such PCI device"},
      {Cmd::bind, {"02:00.0"}, 1, "0000:02:00.0: holds the root filesystem"},
      {Cmd::bind, {"00:01.0"}, 1, "0000:00:01.0: is a PCI bridge or root port"},
      {Cmd::bind, {"00:00.0"}, 1, "0000:00:00.0: is a host bridge"},
      {Cmd::bind, {"00:1f.0", "--group"}, 1, "0000:00:1f.0: is an ISA bridge"},
      {Cmd::bind, {"01:00.1"}, 1, "would leave IOMMU group 1 split: 0000:01:00.0 (nouveau)"},
      {Cmd::bind,
       {"01:00.1", "--driver", "../../x"},
       2,
       "--driver \"../../x\": is not a driver name"},
      {Cmd::bind, {"01:00.1", "--bogus"}, 2, "ptagent bind:"},
      {Cmd::restore, {}, 2, "needs DEVICE… or --all"},
      {Cmd::restore, {"01:00.0", "--all"}, 2, "not both"},
      {Cmd::restore, {"01:00.0"}, 1, "0000:01:00.0: the journal has no binding of it"},
      {Cmd::restore, {"zz:00.0"}, 2, "zz:00.0"},
  };
  for (const auto& c : cases) {
    CliResult r = run(h, k, c.cmd, c.args);
    EXPECT_EQ(r.code, c.code) << r.err;
    EXPECT_TRUE(has(r.err, c.message)) << r.err;
    EXPECT_EQ(r.out, "");
  }
  EXPECT_EQ(k.write_count(), 0u);
  EXPECT_EQ(host_state(h.root()), start);
  EXPECT_FALSE(h.root().exists("/run/ptagent"));

  CliResult r = run(h, k, Cmd::bind, {"02:00.0", "--force"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("0000:02:00.0: nvme -> vfio-pci\n", 0), 0u) << r.out;
  r = run(h, k, Cmd::bind, {"02:00.0", "--force"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, "0000:02:00.0: already bound to vfio-pci")) << r.err;
}

TEST(CmdBind, RestoreAllReportsWhatIsLeft) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  ASSERT_EQ(run(h, k, Cmd::bind, {"01:00.0", "--group"}).code, 0);
  k.fail_writes_to("0000:01:00.0/driver_override", EIO);
  CliResult r = run(h, k, Cmd::restore, {"--all"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.out, "undone: bind of 0000:01:00.1 to vfio-pci (was on snd_hda_intel)"))
      << r.out;
  EXPECT_TRUE(has(r.err, "not undone: bind of 0000:01:00.0")) << r.err;
  EXPECT_TRUE(has(r.out, "1 of 2 entries could not be undone")) << r.out;
  k.clear_failures();
  r = run(h, k, Cmd::restore, {"--all"});
  EXPECT_EQ(r.code, 0) << r.err;
  r = run(h, k, Cmd::restore, {"--all"});
  EXPECT_EQ(r.out, "Nothing to restore: the journal is empty.\n");
}

TEST(CmdBind, HelpNeedsNoHost) {
  auto r = test::run_cli({"--root", "/nonexistent", "bind", "--help"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "Usage: ptagent bind DEVICE…"));
  r = test::run_cli({"restore", "--help"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "--all"));
}

TEST(CmdBind, RealWriterOnACopyWithoutVfioFailsBeforeWriting) {
  TempHost h = TempHost::copy_of("noiommu");
  const std::string start = host_state(h.root());
  auto r = test::run_cli({"--root", h.dir(), "bind", "0000:00:05.0"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(
      r.err, "vfio-pci: the driver is not loaded (/sys/bus/pci/drivers/vfio-pci does not exist)"))
      << r.err;
  EXPECT_TRUE(has(r.err, "fix: run 'modprobe vfio-pci'")) << r.err;
  EXPECT_EQ(host_state(h.root()), start);
  EXPECT_FALSE(h.root().exists("/run/ptagent"));
}

// ---- this machine ----------------------------------------------------------------------------

// The build machine: 0000:00:05.0 is the virtio RNG on virtio-pci and vfio-pci is not loaded.
// Anywhere else these tests would risk a real device, so they skip.
bool on_build_machine(const Root& root) {
  return root.link_name("/sys/bus/pci/devices/0000:00:05.0/driver") ==
             std::optional<std::string>("virtio-pci") &&
         !root.exists("/sys/bus/pci/drivers/vfio-pci");
}

struct RealState {
  std::optional<std::string> driver, override_value, journal;
  bool operator==(const RealState&) const = default;
};

RealState real_state(const Root& root) {
  return {root.link_name("/sys/bus/pci/devices/0000:00:05.0/driver"),
          root.read("/sys/bus/pci/devices/0000:00:05.0/driver_override"),
          root.read("/run/ptagent/journal.json")};
}

TEST(CmdBindThisMachine, DryRunPrintsThePlanAndChangesNothing) {
  Root root("/");
  if (!on_build_machine(root))
    GTEST_SKIP() << "not the build machine (needs 0000:00:05.0 on virtio-pci, no vfio-pci)";
  ::unsetenv("PTAGENT_ROOT");
  const RealState before = real_state(root);
  auto r = test::run_cli({"bind", "0000:00:05.0", "--dry-run"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "Plan (dry run, nothing changed):\n")) << r.out;
  EXPECT_TRUE(has(r.out, "write \"vfio-pci\" to /sys/bus/pci/devices/0000:00:05.0/driver_override"))
      << r.out;
  EXPECT_TRUE(has(r.out, "write \"0000:00:05.0\" to /sys/bus/pci/drivers/virtio-pci/unbind"))
      << r.out;
  EXPECT_TRUE(has(r.err, "ptagent: warning: vfio-pci: the driver is not loaded")) << r.err;
  EXPECT_TRUE(has(r.err, "modprobe vfio-pci")) << r.err;
  EXPECT_EQ(real_state(root), before);
  EXPECT_EQ(root.link_name("/sys/bus/pci/devices/0000:00:05.0/driver"), "virtio-pci");
}

TEST(CmdBindThisMachine, RealBindFailsCleanlyBeforeAnyChange) {
  Root root("/");
  if (!on_build_machine(root))
    GTEST_SKIP() << "not the build machine (needs 0000:00:05.0 on virtio-pci, no vfio-pci)";
  ::unsetenv("PTAGENT_ROOT");
  const RealState before = real_state(root);
  ASSERT_EQ(before.driver, "virtio-pci");
  auto r = test::run_cli({"bind", "0000:00:05.0"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, "ptagent: error: vfio-pci: the driver is not loaded")) << r.err;
  EXPECT_TRUE(has(r.err, "modprobe vfio-pci")) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(real_state(root), before);
  EXPECT_EQ(root.link_name("/sys/bus/pci/devices/0000:00:05.0/driver"), "virtio-pci");
}

}  // namespace
