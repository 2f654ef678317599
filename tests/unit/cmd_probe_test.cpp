// probe's verdicts with libvirt's test driver, and the commands that act through libvirt refusing
// a simulated --root without an explicit --connect.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/cli_runner.hpp"
#include "virt/libvirt_api.hpp"

using ptagent::test::CliResult;
using ptagent::test::fixture_host;
using ptagent::test::run_cli;

using ::testing::HasSubstr;
using ::testing::Not;

namespace {

struct NodeFile {
  explicit NodeFile(const std::string& domains) {
    path = std::filesystem::temp_directory_path() /
           ("ptagent-cmd-probe-" + std::to_string(::getpid()) + ".xml");
    std::ofstream(path) << "<node>" << domains << "</node>\n";
  }
  ~NodeFile() { std::filesystem::remove(path); }
  std::string uri() const { return "test://" + path.string(); }
  std::filesystem::path path;
};

const char* kL2pci =
    "<domain type='test'><name>l2pci</name><memory>65536</memory><os><type>hvm</type></os><devices>"
    "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' "
    "bus='0x01' "
    "slot='0x10' function='0x0'/></source></hostdev></devices></domain>";

}  // namespace

TEST(CmdProbe, ADeviceHeldByARunningDomainIsInUseNotUnassignable) {
  NodeFile node(kL2pci);
  const CliResult r =
      run_cli({"--root", fixture_host("server"), "--connect", node.uri(), "probe", "01:10.0"});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Verdict:         in use by running domain l2pci\n")) << r.out;
  EXPECT_THAT(
      r.out,
      HasSubstr("Live check:      not run, nothing changed (in use by running domain l2pci)"))
      << r.out;
  EXPECT_THAT(r.out, Not(HasSubstr("not assignable")));
  const CliResult j = run_cli(
      {"--root", fixture_host("server"), "--connect", node.uri(), "--json", "probe", "01:10.0"});
  const auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["verdict"], "in_use");
  EXPECT_EQ(doc["live"]["held_by"], nlohmann::json::array({"l2pci"}));
  EXPECT_EQ(doc["live"]["ran"], false);
}

TEST(CmdProbe, ALiveCheckLibvirtCannotRunIsNotChecked) {
  // The test driver has no node device for it.
  CliResult r = run_cli(
      {"--root", fixture_host("server"), "--connect", "test:///default", "probe", "01:10.0"});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_THAT(
      r.out, HasSubstr("Verdict:         not checked: libvirt has no node device pci_0000_01_10_0"))
      << r.out;
  EXPECT_THAT(r.out, HasSubstr("the static analysis says: assignable alone"));
  // libvirtd unreachable.
  r = run_cli({"--root", fixture_host("server"), "--connect",
               "qemu+unix:///system?socket=/nonexistent/sock", "--json", "probe", "01:10.0"});
  EXPECT_EQ(r.code, 3) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["verdict"], "not_checked");
  EXPECT_THAT(doc["live"]["not_checked_because"].get<std::string>(), HasSubstr("unreachable"));
  EXPECT_THAT(doc["summary"].get<std::string>(), HasSubstr("not checked: "));
  // Without the live part, the static verdict as before.
  r = run_cli({"--root", fixture_host("server"), "probe", "01:10.0", "--no-live"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Verdict:         assignable alone"));
}

TEST(CmdProbe, ASimulatedRootNeedsAnExplicitLibvirt) {
  const std::string root = fixture_host("server");
  const std::vector<std::vector<std::string>> cases = {
      {"probe", "01:10.0"},
      {"detach", "01:10.0"},
      {"reattach", "01:10.0"},
      {"reset", "01:10.0"},
      {"attach", "vm", "01:10.0"},
      {"detach-from", "vm", "01:10.0"},
      {"attach", "vm", "01:10.0", "--config"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"--root", root};
    args.insert(args.end(), c.begin(), c.end());
    const CliResult r = run_cli(args);
    EXPECT_EQ(r.code, 2) << c[0] << ": " << r.err;
    EXPECT_THAT(r.err,
                HasSubstr("but libvirt (qemu:///system) would act on this host's real devices"))
        << c[0] << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("--connect URI"));
    EXPECT_EQ(r.out, "") << c[0];
  }
  // A dry run acts on nothing, --no-live asks libvirt nothing: both stay allowed.
  EXPECT_EQ(run_cli({"--root", root, "--dry-run", "detach", "01:10.0"}).code, 0);
  EXPECT_EQ(run_cli({"--root", root, "probe", "01:10.0", "--no-live"}).code, 0);
  // --connect given: libvirt is asked (the test driver has no such domain).
  const CliResult r =
      run_cli({"--root", root, "--connect", "test:///default", "detach-from", "vm", "01:10.0"});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("vm"));
}

TEST(CmdProbe, DetachFromDocumentsThePendingUnplug) {
  const CliResult help = run_cli({"detach-from", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_THAT(help.out, HasSubstr("--wait"));
  EXPECT_THAT(help.out, HasSubstr("still pending"));
  EXPECT_THAT(help.out, HasSubstr("exit status is 3"));
  const CliResult bad = run_cli({"--root", fixture_host("server"), "--connect", "test:///default",
                                 "detach-from", "vm", "01:10.0", "--wait", "-1"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--wait"));
  EXPECT_NE(run_cli({"probe", "--help"}).out.find("not checked"), std::string::npos);
}

// libvirt refuses a device a running guest holds without naming the guest: detach, reset and
// reattach name it first, and change nothing.
TEST(CmdProbe, NodeDeviceCommandsNameTheRunningDomainHoldingTheDevice) {
  NodeFile node(
      std::string(kL2pci) +
      "<domain "
      "type='test'><name>vfguest</name><memory>65536</memory><os><type>hvm</type></os><devices>"
      "<hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x0000' "
      "bus='0x01' "
      "slot='0x10' function='0x2'/></source></hostdev></devices></domain>");
  const std::string root = fixture_host("server");
  for (const std::vector<std::string>& c : std::vector<std::vector<std::string>>{
           {"detach", "01:10.0"}, {"reset", "01:10.0"}, {"reattach", "01:10.2"}}) {
    std::vector<std::string> args = {"--root", root, "--connect", node.uri()};
    args.insert(args.end(), c.begin(), c.end());
    const CliResult r = run_cli(args);
    EXPECT_EQ(r.code, 1) << c[0] << ": " << r.err;
    const std::string holder = c[0] == "reattach" ? "vfguest" : "l2pci";
    EXPECT_NE(r.err.find("is in use by the running domain '" + holder + "': " + c[0] + " refused"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("fix: shut down '" + holder + "'"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

// A live detach libvirt accepts but the guest never completes: libvirt's test driver has no
// domain detach, so a stand-in accepts the request and the domain keeps its <hostdev>, as a guest
// that ignores the unplug does.
TEST(CmdProbe, DetachFromALiveGuestThatKeepsTheDeviceIsPending) {
  NodeFile node(kL2pci);
  ptagent::LibvirtApi& api = ptagent::libvirt_for_tests();
  const auto real_detach = api.virDomainDetachDeviceFlags;
  static int calls = 0;
  calls = 0;
  api.virDomainDetachDeviceFlags = [](virDomainPtr, const char*, unsigned int) {
    ++calls;
    return 0;
  };
  const CliResult r = run_cli({"--root", fixture_host("server"), "--connect", node.uri(),
                               "detach-from", "l2pci", "01:10.0", "--live", "--wait", "0.3"});
  const CliResult j = run_cli({"--root", fixture_host("server"), "--connect", node.uri(), "--json",
                               "detach-from", "l2pci", "01:10.0", "--wait", "0"});
  api.virDomainDetachDeviceFlags = real_detach;
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_EQ(r.out,
            "0000:01:10.0: unplug requested from l2pci, still pending: the guest has not released "
            "it after 0.3 s\n");
  EXPECT_NE(r.err.find("the guest has not completed the unplug of 0000:01:10.0; it is still "
                       "assigned to 'l2pci'"),
            std::string::npos)
      << r.err;
  EXPECT_THAT(r.err, HasSubstr("--wait SECONDS"));
  EXPECT_THAT(r.out, Not(HasSubstr("detached from")));
  // Neither --live nor --config on a running domain is live too; JSON lists what is pending.
  EXPECT_EQ(j.code, 3) << j.err;
  const auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["pending"], nlohmann::json::array({"0000:01:10.0"}));
}

TEST(CmdProbe, ASlotIsItsFunctionWhenItHoldsOnlyOne) {
  const std::string root = fixture_host("workstation");
  // 02:00 holds only the NVMe: the slot form names it (README lists 01:00 as a DEVICE form).
  const CliResult one = run_cli({"--root", root, "probe", "02:00", "--no-live"});
  EXPECT_EQ(one.code, 1) << one.err;  // host-critical: the root disk
  EXPECT_THAT(one.out, HasSubstr("0000:02:00.0"));
  // 01:00 holds the GPU and its audio: a usage error that lists them.
  const CliResult two = run_cli({"--root", root, "probe", "01:00", "--no-live"});
  EXPECT_EQ(two.code, 2);
  EXPECT_THAT(two.err, HasSubstr("holds 2 functions (0000:01:00.0 0000:01:00.1)")) << two.err;
  EXPECT_THAT(two.err, HasSubstr("ptagent probe 0000:01:00.0"));
  EXPECT_EQ(two.out, "");
  // A malformed one is still a usage error before any scan.
  EXPECT_EQ(run_cli({"--root", root, "probe", "01:zz", "--no-live"}).code, 2);
}
