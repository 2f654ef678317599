// ptagent detach / reattach / reset without libvirt: the wedge check on real-shaped config space
// (SR-IOV VFs read vendor/device 0xffff by design), and each flow and its rollback through the
// recording libvirt double, whose recorded calls prove what was undone.
#include "domain/node_devices.hpp"

#include <gtest/gtest.h>

#include <set>

#include "domain/effects.hpp"
#include "error.hpp"
#include "pci/device.hpp"
#include "pci/inventory.hpp"
#include "support/error_of.hpp"
#include "support/kernel_double.hpp"
#include "support/recording_libvirt.hpp"
#include "support/temp_host.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
using ptagent::testing::error_of;
using ptagent::testing::KernelDouble;
using ptagent::testing::ManualClock;
using ptagent::testing::RecordingLibvirt;
using ptagent::testing::TempHost;

namespace {

const std::string kDev = "/sys/bus/pci/devices/";

PciAddress A(const char* s) {
  return parse_pci_address(s);
}

// server: 01:00.1 is an ixgbe PF; two VFs at 01:10.1 and 01:10.3 once enabled.
struct VfHost {
  VfHost() : h(TempHost::copy_of("server")), k(h.root()) {
    EXPECT_EQ(k.write(kDev + "0000:01:00.1/sriov_numvfs", "2"), 0);
  }
  TempHost h;
  KernelDouble k;
};

}  // namespace

TEST(NodeDevices, AVfIsNeverWedgedForItsFfffIds) {
  VfHost v;
  const Root& root = v.h.root();
  auto cfg = root.read(kDev + "0000:01:10.1/config", 4);
  ASSERT_TRUE(cfg);
  EXPECT_EQ(*cfg, std::string(4, '\xff'));                             // vendor/device in config
  EXPECT_EQ(root.read_value(kDev + "0000:01:10.1/vendor"), "0x8086");  // the real ID in sysfs
  EXPECT_NO_THROW(check_not_wedged(root, A("01:10.1")));
  // FLR is seen in the VF's config space despite the 0xffff vendor (show/probe "FLR: yes").
  Device d = read_device(root, A("01:10.1"));
  EXPECT_TRUE(d.config.valid);
  EXPECT_TRUE(d.config.pcie_flr);
  EXPECT_EQ(d.vendor_id, 0x8086);
}

TEST(NodeDevices, AWedgedVfIsStillCaught) {
  VfHost v;
  v.k.wedge_on_reset("0000:01:10.3");
  ASSERT_EQ(v.k.write(kDev + "0000:01:10.3/reset", "1"), 0);
  Error e = error_of([&] { check_not_wedged(v.h.root(), A("01:10.3")); });
  EXPECT_TRUE(is_wedged_error(e));
  EXPECT_NE(e.hint().find("reboot"), std::string::npos);
  EXPECT_NO_THROW(check_not_wedged(v.h.root(), A("01:10.1")));
}

TEST(NodeDevices, AWedgedFunctionIsCaught) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  EXPECT_NO_THROW(check_not_wedged(h.root(), A("02:00.0")));
  k.wedge_on_reset("0000:02:00.0");
  ASSERT_EQ(k.write(kDev + "0000:02:00.0/reset", "1"), 0);
  EXPECT_TRUE(is_wedged_error(error_of([&] { check_not_wedged(h.root(), A("02:00.0")); })));
}

namespace {

using Calls = std::vector<std::string>;

// workstation: 01:00.0 and 01:00.1 (the GPU and its audio function, on their host drivers), known
// to libvirt.
struct NodeHost {
  NodeHost() : h(TempHost::copy_of("workstation")), k(h.root()) {
    lv.node_devices = {A("01:00.0"), A("01:00.1"), A("02:00.0")};
  }
  ActionLog run(NodedevOp op, std::vector<PciAddress> devices) {
    NodedevRequest r;
    r.op = op;
    r.devices = std::move(devices);
    r.uri = "qemu:///system";
    Effects fx{k, lv, clock};
    return run_node_devices(h.root(), fx, r);
  }
  TempHost h;
  KernelDouble k;
  RecordingLibvirt lv;
  ManualClock clock;
};

const std::vector<PciAddress> kBoth = {A("01:00.0"), A("01:00.1")};

}  // namespace

TEST(NodeDevices, DetachChecksAllThenDetachesAllThenResetsAll) {
  NodeHost n;
  const ActionLog log = n.run(NodedevOp::detach, kBoth);
  EXPECT_EQ(n.lv.calls,
            (Calls{"connect qemu:///system", "running_domain_xmls",
                   "lookup_node_device 0000:01:00.0", "lookup_node_device 0000:01:00.1",
                   "detach_node_device 0000:01:00.0", "detach_node_device 0000:01:00.1",
                   "reset_node_device 0000:01:00.0", "reset_node_device 0000:01:00.1"}));
  EXPECT_EQ(n.lv.on_vfio, (std::set<PciAddress>{A("01:00.0"), A("01:00.1")}));
  EXPECT_EQ(log, (ActionLog{"0000:01:00.0: detached from its host driver to vfio (libvirt)",
                            "0000:01:00.1: detached from its host driver to vfio (libvirt)",
                            "0000:01:00.0: reset (libvirt)", "0000:01:00.1: reset (libvirt)"}));
  EXPECT_EQ(n.k.write_count(), 0u);  // libvirt did it all: ptagent wrote nothing to sysfs
}

TEST(NodeDevices, LibvirtdDownChangesNothing) {
  NodeHost n;
  n.lv.daemon_down = true;
  Error e = error_of([&] { n.run(NodedevOp::detach, kBoth); });
  EXPECT_NE(e.cause().find("libvirtd is not running"), std::string::npos) << e.cause();
  EXPECT_EQ(n.lv.calls, Calls{"connect qemu:///system"});
}

TEST(NodeDevices, ADeviceLibvirtDoesNotKnowIsRefusedBeforeAnyChange) {
  NodeHost n;
  n.lv.node_devices.erase(A("01:00.1"));
  for (NodedevOp op : {NodedevOp::detach, NodedevOp::reattach, NodedevOp::reset}) {
    n.lv.calls.clear();
    Error e = error_of([&] { n.run(op, kBoth); });
    EXPECT_EQ(e.kind(), ErrorKind::not_found) << nodedev_op_name(op);
    EXPECT_EQ(e.object(), "0000:01:00.1");
    EXPECT_TRUE(n.lv.changes().empty()) << nodedev_op_name(op);
  }
  EXPECT_TRUE(n.lv.on_vfio.empty());
}

TEST(NodeDevices, ADeviceARunningDomainHoldsIsRefusedNamingTheDomain) {
  NodeHost n;
  n.lv.domains["l2pci"].live = {{A("01:00.1"), true}};
  Error e = error_of([&] { n.run(NodedevOp::reset, kBoth); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_NE(e.cause().find("running domain 'l2pci': reset refused"), std::string::npos);
  EXPECT_TRUE(n.lv.changes().empty());
}

TEST(NodeDevices, AFailedDetachReattachesWhatWasDetached) {
  NodeHost n;
  n.lv.fail("detach_node_device 0000:01:00.1");
  Error e = error_of([&] { n.run(NodedevOp::detach, kBoth); });
  EXPECT_NE(e.cause().find("detach failed: injected failure; rolled back: reattached 0000:01:00.0"),
            std::string::npos)
      << e.cause();
  EXPECT_EQ(n.lv.changes(),
            (Calls{"detach_node_device 0000:01:00.0", "detach_node_device 0000:01:00.1",
                   "reattach_node_device 0000:01:00.0"}));
  EXPECT_TRUE(n.lv.on_vfio.empty());
}

TEST(NodeDevices, AFailedResetReattachesBothNewestFirst) {
  NodeHost n;
  n.lv.fail("reset_node_device 0000:01:00.1");
  Error e = error_of([&] { n.run(NodedevOp::detach, kBoth); });
  EXPECT_NE(e.cause().find("reset failed: injected failure; rolled back: reattached 0000:01:00.1, "
                           "0000:01:00.0"),
            std::string::npos)
      << e.cause();
  EXPECT_TRUE(n.lv.on_vfio.empty());
}

TEST(NodeDevices, AWedgedDeviceIsRolledBackAndKeepsItsRemedy) {
  NodeHost n;
  // The NVMe drive 02:00.0 (its reset file works) wedges: what libvirt's reset did, done here.
  n.k.wedge_on_reset("0000:02:00.0");
  ASSERT_EQ(n.k.write(kDev + "0000:02:00.0/reset", "1"), 0);
  Error e = error_of([&] { n.run(NodedevOp::detach, {A("01:00.0"), A("02:00.0")}); });
  EXPECT_TRUE(is_wedged_error(e));
  EXPECT_NE(e.cause().find("rolled back: reattached 0000:02:00.0, 0000:01:00.0"), std::string::npos)
      << e.cause();
  EXPECT_NE(e.hint().find("reboot the host"), std::string::npos);
  EXPECT_TRUE(n.lv.on_vfio.empty());
}

TEST(NodeDevices, AReattachFailingInTheRollbackNamesWhatStaysOnVfio) {
  NodeHost n;
  n.lv.fail("reset_node_device 0000:01:00.1");
  n.lv.fail("reattach_node_device 0000:01:00.0");
  Error e = error_of([&] { n.run(NodedevOp::detach, kBoth); });
  EXPECT_EQ(n.lv.on_vfio, std::set<PciAddress>{A("01:00.0")});  // the other one was given back
  EXPECT_NE(e.cause().find("rollback failed too"), std::string::npos) << e.cause();
  EXPECT_NE(e.hint().find("ptagent reattach 0000:01:00.0"), std::string::npos) << e.hint();
}

TEST(NodeDevices, ReattachGivesBackAndAFailureDetachesAgain) {
  NodeHost n;
  n.lv.on_vfio = {A("01:00.0"), A("01:00.1")};
  EXPECT_EQ(n.run(NodedevOp::reattach, kBoth),
            (ActionLog{"0000:01:00.0: reattached to its host driver (libvirt)",
                       "0000:01:00.1: reattached to its host driver (libvirt)"}));
  EXPECT_TRUE(n.lv.on_vfio.empty());

  NodeHost f;
  f.lv.on_vfio = {A("01:00.0"), A("01:00.1")};
  f.lv.fail("reattach_node_device 0000:01:00.1");
  Error e = error_of([&] { f.run(NodedevOp::reattach, kBoth); });
  EXPECT_NE(e.cause().find("reattach failed: injected failure; rolled back: detached 0000:01:00.0 "
                           "again"),
            std::string::npos)
      << e.cause();
  EXPECT_EQ(f.lv.on_vfio, (std::set<PciAddress>{A("01:00.0"), A("01:00.1")}));
}

TEST(NodeDevices, ResetResetsEachAndStopsAtAWedgedOne) {
  NodeHost n;
  EXPECT_EQ(n.run(NodedevOp::reset, kBoth),
            (ActionLog{"0000:01:00.0: reset (libvirt)", "0000:01:00.1: reset (libvirt)"}));
  NodeHost w;
  w.k.wedge_on_reset("0000:02:00.0");
  ASSERT_EQ(w.k.write(kDev + "0000:02:00.0/reset", "1"), 0);
  EXPECT_TRUE(is_wedged_error(error_of([&] {
    w.run(NodedevOp::reset, {A("02:00.0"), A("01:00.0")});
  })));
  EXPECT_EQ(w.lv.changes(), Calls{"reset_node_device 0000:02:00.0"});  // stopped there
}

// Whichever libvirt call fails, a detach leaves every device where it was.
TEST(NodeDevices, AFailureAtAnyCallOfADetachLeavesNothingDetached) {
  NodeHost ok;
  ok.run(NodedevOp::detach, kBoth);
  const std::size_t n_calls = ok.lv.calls.size();
  for (std::size_t i = 0; i < n_calls; ++i) {
    NodeHost n;
    n.lv.fail_call(i);
    EXPECT_THROW(n.run(NodedevOp::detach, kBoth), Error) << "call " << i;
    EXPECT_TRUE(n.lv.on_vfio.empty()) << "call " << i << ": " << n.lv.calls[i];
  }
}

TEST(NodeDevices, DetachAndReattachRefuseDevicesAlreadyThere) {
  TempHost h = TempHost::copy_of("workstation");
  Inventory inv = Inventory::scan(h.root(), Naming::ids_only);
  NodedevRequest r;
  r.devices = {A("01:00.0")};
  r.op = NodedevOp::reattach;
  Error e = error_of([&] { check_node_devices(inv, r); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_NE(e.cause().find("is not detached"), std::string::npos) << e.cause();
  r.op = NodedevOp::detach;
  EXPECT_NO_THROW(check_node_devices(inv, r));
  r.op = NodedevOp::reset;
  EXPECT_NO_THROW(check_node_devices(inv, r));
}
