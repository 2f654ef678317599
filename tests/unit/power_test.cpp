// ops/power: reading a device's runtime power state, keeping it out of D3cold and back.
#include "ops/power.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>

#include "error.hpp"
#include "support/kernel_double.hpp"
#include "support/temp_host.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
using ptagent::testing::KernelDouble;
using ptagent::testing::TempHost;

namespace {

const std::string kGpu = "/sys/bus/pci/devices/0000:01:00.0/";
const std::string kPort = "/sys/bus/pci/devices/0000:00:01.0/";
const PciAddress kGpuAddr = parse_pci_address("0000:01:00.0");

}  // namespace

TEST(Power, ReadsTheDeviceAndItsBridge) {
  TempHost h = TempHost::copy_of("workstation");
  const PowerState s = read_power(h.root(), kGpuAddr);
  EXPECT_EQ(s.device.address, kGpuAddr);
  EXPECT_EQ(s.device.d3cold_allowed, true);
  EXPECT_EQ(s.device.power_control, "on");
  ASSERT_TRUE(s.bridge);
  EXPECT_EQ(s.bridge->address.to_string(), "0000:00:01.0");
  EXPECT_EQ(s.bridge->d3cold_allowed, true);
  EXPECT_THROW(read_power(h.root(), parse_pci_address("0000:09:00.0")), Error);
}

TEST(Power, MayEnterD3coldOnlyWhereTheFirmwareCanCutPowerAndTheDeviceIdles) {
  PowerState s;
  s.device.d3cold_allowed = true;
  s.device.power_control = "auto";
  EXPECT_FALSE(s.may_enter_d3cold());  // no _PR3: the platform cannot cut power
  s.platform_d3cold = true;
  EXPECT_TRUE(s.may_enter_d3cold());
  s.device.power_control = "on";
  EXPECT_FALSE(s.may_enter_d3cold());
  s.device.power_control = "auto";
  s.device.d3cold_allowed = false;
  EXPECT_FALSE(s.may_enter_d3cold());
}

TEST(Power, KeepOnWritesOnlyWhatChangesAndIdleGivesItBack) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  const PowerPlan plan = plan_power(read_power(h.root(), kGpuAddr), PowerMode::keep_on);
  ASSERT_EQ(plan.writes.size(), 2u);  // power/control is already "on"
  EXPECT_EQ(plan.writes[0].path, kGpu + "d3cold_allowed");
  EXPECT_EQ(plan.writes[0].value, "0");
  EXPECT_EQ(plan.writes[0].before, "1");
  EXPECT_EQ(plan.writes[1].path, kPort + "d3cold_allowed");
  const PowerState on = apply_power(h.root(), k, plan);
  EXPECT_EQ(on.device.d3cold_allowed, false);
  EXPECT_EQ(on.bridge->d3cold_allowed, false);
  EXPECT_TRUE(plan_power(on, PowerMode::keep_on).nothing_to_do());

  const PowerPlan idle = plan_power(on, PowerMode::idle);
  ASSERT_EQ(idle.writes.size(), 2u);  // the device only
  EXPECT_EQ(idle.writes[1].path, kGpu + "power/control");
  EXPECT_EQ(idle.writes[1].value, "auto");
  const PowerState off = apply_power(h.root(), k, idle);
  EXPECT_EQ(off.device.d3cold_allowed, true);
  EXPECT_EQ(off.device.power_control, "auto");
  EXPECT_EQ(off.bridge->d3cold_allowed, false) << "the bridge stays kept on";
}

TEST(Power, AFailedWritePutsBackTheOnesBefore) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  k.fail_writes_to("0000:00:01.0/d3cold_allowed", EIO);
  const PowerPlan plan = plan_power(read_power(h.root(), kGpuAddr), PowerMode::keep_on);
  try {
    apply_power(h.root(), k, plan);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::failed);
    EXPECT_EQ(e.object(), "0000:01:00.0");
    EXPECT_NE(e.cause().find("put back"), std::string::npos) << e.cause();
  }
  EXPECT_EQ(h.root().read_value(kGpu + "d3cold_allowed"), "1");
  EXPECT_EQ(h.root().read_value(kPort + "d3cold_allowed"), "1");
}

TEST(Power, ADeviceWithoutRuntimePmIsRefused) {
  TempHost h = TempHost::copy_of("workstation");
  std::filesystem::remove(h.real(kGpu + "d3cold_allowed"));
  std::filesystem::remove_all(h.real(kGpu + "power"));
  try {
    plan_power(read_power(h.root(), kGpuAddr), PowerMode::keep_on);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::refused);
    EXPECT_EQ(e.reason(), Reason::unsupported);
  }
}
