// The kernel double must behave like the kernel, or every test built on it proves nothing.
#include "support/kernel_double.hpp"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "pci/device.hpp"
#include "pci/inventory.hpp"
#include "support/temp_host.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
using ptagent::testing::host_state;
using ptagent::testing::KernelDouble;
using ptagent::testing::TempHost;
namespace fs = std::filesystem;

namespace {

const std::string kDev = "/sys/bus/pci/devices/";

std::string driver_of(const TempHost& h, const std::string& addr) {
  return h.root().link_name(kDev + addr + "/driver").value_or("-");
}

std::string override_of(const TempHost& h, const std::string& addr) {
  return h.root().read(kDev + addr + "/driver_override").value_or("?");
}

TEST(KernelDouble, RefusesTheSystemRoot) {
  Root system("/");
  EXPECT_THROW(KernelDouble k(system), std::logic_error);
}

TEST(KernelDouble, DriverOverrideSetClearAndLimits) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  const std::string f = kDev + "0000:01:00.0/driver_override";
  EXPECT_EQ(override_of(h, "0000:01:00.0"), "(null)\n");
  EXPECT_EQ(k.write(f, "vfio-pci"), 0);
  EXPECT_EQ(override_of(h, "0000:01:00.0"), "vfio-pci\n");
  EXPECT_EQ(driver_of(h, "0000:01:00.0"), "nouveau");  // an override does not unbind
  EXPECT_EQ(k.write(f, "\n"), 0);
  EXPECT_EQ(override_of(h, "0000:01:00.0"), "(null)\n");
  EXPECT_EQ(k.write(f, "pci-stub\nrest"), 0);  // cut at the first newline
  EXPECT_EQ(override_of(h, "0000:01:00.0"), "pci-stub\n");
  EXPECT_EQ(k.write(f, ""), 0);
  EXPECT_EQ(override_of(h, "0000:01:00.0"), "(null)\n");
  EXPECT_EQ(k.write(f, std::string(5000, 'x')), EINVAL);
  EXPECT_EQ(override_of(h, "0000:01:00.0"), "(null)\n");
}

TEST(KernelDouble, UnbindRemovesBothLinksAndNeedsTheRightDriver) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  EXPECT_EQ(k.write("/sys/bus/pci/drivers/snd_hda_intel/unbind", "0000:01:00.0"), ENODEV);
  EXPECT_EQ(k.write("/sys/bus/pci/drivers/nouveau/unbind", "0000:09:00.0"), ENODEV);
  EXPECT_EQ(k.write("/sys/bus/pci/drivers/nouveau/unbind", "01:00.0"), ENODEV);  // full names only
  EXPECT_EQ(driver_of(h, "0000:01:00.0"), "nouveau");
  EXPECT_EQ(k.write("/sys/bus/pci/drivers/nouveau/unbind", "0000:01:00.0\n"), 0);
  EXPECT_EQ(driver_of(h, "0000:01:00.0"), "-");
  EXPECT_FALSE(h.root().is_symlink("/sys/bus/pci/drivers/nouveau/0000:01:00.0"));
  EXPECT_EQ(h.root().read("/sys/bus/pci/devices/0000:01:00.0/uevent")->find("DRIVER="),
            std::string::npos);
  // Through the device's driver link, as `echo ADDR > .../driver/unbind` does.
  EXPECT_EQ(k.write(kDev + "0000:01:00.1/driver/unbind", "0000:01:00.1"), 0);
  EXPECT_EQ(driver_of(h, "0000:01:00.1"), "-");
  EXPECT_EQ(k.write(kDev + "0000:01:00.1/driver/unbind", "0000:01:00.1"),
            ENOENT);  // no driver link now
}

TEST(KernelDouble, BindMatchesLikeTheKernel) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  EXPECT_EQ(k.write("/sys/bus/pci/drivers/nouveau/bind", "0000:01:00.0"), EBUSY);
  ASSERT_EQ(k.write("/sys/bus/pci/drivers/nouveau/unbind", "0000:01:00.0"), 0);
  EXPECT_EQ(k.write("/sys/bus/pci/drivers/e1000e/bind", "0000:01:00.0"), ENODEV);  // no alias match
  EXPECT_EQ(k.write("/sys/bus/pci/drivers/vfio-pci/bind", "0000:01:00.0"),
            ENODEV);  // override only
  ASSERT_EQ(k.write(kDev + "0000:01:00.0/driver_override", "pci-stub"), 0);
  EXPECT_EQ(k.write("/sys/bus/pci/drivers/nouveau/bind", "0000:01:00.0"),
            ENODEV);  // override names another
  ASSERT_EQ(k.write(kDev + "0000:01:00.0/driver_override", "\n"), 0);
  EXPECT_EQ(k.write("/sys/bus/pci/drivers/nouveau/bind", "0000:01:00.0"), 0);
  EXPECT_EQ(driver_of(h, "0000:01:00.0"), "nouveau");
  EXPECT_TRUE(h.root().is_symlink("/sys/bus/pci/drivers/nouveau/0000:01:00.0"));
  EXPECT_EQ(h.root().read(kDev + "0000:01:00.0/uevent")->rfind("DRIVER=nouveau\n", 0), 0u);
  // The link is spelled as the kernel spells it and resolves to the device.
  EXPECT_EQ(h.root().read_link(kDev + "0000:01:00.0/driver").value_or(""),
            "../../../../bus/pci/drivers/nouveau");
  EXPECT_EQ(h.root().resolve("/sys/bus/pci/drivers/nouveau/0000:01:00.0"),
            h.root().resolve(kDev + "0000:01:00.0"));
}

TEST(KernelDouble, DriversProbeFollowsOverrideThenModulesAlias) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  EXPECT_EQ(k.write("/sys/bus/pci/drivers_probe", "0000:09:00.0"), ENODEV);
  EXPECT_EQ(k.write("/sys/bus/pci/drivers_probe", "0000:01:00.0"), 0);  // bound: nothing happens
  EXPECT_EQ(driver_of(h, "0000:01:00.0"), "nouveau");

  // No override: modules.alias says xhci_pci, whose driver directory is xhci_hcd (module link).
  ASSERT_EQ(k.write("/sys/bus/pci/drivers/xhci_hcd/unbind", "0000:00:14.0"), 0);
  EXPECT_EQ(k.write("/sys/bus/pci/drivers_probe", "0000:00:14.0"), 0);
  EXPECT_EQ(driver_of(h, "0000:00:14.0"), "xhci_hcd");

  // An override naming a driver that is not loaded: success, and the device stays unbound.
  ASSERT_EQ(k.write("/sys/bus/pci/drivers/xhci_hcd/unbind", "0000:00:14.0"), 0);
  ASSERT_EQ(k.write(kDev + "0000:00:14.0/driver_override", "no_such_driver"), 0);
  EXPECT_EQ(k.write("/sys/bus/pci/drivers_probe", "0000:00:14.0"), 0);
  EXPECT_EQ(driver_of(h, "0000:00:14.0"), "-");

  // An override naming a loaded driver binds to it.
  ASSERT_EQ(k.write(kDev + "0000:00:14.0/driver_override", "vfio-pci"), 0);
  EXPECT_EQ(k.write("/sys/bus/pci/drivers_probe", "0000:00:14.0"), 0);
  EXPECT_EQ(driver_of(h, "0000:00:14.0"), "vfio-pci");
  EXPECT_TRUE(h.root().exists("/dev/vfio/3"));
  ASSERT_EQ(k.write("/sys/bus/pci/drivers/vfio-pci/unbind", "0000:00:14.0"), 0);
  EXPECT_FALSE(h.root().exists("/dev/vfio/3"));
}

TEST(KernelDouble, VfioPciRefusesANonViableGroupUnlessSwitchedOff) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  const std::string gpu = "0000:01:00.0", audio = "0000:01:00.1";
  ASSERT_EQ(k.write(kDev + gpu + "/driver_override", "vfio-pci"), 0);
  ASSERT_EQ(k.write("/sys/bus/pci/drivers/nouveau/unbind", gpu), 0);
  // The audio function is still on snd_hda_intel: the probe fails, drivers_probe reports success.
  EXPECT_EQ(k.write("/sys/bus/pci/drivers_probe", gpu), 0);
  EXPECT_EQ(driver_of(h, gpu), "-");
  EXPECT_EQ(k.write("/sys/bus/pci/drivers/vfio-pci/bind", gpu), EINVAL);  // bind returns the error
  EXPECT_EQ(driver_of(h, gpu), "-");
  // Once the audio function is off its host driver the group is viable (the root port in it
  // does not count).
  ASSERT_EQ(k.write("/sys/bus/pci/drivers/snd_hda_intel/unbind", audio), 0);
  EXPECT_EQ(k.write("/sys/bus/pci/drivers_probe", gpu), 0);
  EXPECT_EQ(driver_of(h, gpu), "vfio-pci");
  EXPECT_EQ(driver_of(h, "0000:00:01.0"), "pcieport");

  TempHost h2 = TempHost::copy_of("workstation");
  KernelDouble lax(h2.root(), KernelDouble::Options{false, EUSERS});
  ASSERT_EQ(lax.write(kDev + gpu + "/driver_override", "vfio-pci"), 0);
  ASSERT_EQ(lax.write("/sys/bus/pci/drivers/nouveau/unbind", gpu), 0);
  EXPECT_EQ(lax.write("/sys/bus/pci/drivers_probe", gpu), 0);
  EXPECT_EQ(driver_of(h2, gpu), "vfio-pci");
}

TEST(KernelDouble, VfioPciNeedsAnIommuGroup) {
  TempHost h = TempHost::copy_of("noiommu");
  KernelDouble k(h.root());
  // noiommu has no vfio-pci at all: the override leaves the device unbound.
  ASSERT_EQ(k.write(kDev + "0000:00:05.0/driver_override", "vfio-pci"), 0);
  ASSERT_EQ(k.write("/sys/bus/pci/drivers/virtio-pci/unbind", "0000:00:05.0"), 0);
  EXPECT_EQ(k.write("/sys/bus/pci/drivers_probe", "0000:00:05.0"), 0);
  EXPECT_EQ(driver_of(h, "0000:00:05.0"), "-");
  // With a vfio-pci directory but no IOMMU group, vfio-pci's probe fails.
  fs::create_directories(h.real("/sys/bus/pci/drivers/vfio-pci"));
  for (const char* f : {"bind", "unbind"})
    std::ofstream(h.real(std::string("/sys/bus/pci/drivers/vfio-pci/") + f));
  EXPECT_EQ(k.write("/sys/bus/pci/drivers/vfio-pci/bind", "0000:00:05.0"), EINVAL);
  EXPECT_EQ(driver_of(h, "0000:00:05.0"), "-");
  // Built-in virtio-pci (no module link) matches its module by name.
  ASSERT_EQ(k.write(kDev + "0000:00:05.0/driver_override", "\n"), 0);
  EXPECT_EQ(k.write("/sys/bus/pci/drivers_probe", "0000:00:05.0"), 0);
  EXPECT_EQ(driver_of(h, "0000:00:05.0"), "virtio-pci");
}

TEST(KernelDouble, NewIdIsRecordedAndFailsTheTest) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  EXPECT_NONFATAL_FAILURE(k.write("/sys/bus/pci/drivers/vfio-pci/new_id", "10de 1b81"),
                          "never use new_id");
  ASSERT_EQ(k.new_id_writes().size(), 1u);
  EXPECT_EQ(k.new_id_writes()[0].value, "10de 1b81");
  EXPECT_EQ(driver_of(h, "0000:01:00.0"), "nouveau");
}

TEST(KernelDouble, ResetNeedsAMethod) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  EXPECT_EQ(k.write(kDev + "0000:02:00.0/reset", "1"), 0);
  EXPECT_EQ(k.write(kDev + "0000:00:14.0/reset", "1"), ENOTTY);  // no reset_method
  EXPECT_EQ(k.write(kDev + "0000:02:00.0/reset", "2"), EINVAL);
  EXPECT_EQ(k.resets(), std::vector<std::string>{"0000:02:00.0"});
  k.wedge_on_reset("0000:02:00.0");
  EXPECT_EQ(k.write(kDev + "0000:02:00.0/reset", "1\n"), 0);
  EXPECT_EQ(h.root().read_value(kDev + "0000:02:00.0/vendor"), "0xffff");
  EXPECT_EQ(read_device(h.root(), parse_pci_address("02:00.0")).vendor_id, 0xffff);
}

// Linux 6.1: writing 1 to reset tries reset_method's methods in order
// (__pci_reset_function_locked); `bus` is pci_parent_bus_reset, which gives ENOTTY when another
// function shares the bus, on a root bus, and for a bridge.
TEST(KernelDouble, ResetUsesTheListedMethodsInOrder) {
  TempHost h = TempHost::copy_of("server");
  KernelDouble k(h.root());
  auto methods = [&](const std::string& addr, const std::string& m) {
    std::ofstream(h.real(kDev + addr + "/reset_method")) << m;
  };
  EXPECT_EQ(k.write(kDev + "0000:04:00.0/reset", "1"), 0);  // "pm bus"
  EXPECT_EQ(k.reset_method_used("0000:04:00.0"), "pm");
  methods("0000:04:00.0", "bus\n");  // alone on bus 04 below its root port
  EXPECT_EQ(k.write(kDev + "0000:04:00.0/reset", "1"), 0);
  EXPECT_EQ(k.reset_method_used("0000:04:00.0"), "bus");
  // 03:00.0 lists bus, but 03:01.0 shares bus 03: ENOTTY, nothing reset.
  EXPECT_EQ(k.write(kDev + "0000:03:00.0/reset", "1"), ENOTTY);
  EXPECT_EQ(k.reset_method_used("0000:03:00.0"), std::nullopt);
  // A refused bus reset passes to the next method.
  methods("0000:01:00.0", "bus flr\n");
  EXPECT_EQ(k.write(kDev + "0000:01:00.0/reset", "1"), 0);
  EXPECT_EQ(k.reset_method_used("0000:01:00.0"), "flr");
  // A bridge (02:00.0, the PCIe-to-PCI bridge) and a root-bus device never get a bus reset.
  methods("0000:02:00.0", "bus\n");
  EXPECT_EQ(k.write(kDev + "0000:02:00.0/reset", "1"), ENOTTY);
  methods("0000:00:00.0", "bus\n");
  EXPECT_EQ(k.write(kDev + "0000:00:00.0/reset", "1"), ENOTTY);
  EXPECT_EQ(k.resets(), (std::vector<std::string>{"0000:04:00.0", "0000:04:00.0", "0000:01:00.0"}));
}

// A real VF's config space reads vendor/device 0xffff (PCIe SR-IOV); sysfs holds the real IDs,
// and a wedge changes only config space.
TEST(KernelDouble, VfConfigSpaceReadsFfffIds) {
  TempHost h = TempHost::copy_of("server");
  KernelDouble k(h.root());
  ASSERT_EQ(k.write(kDev + "0000:01:00.1/sriov_numvfs", "1"), 0);
  const std::string vf = kDev + "0000:01:10.1";
  auto cfg = h.root().read(vf + "/config");
  ASSERT_TRUE(cfg && cfg->size() >= 64);
  EXPECT_EQ(cfg->substr(0, 4), std::string(4, '\xff'));
  EXPECT_NE(cfg->substr(8, 4), std::string(4, '\xff'));  // revision and class are there
  EXPECT_EQ(h.root().read_value(vf + "/vendor"), "0x8086");
  EXPECT_EQ(h.root().read_value(vf + "/device"), "0x10ed");
  EXPECT_EQ(h.root().read_value(vf + "/reset_method"), "flr");
  k.wedge_on_reset("0000:01:10.1");
  ASSERT_EQ(k.write(vf + "/reset", "1"), 0);  // flr: a VF on the PF's bus still resets
  EXPECT_EQ(h.root().read_value(vf + "/vendor"), "0x8086");
  EXPECT_EQ(*h.root().read(vf + "/config"), std::string(cfg->size(), '\xff'));
}

TEST(KernelDouble, SriovEnableDisableAndRefusals) {
  TempHost h = TempHost::copy_of("server");
  KernelDouble k(h.root());
  const std::string start = host_state(h.root());
  const std::string numvfs = kDev + "0000:01:00.1/sriov_numvfs";
  EXPECT_EQ(k.write(numvfs, "64"), ERANGE);
  EXPECT_EQ(k.write(numvfs, "two"), EINVAL);
  EXPECT_EQ(k.write(numvfs, "0"), 0);  // already 0
  ASSERT_EQ(k.write(numvfs, "2\n"), 0);
  EXPECT_EQ(h.root().read_value(numvfs), "2");
  // devfn 0x01 + offset 128 + k * stride 2 -> 01:10.1, 01:10.3
  for (const char* vf : {"0000:01:10.1", "0000:01:10.3"}) {
    EXPECT_EQ(driver_of(h, vf), "ixgbevf") << vf;
    EXPECT_EQ(h.root().link_name(kDev + vf + "/physfn"), "0000:01:00.1");
    EXPECT_TRUE(h.root().link_name(kDev + vf + "/iommu_group"));
  }
  EXPECT_EQ(h.root().link_name(kDev + "0000:01:00.1/virtfn1"), "0000:01:10.3");
  Inventory inv = Inventory::scan(h.root(), Naming::ids_only);
  const Device& vf = inv.get(parse_pci_address("01:10.3"));
  EXPECT_EQ(vf.device_id, 0x10ed);
  EXPECT_EQ(vf.physfn, parse_pci_address("01:00.1"));
  EXPECT_NE(vf.iommu_group, inv.get(parse_pci_address("01:10.1")).iommu_group);
  ASSERT_TRUE(inv.get(parse_pci_address("01:00.1")).sriov);
  EXPECT_EQ(inv.get(parse_pci_address("01:00.1")).sriov->vfs.size(), 2u);

  EXPECT_EQ(k.write(numvfs, "3"), EBUSY);  // non-zero to non-zero
  k.mark_in_use("0000:01:10.3");
  EXPECT_EQ(k.write(numvfs, "0"), EBUSY);
  k.mark_in_use("0000:01:10.3", false);
  ASSERT_EQ(k.write(numvfs, "0"), 0);
  EXPECT_EQ(host_state(h.root()), start);
  EXPECT_FALSE(h.root().exists(kDev + "0000:01:10.1"));

  // Autoprobe off: the VFs come without a driver. A PF without a driver refuses.
  EXPECT_EQ(k.write(kDev + "0000:01:00.1/sriov_drivers_autoprobe", "maybe"), EINVAL);
  ASSERT_EQ(k.write(kDev + "0000:01:00.1/sriov_drivers_autoprobe", "0"), 0);
  ASSERT_EQ(k.write(numvfs, "1"), 0);
  EXPECT_EQ(driver_of(h, "0000:01:10.1"), "-");
  ASSERT_EQ(k.write(numvfs, "0"), 0);
  ASSERT_EQ(k.write("/sys/bus/pci/drivers/ixgbe/unbind", "0000:01:00.1"), 0);
  EXPECT_EQ(k.write(numvfs, "1"), ENOENT);
}

TEST(KernelDouble, SriovDisableRemovesFixtureVfs) {
  TempHost h = TempHost::copy_of("server");
  KernelDouble k(h.root());
  ASSERT_EQ(k.write(kDev + "0000:01:00.0/sriov_numvfs", "0"), 0);
  for (const char* vf : {"0000:01:10.0", "0000:01:10.2", "0000:01:10.4", "0000:01:10.6"}) {
    EXPECT_FALSE(h.root().exists(kDev + vf)) << vf;
  }
  EXPECT_FALSE(h.root().exists("/sys/kernel/iommu_groups/11"));
  EXPECT_FALSE(h.root().exists("/dev/vfio/11"));  // 01:10.2 was on vfio-pci
  EXPECT_FALSE(h.root().is_symlink("/sys/bus/pci/drivers/vfio-pci/0000:01:10.2"));
  EXPECT_FALSE(h.root().is_symlink("/sys/class/net/enp1s16"));
  ASSERT_EQ(k.write(kDev + "0000:01:00.0/sriov_numvfs", "4"), 0);
  EXPECT_EQ(driver_of(h, "0000:01:10.2"), "ixgbevf");
}

TEST(KernelDouble, MdevCreateAndRemove) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  const std::string start = host_state(h.root());
  const std::string types = "/sys/class/mdev_bus/0000:00:02.0/mdev_supported_types/";
  const std::string uuid = "4b20d080-1b54-4048-85b3-a6a62d165c01";
  EXPECT_EQ(k.write(types + "i915-GVTg_V5_4/create", "not-a-uuid"), EINVAL);
  EXPECT_EQ(k.write(types + "no-such-type/create", uuid), ENOENT);
  ASSERT_EQ(k.write(types + "i915-GVTg_V5_4/create", "4B20D080-1B54-4048-85B3-A6A62D165C01\n"), 0);
  const std::string dev = "/sys/bus/mdev/devices/" + uuid;
  ASSERT_TRUE(h.root().is_dir(dev));
  EXPECT_EQ(h.root().link_name(dev + "/mdev_type"), "i915-GVTg_V5_4");
  EXPECT_EQ(h.root().resolve(dev), h.root().resolve(kDev + "0000:00:02.0/" + uuid));
  EXPECT_TRUE(h.root().link_name(dev + "/iommu_group"));
  EXPECT_TRUE(h.root().is_symlink(types + "i915-GVTg_V5_4/devices/" + uuid));
  EXPECT_EQ(h.root().read_value(types + "i915-GVTg_V5_4/available_instances"), "0");
  EXPECT_EQ(k.write(types + "i915-GVTg_V5_8/create", uuid), EEXIST);
  EXPECT_EQ(k.write(types + "i915-GVTg_V5_4/create", "11111111-2222-3333-4444-555555555555"),
            EUSERS);

  k.mark_in_use(uuid);
  EXPECT_EQ(k.write(dev + "/remove", "1"), EBUSY);
  k.mark_in_use(uuid, false);
  EXPECT_EQ(k.write(dev + "/remove", "x"), EINVAL);
  EXPECT_EQ(k.write(dev + "/remove", "0"), 0);
  EXPECT_TRUE(h.root().is_dir(dev));
  ASSERT_EQ(k.write(dev + "/remove", "1"), 0);
  EXPECT_FALSE(h.root().exists(dev));
  EXPECT_EQ(host_state(h.root()), start);
}

TEST(KernelDouble, PlainAttributesAndPathRules) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  EXPECT_EQ(k.write(kDev + "0000:01:00.0/broken_parity_status", "1"), 0);
  EXPECT_EQ(h.root().read(kDev + "0000:01:00.0/broken_parity_status"), "1");
  EXPECT_EQ(k.write(kDev + "0000:01:00.0/no_such_attribute", "1"), ENOENT);
  EXPECT_EQ(k.write("/sys/bus/pci/devices/0000:01:00.0", "x"), ELOOP);  // a symlink itself
  EXPECT_EQ(k.write("/sys/bus/pci/drivers/nouveau", "x"), EISDIR);
  EXPECT_EQ(k.write("/etc/passwd", "x"), EACCES);
  EXPECT_EQ(k.write("/sys/no/such/dir/file", "x"), ENOENT);
  EXPECT_NONFATAL_FAILURE(k.write(kDev + "0000:01:00.0/remove", "1"), "not emulated");
}

TEST(KernelDouble, FailureInjectionAndRecord) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  k.fail_nth_write(2, EIO);
  k.fail_writes_to("drivers/nouveau/unbind", EBUSY);
  const std::string f = kDev + "0000:01:00.0/driver_override";
  EXPECT_EQ(k.write(f, "vfio-pci"), 0);
  EXPECT_EQ(k.write(f, "\n"), EIO);  // the 2nd write: no effect
  EXPECT_EQ(override_of(h, "0000:01:00.0"), "vfio-pci\n");
  EXPECT_EQ(k.write("/sys/bus/pci/drivers/nouveau/unbind", "0000:01:00.0"), EBUSY);
  EXPECT_EQ(driver_of(h, "0000:01:00.0"), "nouveau");
  k.clear_failures();
  EXPECT_EQ(k.write("/sys/bus/pci/drivers/nouveau/unbind", "0000:01:00.0"), 0);
  const auto calls = k.calls();
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(k.write_count(), 4u);
  EXPECT_EQ(calls[1].path, f);
  EXPECT_EQ(calls[1].value, "\n");
  EXPECT_EQ(calls[1].result, EIO);
  EXPECT_TRUE(calls[1].injected);
  EXPECT_FALSE(calls[3].injected);
  EXPECT_EQ(calls[3].result, 0);
}

TEST(TempHost, CopiesAndRemoves) {
  std::string dir;
  {
    TempHost h = TempHost::copy_of("workstation");
    dir = h.dir();
    EXPECT_TRUE(h.root().is_symlink("/sys/bus/pci/devices/0000:01:00.0/driver"));
    EXPECT_EQ(h.real("/sys"), dir + "/sys");
    TempHost moved = std::move(h);
    EXPECT_EQ(moved.dir(), dir);
  }
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_THROW(TempHost::copy_of("no-such-host"), std::runtime_error);
  EXPECT_THROW(TempHost::copy_of("../hosts"), std::runtime_error);
  TempHost e = TempHost::empty();
  EXPECT_TRUE(e.root().is_dir("/run"));
}

}  // namespace

// reset_method_store (6.1): names the device supports, in the order given; "" disables every
// method, "default" gives the device's list back; an unknown or unsupported name is EINVAL and
// changes nothing.
TEST(KernelDouble, ResetMethodLikeTheKernel) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  const std::string f = kDev + "0000:00:1f.3/reset_method";
  ASSERT_EQ(h.root().read_value(f), "flr pm");
  EXPECT_EQ(k.write(f, "pm flr\n"), 0);
  EXPECT_EQ(h.root().read_value(f), "pm flr");
  EXPECT_EQ(k.write(f, "bus"), EINVAL);  // not supported by this device
  EXPECT_EQ(k.write(f, "pm toaster"), EINVAL);
  EXPECT_EQ(h.root().read_value(f), "pm flr");
  EXPECT_EQ(k.write(f, ""), 0);  // zero bytes: the kernel's store is never called
  EXPECT_EQ(h.root().read_value(f), "pm flr");
  EXPECT_EQ(k.write(f, "pm pm"), 0);  // 6.1 keeps a name given twice
  EXPECT_EQ(h.root().read_value(f), "pm pm");
  EXPECT_EQ(k.write(f, "\n"), 0);
  EXPECT_EQ(h.root().read_value(f), "");
  EXPECT_EQ(k.write(f, "pm"), 0);  // still supported although the list was empty
  EXPECT_EQ(k.write(f, "default\n"), 0);
  EXPECT_EQ(h.root().read_value(f), "flr pm");
}

// d3cold_allowed takes a number (kstrtoul), power/control "on" or "auto"; "on" resumes the device.
TEST(KernelDouble, RuntimePowerAttributes) {
  TempHost h = TempHost::copy_of("apu");
  KernelDouble k(h.root());
  const std::string d = kDev + "0000:04:00.6/";
  EXPECT_EQ(k.write(d + "d3cold_allowed", "no"), EINVAL);
  EXPECT_EQ(h.root().read_value(d + "d3cold_allowed"), "1");
  EXPECT_EQ(k.write(d + "d3cold_allowed", "0\n"), 0);
  EXPECT_EQ(h.root().read_value(d + "d3cold_allowed"), "0");
  EXPECT_EQ(k.write(d + "d3cold_allowed", "7"), 0);
  EXPECT_EQ(h.root().read_value(d + "d3cold_allowed"), "1");
  EXPECT_EQ(k.write(d + "power/control", "off"), EINVAL);
  EXPECT_EQ(k.write(d + "power/control", "auto"), 0);
  EXPECT_EQ(h.root().read_value(d + "power/control"), "auto");
  ASSERT_EQ(h.root().read_value(d + "power_state"), "D3hot");
  EXPECT_EQ(k.write(d + "power/control", "on\n"), 0);
  EXPECT_EQ(h.root().read_value(d + "power/control"), "on");
  EXPECT_EQ(h.root().read_value(d + "power/runtime_status"), "active");
  EXPECT_EQ(h.root().read_value(d + "power_state"), "D0");
}
