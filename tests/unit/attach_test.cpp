// ptagent attach / detach-from through the recording libvirt double and the kernel double: each
// flow's success, its refusals and failures, and that a failure leaves nothing half done (the
// double's recorded calls and the host's state prove the rollback).
#include "domain/attach.hpp"

#include <gtest/gtest.h>

#include "agent/commands.hpp"
#include "domain/effects.hpp"
#include "ops/journal.hpp"
#include "pci/inventory.hpp"
#include "support/cli_runner.hpp"
#include "support/error_of.hpp"
#include "support/kernel_double.hpp"
#include "support/recording_libvirt.hpp"
#include "support/temp_host.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
using ptagent::testing::error_of;
using ptagent::testing::host_state;
using ptagent::testing::KernelDouble;
using ptagent::testing::ManualClock;
using ptagent::testing::RecordingLibvirt;
using ptagent::testing::TempHost;

namespace {

using Calls = std::vector<std::string>;
using Hostdev = RecordingLibvirt::Hostdev;

PciAddress A(const char* s) {
  return parse_pci_address(s);
}

constexpr const char* kUuid = "11111111-2222-3333-4444-555555555551";

// workstation: the GPU 01:00.0 (nouveau) and its audio function 01:00.1 (snd_hda_intel), one
// IOMMU group; a running domain "win10" without host devices.
struct Guest {
  Guest() : h(TempHost::copy_of("workstation")), k(h.root()) {
    lv.domains["win10"].uuid = kUuid;
    start = host_state(h.root());
  }
  AttachRequest request(std::vector<PciAddress> devices) const {
    AttachRequest r;
    r.domain = "win10";
    r.devices = std::move(devices);
    r.uri = "qemu:///system";
    return r;
  }
  AttachResult attach(const AttachRequest& r) {
    Effects fx{k, lv, clock};
    return attach_devices(h.root(), fx, r);
  }
  AttachResult detach(const AttachRequest& r) {
    Effects fx{k, lv, clock};
    return detach_from_domain(h.root(), fx, r);
  }
  RecordingLibvirt::DomainModel& win10() { return lv.domains["win10"]; }
  // Nothing half done: the host as it was, nothing journaled, the domain without host devices.
  void expect_untouched(const std::string& where) {
    EXPECT_EQ(host_state(h.root()), start) << where;
    EXPECT_TRUE(Journal(h.root()).load().empty()) << where;
    EXPECT_TRUE(win10().live.empty()) << where;
    EXPECT_TRUE(win10().config.empty()) << where;
  }
  TempHost h;
  KernelDouble k;
  RecordingLibvirt lv;
  ManualClock clock;
  std::string start;
};

const std::vector<PciAddress> kGpu = {A("01:00.0"), A("01:00.1")};

}  // namespace

TEST(Attach, AttachesEachDeviceAsAManagedHostdev) {
  Guest g;
  const AttachResult r = g.attach(g.request(kGpu));
  EXPECT_EQ(r.log, (Calls{"0000:01:00.0: attached to win10", "0000:01:00.1: attached to win10"}));
  EXPECT_EQ(g.lv.calls, (Calls{"connect qemu:///system", "lookup_domain win10",
                               "domain_is_active win10", "domain_xml win10 live",
                               "running_domain_xmls", "attach_device win10 0000:01:00.0 current",
                               "attach_device win10 0000:01:00.1 current"}));
  EXPECT_EQ(g.win10().live, (std::vector<Hostdev>{{A("01:00.0"), true}, {A("01:00.1"), true}}));
  EXPECT_EQ(host_state(g.h.root()), g.start);  // managed: libvirt detaches, ptagent writes nothing
  EXPECT_EQ(g.k.write_count(), 0u);
}

TEST(Attach, AConfigChangeReadsTheDefinition) {
  Guest g;
  g.win10().active = false;
  AttachRequest req = g.request({A("01:00.0")});
  req.affect = Affect::config;
  g.attach(req);
  EXPECT_EQ(g.lv.calls.at(3), "domain_xml win10 inactive");
  EXPECT_EQ(g.win10().config, (std::vector<Hostdev>{{A("01:00.0"), true}}));
}

TEST(Attach, LibvirtdDownChangesNothing) {
  Guest g;
  g.lv.daemon_down = true;
  Error e = error_of([&] { g.attach(g.request(kGpu)); });
  EXPECT_NE(e.cause().find("libvirtd is not running"), std::string::npos) << e.cause();
  EXPECT_EQ(g.lv.calls, Calls{"connect qemu:///system"});
  g.expect_untouched("libvirtd down");
}

TEST(Attach, AMissingDomainIsNotFound) {
  Guest g;
  AttachRequest req = g.request(kGpu);
  req.domain = "nosuch";
  Error e = error_of([&] { g.attach(req); });
  EXPECT_EQ(e.kind(), ErrorKind::not_found);
  EXPECT_EQ(e.object(), "domain 'nosuch'");
  EXPECT_TRUE(g.lv.changes().empty());
}

TEST(Attach, ADeviceTheDomainHasOrAnotherRunningDomainHoldsIsRefused) {
  Guest g;
  g.win10().live = {{A("01:00.1"), true}};
  Error e = error_of([&] { g.attach(g.request(kGpu)); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_EQ(e.object(), "0000:01:00.1");
  EXPECT_NE(e.cause().find("already a host device of domain 'win10'"), std::string::npos);

  Guest o;
  o.lv.domains["l2pci"].live = {{A("01:00.0"), true}};
  e = error_of([&] { o.attach(o.request(kGpu)); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_NE(e.cause().find("running domain 'l2pci': attach refused"), std::string::npos);
  EXPECT_TRUE(o.lv.changes().empty());
  o.expect_untouched("held by l2pci");
}

TEST(Attach, ARefusedAttachDetachesWhatWasAttached) {
  Guest g;
  g.lv.fail("attach_device win10 0000:01:00.1 current");
  Error e = error_of([&] { g.attach(g.request(kGpu)); });
  EXPECT_EQ(e.cause(), "injected failure; rolled back");
  EXPECT_EQ(g.lv.changes(), (Calls{"attach_device win10 0000:01:00.0 current",
                                   "attach_device win10 0000:01:00.1 current",
                                   "detach_device win10 0000:01:00.0 current"}));
  g.expect_untouched("second attach refused");

  Guest f;
  f.lv.fail("attach_device win10 0000:01:00.0 current");
  e = error_of([&] { f.attach(f.request(kGpu)); });
  EXPECT_EQ(e.cause(), "injected failure; nothing was changed");
  f.expect_untouched("first attach refused");
}

TEST(Attach, UnmanagedBindsFirstAndARefusalRestoresTheDrivers) {
  Guest g;
  AttachRequest req = g.request(kGpu);
  req.unmanaged = true;
  const AttachResult r = g.attach(req);
  EXPECT_EQ(r.log, (Calls{"0000:01:00.0: bound to vfio-pci (ptagent)",
                          "0000:01:00.1: bound to vfio-pci (ptagent)",
                          "0000:01:00.0: attached to win10", "0000:01:00.1: attached to win10"}));
  EXPECT_EQ(g.win10().live, (std::vector<Hostdev>{{A("01:00.0"), false}, {A("01:00.1"), false}}));
  EXPECT_EQ(Journal(g.h.root()).load().size(), 2u);

  Guest f;
  f.lv.fail("attach_device win10 0000:01:00.1 current");
  Error e = error_of([&] { f.attach(req); });
  EXPECT_EQ(e.cause(), "injected failure; rolled back");
  f.expect_untouched("unmanaged attach refused");  // back on nouveau / snd_hda_intel
}

// Whichever libvirt call fails, an unmanaged attach leaves the host and the domain as they were.
TEST(Attach, AFailureAtAnyCallLeavesNothingHalfDone) {
  Guest ok;
  AttachRequest req = ok.request(kGpu);
  req.unmanaged = true;
  ok.attach(req);
  const std::size_t n_calls = ok.lv.calls.size();
  for (std::size_t i = 0; i < n_calls; ++i) {
    Guest g;
    g.lv.fail_call(i);
    EXPECT_THROW(g.attach(req), Error) << "call " << i;
    g.expect_untouched("failure at call " + std::to_string(i) + " (" + g.lv.calls.back() + ")");
  }
}

TEST(Attach, AGroupSplitIsRefusedExceptForADefinitionChange) {
  Guest g;
  Inventory inv = Inventory::scan(g.h.root(), Naming::ids_only);
  AttachRequest req = g.request({A("01:00.0")});
  Error e = error_of([&] { check_attach(inv, req); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_NE(e.hint().find("add the other devices"), std::string::npos) << e.hint();
  req.affect = Affect::config;
  const auto warnings = check_attach(inv, req);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("(the guest will not start like this)"), std::string::npos);
  req.affect = Affect::live;
  req.force = true;
  EXPECT_TRUE(check_attach(inv, req).empty());
  EXPECT_TRUE(check_attach(inv, g.request(kGpu)).empty());
}

TEST(DetachFrom, DetachesAndWaitsForTheGuest) {
  Guest g;
  g.win10().live = {{A("01:00.0"), true}};
  const AttachResult r = g.detach(g.request({A("01:00.0")}));
  EXPECT_EQ(r.log, Calls{"0000:01:00.0: detached from win10"});
  EXPECT_TRUE(r.pending.empty());
  EXPECT_TRUE(g.win10().live.empty());
  EXPECT_EQ(g.lv.changes(), Calls{"detach_device win10 0000:01:00.0 current"});
  EXPECT_EQ(g.clock.slept, std::chrono::milliseconds(0));  // gone at the first look
}

TEST(DetachFrom, AnUnplugTheGuestDoesNotCompleteIsPending) {
  Guest g;
  g.win10().live = {{A("01:00.0"), true}};
  g.win10().guest_keeps_devices = true;
  AttachRequest req = g.request({A("01:00.0")});
  req.wait_seconds = 1.5;
  const AttachResult r = g.detach(req);
  EXPECT_EQ(r.pending, std::vector<PciAddress>{A("01:00.0")});
  EXPECT_TRUE(r.pending_ours.empty());
  EXPECT_EQ(r.log, Calls{"0000:01:00.0: unplug requested from win10, still pending: the guest "
                         "has not released it after 1.5 s"});
  EXPECT_EQ(g.clock.slept, std::chrono::milliseconds(1500));
}

TEST(DetachFrom, ADeviceTheDomainDoesNotHaveIsNotFound) {
  Guest g;
  Error e = error_of([&] { g.detach(g.request({A("01:00.0")})); });
  EXPECT_EQ(e.kind(), ErrorKind::not_found);
  EXPECT_NE(e.cause().find("is not a host device of domain 'win10'"), std::string::npos);
  EXPECT_TRUE(g.lv.changes().empty());
}

TEST(DetachFrom, DevicesPtagentBoundGoBackToTheirDrivers) {
  Guest g;
  AttachRequest req = g.request(kGpu);
  req.unmanaged = true;
  g.attach(req);
  const AttachResult r = g.detach(g.request(kGpu));
  EXPECT_EQ(r.log, (Calls{"0000:01:00.0: detached from win10", "0000:01:00.1: detached from win10",
                          "0000:01:00.0: back on nouveau", "0000:01:00.1: back on snd_hda_intel"}));
  g.expect_untouched("attach then detach-from");
}

TEST(DetachFrom, APendingDeviceStaysBoundAndIsNamed) {
  Guest g;
  AttachRequest req = g.request(kGpu);
  req.unmanaged = true;
  g.attach(req);
  g.win10().guest_keeps_devices = true;
  req.unmanaged = false;
  const AttachResult r = g.detach(req);
  EXPECT_EQ(r.pending, kGpu);
  EXPECT_EQ(r.pending_ours, kGpu);
  EXPECT_EQ(Journal(g.h.root()).load().size(), 2u);  // still on vfio-pci, still journaled
}

// The CLI over the same double: options to a request, the core, the rendering and exit codes.
TEST(DetachFrom, TheCliReportsAPendingUnplugWithExitThree) {
  Guest g;
  g.win10().live = {{A("01:00.0"), true}};
  g.win10().guest_keeps_devices = true;
  const test::CliResult r = test::run_command(g.h.dir(), [&](cli::Context& ctx) {
    ctx.global.connect_given = true;
    ctx.use_libvirt(g.lv);
    ctx.use_sysfs(g.k);
    ctx.use_clock(g.clock);
    return cli::cmd_detach_from(ctx, {"win10", "01:00.0", "--wait", "0.4"});
  });
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_EQ(r.out,
            "0000:01:00.0: unplug requested from win10, still pending: the guest has not "
            "released it after 0.4 s\n");
  EXPECT_NE(r.err.find("ptagent: the guest has not completed the unplug of 0000:01:00.0; it is "
                       "still assigned to 'win10'"),
            std::string::npos)
      << r.err;
}

TEST(Attach, TheCliPrintsEachActionAndARefusalExitsOne) {
  Guest g;
  auto cli = [&](const cli::Args& args) {
    return test::run_command(g.h.dir(), [&](cli::Context& ctx) {
      ctx.global.connect_given = true;
      ctx.use_libvirt(g.lv);
      ctx.use_sysfs(g.k);
      return cli::cmd_attach(ctx, args);
    });
  };
  test::CliResult r = cli({"win10", "01:00"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "0000:01:00.0: attached to win10\n0000:01:00.1: attached to win10\n");
  r = cli({"win10", "01:00.0"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(r.out.empty());
}
