// Node-device operations without libvirt: the wedge check on real-shaped config space (SR-IOV VFs
// read vendor/device 0xffff by design) and detach's rollback, driven through fake steps.
#include "virt/nodedev_ops.hpp"

#include <gtest/gtest.h>

#include <set>

#include "error.hpp"
#include "pci/device.hpp"
#include "support/error_of.hpp"
#include "support/kernel_double.hpp"
#include "support/temp_host.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
using ptagent::testing::error_of;
using ptagent::testing::KernelDouble;
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

TEST(NodedevOps, AVfIsNeverWedgedForItsFfffIds) {
  VfHost v;
  const Root& root = v.h.root();
  auto cfg = root.read(kDev + "0000:01:10.1/config", 4);
  ASSERT_TRUE(cfg);
  EXPECT_EQ(*cfg, std::string(4, '\xff'));                             // vendor/device in config
  EXPECT_EQ(root.read_value(kDev + "0000:01:10.1/vendor"), "0x8086");  // the real ID in sysfs
  EXPECT_NO_THROW(virt::check_not_wedged(root, A("01:10.1")));
  // FLR is seen in the VF's config space despite the 0xffff vendor (show/probe "FLR: yes").
  Device d = read_device(root, A("01:10.1"));
  EXPECT_TRUE(d.config.valid);
  EXPECT_TRUE(d.config.pcie_flr);
  EXPECT_EQ(d.vendor_id, 0x8086);
}

TEST(NodedevOps, AWedgedVfIsStillCaught) {
  VfHost v;
  v.k.wedge_on_reset("0000:01:10.3");
  ASSERT_EQ(v.k.write(kDev + "0000:01:10.3/reset", "1"), 0);
  Error e = error_of([&] { virt::check_not_wedged(v.h.root(), A("01:10.3")); });
  EXPECT_TRUE(virt::is_wedged_error(e));
  EXPECT_EQ(e.reason(), Reason::wedged);
  EXPECT_NE(e.hint().find("reboot"), std::string::npos);
  EXPECT_NO_THROW(virt::check_not_wedged(v.h.root(), A("01:10.1")));
}

TEST(NodedevOps, AWedgedFunctionIsCaught) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  EXPECT_NO_THROW(virt::check_not_wedged(h.root(), A("02:00.0")));
  k.wedge_on_reset("0000:02:00.0");
  ASSERT_EQ(k.write(kDev + "0000:02:00.0/reset", "1"), 0);
  EXPECT_TRUE(
      virt::is_wedged_error(error_of([&] { virt::check_not_wedged(h.root(), A("02:00.0")); })));
}

namespace {

// Where each device is: on vfio or on its host driver.
struct FakeLibvirt {
  std::set<PciAddress> on_vfio;
  std::set<PciAddress> wedged_after_reset;
  std::optional<PciAddress> reset_fails, reattach_fails;
  virt::NodedevSteps steps() {
    virt::NodedevSteps s;
    s.detach = [this](const PciAddress& a) { on_vfio.insert(a); };
    s.reattach = [this](const PciAddress& a) {
      if (reattach_fails == a) throw_failed(a.to_string(), "reattach refused");
      on_vfio.erase(a);
    };
    s.reset = [this](const PciAddress& a) {
      if (reset_fails == a) throw_failed(a.to_string(), "reset refused");
    };
    s.check = [this](const PciAddress& a) {
      if (wedged_after_reset.count(a)) {
        throw Error(ErrorKind::failed, Reason::wedged, a.to_string(),
                    "it is wedged and no longer answers", "reboot the host");
      }
    };
    return s;
  }
};

}  // namespace

TEST(NodedevOps, DetachRollsBackAWedgedDevice) {
  FakeLibvirt f;
  f.wedged_after_reset.insert(A("02:00.1"));
  Error e = error_of([&] { virt::detach_devices(f.steps(), {A("02:00.0"), A("02:00.1")}); });
  EXPECT_TRUE(f.on_vfio.empty());  // both given back: the host is where it was
  EXPECT_TRUE(virt::is_wedged_error(e));
  EXPECT_EQ(e.reason(), Reason::wedged);
  EXPECT_NE(e.cause().find("rolled back: reattached 0000:02:00.1, 0000:02:00.0"), std::string::npos)
      << e.cause();
  EXPECT_EQ(e.hint(), "reboot the host");
}

TEST(NodedevOps, DetachRollsBackAFailedReset) {
  FakeLibvirt f;
  f.reset_fails = A("02:00.0");
  Error e = error_of([&] { virt::detach_devices(f.steps(), {A("02:00.0")}); });
  EXPECT_TRUE(f.on_vfio.empty());
  EXPECT_NE(e.cause().find("reset failed: reset refused; rolled back"), std::string::npos)
      << e.cause();
}

TEST(NodedevOps, DetachNamesWhatARollbackLeftOnVfio) {
  FakeLibvirt f;
  f.reset_fails = A("02:00.1");
  f.reattach_fails = A("02:00.0");
  Error e = error_of([&] { virt::detach_devices(f.steps(), {A("02:00.0"), A("02:00.1")}); });
  EXPECT_EQ(f.on_vfio, std::set<PciAddress>{A("02:00.0")});  // the other one was still given back
  EXPECT_NE(e.cause().find("rollback failed too"), std::string::npos);
  EXPECT_NE(e.hint().find("ptagent reattach 0000:02:00.0"), std::string::npos) << e.hint();
}

TEST(NodedevOps, DetachSucceedsAndLogsEveryStep) {
  FakeLibvirt f;
  auto log = virt::detach_devices(f.steps(), {A("02:00.0")});
  EXPECT_EQ(log.size(), 2u);
  EXPECT_EQ(f.on_vfio, std::set<PciAddress>{A("02:00.0")});
}
