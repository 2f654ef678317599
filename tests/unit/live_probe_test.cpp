// probe's live part against libvirt's test driver (no daemon, no host changes) and its verdict.
#include "virt/live_probe.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "domain/clock.hpp"
#include "domain/libvirt_holders.hpp"
#include "pci/device.hpp"
#include "support/cli_runner.hpp"
#include "support/temp_host.hpp"
#include "sysfs/root.hpp"
#include "virt/connection.hpp"
#include "virt/domain_ops.hpp"
#include "virt/libvirt_client_real.hpp"

using namespace ptagent;
using namespace ptagent::virt;

namespace {

// A libvirt test-driver node file: domains in it are running.
struct TestDriver {
  explicit TestDriver(const std::string& body) {
    path = std::filesystem::temp_directory_path() /
           ("ptagent-live-probe-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) +
            ".xml");
    std::ofstream(path) << "<node>" << body << "</node>\n";
  }
  ~TestDriver() { std::filesystem::remove(path); }
  std::string uri() const { return "test://" + path.string(); }
  std::filesystem::path path;
  static inline int counter = 0;
};

std::string running_domain(const std::string& name, const char* bus, const char* slot,
                           const char* fn) {
  return "<domain type='test'><name>" + name +
         "</name><memory>65536</memory><os><type>hvm</type></os><devices>"
         "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' "
         "bus='" +
         bus + "' slot='" + slot + "' function='" + fn +
         "'/></source></hostdev></devices></domain>";
}

LiveProbeRequest request(const std::string& uri) {
  LiveProbeRequest r;
  r.uri = uri;
  r.timeout = std::chrono::milliseconds(5000);
  return r;
}

ResetAnalysis analysis(Assignability v) {
  ResetAnalysis r;
  r.verdict = v;
  r.reason = "FLR resets it alone";
  if (v == Assignability::together) r.together_with = {parse_pci_address("0000:03:00.1")};
  return r;
}

}  // namespace

TEST(LiveProbe, ARunningDomainHoldingTheDeviceIsNamedAndNothingIsTried) {
  TestDriver drv(running_domain("l2pci", "0x01", "0x10", "0x0"));
  Root root(test::fixture_host("server"));
  const Device dev = read_device(root, parse_pci_address("0000:01:10.0"));
  const LiveProbe live = run_live_probe(root, dev, request(drv.uri()));
  EXPECT_EQ(live.outcome, LiveOutcome::in_use);
  EXPECT_EQ(live.why, "in use by running domain l2pci");
  EXPECT_EQ(live.holders, (std::vector<std::string>{"l2pci"}));
  EXPECT_TRUE(live.steps.empty());
}

TEST(LiveProbe, ARunningDomainInLibvirtsStatusFilesIsNamedWithoutLibvirt) {
  ptagent::testing::TempHost host = ptagent::testing::TempHost::copy_of("server");
  std::filesystem::create_directories(host.real("/run/libvirt/qemu"));
  std::ofstream(host.real("/run/libvirt/qemu/l2pci.xml"))
      << "<domstatus state='running'><domain type='kvm'><name>l2pci</name>"
         "<uuid>11111111-2222-3333-4444-555555555555</uuid><devices>"
         "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' "
         "bus='0x01' "
         "slot='0x10' function='0x0'/></source></hostdev></devices></domain></domstatus>";
  const Device dev = read_device(host.root(), parse_pci_address("0000:01:10.0"));
  const LiveProbe live =
      run_live_probe(host.root(), dev, request("qemu+unix:///system?socket=/nonexistent/sock"));
  EXPECT_EQ(live.outcome, LiveOutcome::in_use);
  EXPECT_EQ(live.why, "in use by running domain l2pci");
}

TEST(LiveProbe, NoNodeDeviceMeansNotChecked) {
  TestDriver drv(running_domain("other", "0x02", "0x00", "0x0"));
  Root root(test::fixture_host("server"));
  const Device dev = read_device(root, parse_pci_address("0000:01:10.0"));
  const LiveProbe live = run_live_probe(root, dev, request(drv.uri()));
  EXPECT_EQ(live.outcome, LiveOutcome::not_checked);
  EXPECT_NE(live.why.find("no node device pci_0000_01_10_0"), std::string::npos) << live.why;
  EXPECT_TRUE(live.steps.empty());
}

TEST(LiveProbe, AnUnreachableLibvirtMeansNotChecked) {
  Root root(test::fixture_host("server"));
  const Device dev = read_device(root, parse_pci_address("0000:01:10.0"));
  const LiveProbe live =
      run_live_probe(root, dev, request("qemu+unix:///system?socket=/nonexistent/sock"));
  EXPECT_EQ(live.outcome, LiveOutcome::not_checked);
  EXPECT_NE(live.why.find("unreachable"), std::string::npos) << live.why;
}

TEST(LiveProbe, TheConclusion) {
  // No live check: the static verdict.
  EXPECT_EQ(conclude_probe(analysis(Assignability::alone), std::nullopt).verdict,
            ProbeVerdict::alone);
  LiveProbe in_use;
  in_use.outcome = LiveOutcome::in_use;
  in_use.why = "in use by running domain l2pci";
  ProbeConclusion c = conclude_probe(analysis(Assignability::alone), in_use);
  EXPECT_EQ(c.verdict, ProbeVerdict::in_use);
  EXPECT_EQ(c.reason, "in use by running domain l2pci");
  LiveProbe unchecked;
  unchecked.outcome = LiveOutcome::not_checked;
  unchecked.why = "libvirt has no node device pci_0000_01_00_0 for it";
  c = conclude_probe(analysis(Assignability::together), unchecked);
  EXPECT_EQ(c.verdict, ProbeVerdict::not_checked);
  EXPECT_NE(c.reason.find("no node device"), std::string::npos);
  EXPECT_NE(c.reason.find("assignable together with 0000:03:00.1"), std::string::npos) << c.reason;
  // A refused reset of a device that is only assignable together is expected.
  LiveProbe refused;
  refused.outcome = LiveOutcome::refused;
  refused.failed_step = "reset";
  refused.why = "cannot be reset on its own";
  c = conclude_probe(analysis(Assignability::together), refused);
  EXPECT_EQ(c.verdict, ProbeVerdict::together);
  EXPECT_NE(c.reason.find("as expected"), std::string::npos);
  c = conclude_probe(analysis(Assignability::alone), refused);
  EXPECT_EQ(c.verdict, ProbeVerdict::not_assignable);
  EXPECT_EQ(c.reason, "libvirt refused the reset: cannot be reset on its own");
  // Statically not assignable stays so, whatever the live check says.
  EXPECT_EQ(conclude_probe(analysis(Assignability::not_assignable), in_use).verdict,
            ProbeVerdict::not_assignable);
  EXPECT_EQ(probe_verdict_name(ProbeVerdict::not_checked), "not checked");
  EXPECT_EQ(probe_verdict_key(ProbeVerdict::in_use), "in_use");
}

// The wait after a live detach, through the real client: the test driver's domain keeps its
// <hostdev> (nothing unplugs it), so the wait ends at its bound; a device it does not hold is gone
// at the first look.
TEST(LiveProbe, WaitForAHostdevToLeaveTheLiveXml) {
  TestDriver drv(running_domain("l2pci", "0x01", "0x10", "0x0"));
  RealLibvirtClient client;
  SystemClock clock;
  client.connect(drv.uri(), std::chrono::milliseconds(5000));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(wait_hostdev_gone(client, clock, "l2pci", parse_pci_address("0000:01:10.0"),
                                 std::chrono::milliseconds(400)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(400));
  EXPECT_TRUE(wait_hostdev_gone(client, clock, "l2pci", parse_pci_address("0000:01:10.1"),
                                std::chrono::milliseconds(5000)));
  EXPECT_TRUE(affects_live(Affect::live, false));
  EXPECT_TRUE(affects_live(Affect::current, true));
  EXPECT_FALSE(affects_live(Affect::current, false));
  EXPECT_FALSE(affects_live(Affect::config, true));
}
