// reset_method: naming the kernel's resets, planning a change, writing it through the kernel.
#include "ops/reset_method.hpp"

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

const std::string kFile = "/sys/bus/pci/devices/0000:00:1f.3/reset_method";
const PciAddress kAudio = parse_pci_address("0000:00:1f.3");

template <typename F>
Error error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no Error thrown";
  return Error(ErrorKind::failed, "-", "-");
}

}  // namespace

TEST(ResetMethod, ParsesNamesInOrderAndRefusesUnknownOrTwice) {
  EXPECT_EQ(parse_reset_methods({"device_specific", "bus"}),
            (std::vector<std::string>{"device_specific", "bus"}));
  EXPECT_EQ(parse_reset_methods({"flr  pm"}), (std::vector<std::string>{"flr", "pm"}));
  EXPECT_TRUE(parse_reset_methods({}).empty());
  Error e = error_of([] { parse_reset_methods({"flr", "warm"}); });
  EXPECT_EQ(e.kind(), ErrorKind::usage);
  EXPECT_NE(e.object().find("warm"), std::string::npos);
  EXPECT_NE(e.hint().find("device_specific"), std::string::npos);
  EXPECT_EQ(error_of([] { parse_reset_methods({"bus", "flr bus"}); }).kind(), ErrorKind::usage);
}

TEST(ResetMethod, ValueOfEachChange) {
  ResetMethodPlan p;
  p.methods = {"device_specific", "bus"};
  EXPECT_EQ(p.value(), "device_specific bus");
  p.change = ResetMethodChange::disable_all;
  EXPECT_EQ(p.value(), "");
  p.change = ResetMethodChange::restore_default;
  EXPECT_EQ(p.value(), "default");
}

TEST(ResetMethod, PlanRefusesWhatCannotBeDone) {
  TempHost h = TempHost::copy_of("workstation");
  EXPECT_EQ(error_of([&] {
              plan_reset_method(h.root(), parse_pci_address("0000:09:00.0"), ResetMethodChange::set,
                                {"flr"});
            }).kind(),
            ErrorKind::not_found);
  std::filesystem::remove(h.real(kFile));
  Error e = error_of([&] { plan_reset_method(h.root(), kAudio, ResetMethodChange::set, {"pm"}); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_EQ(e.reason(), Reason::unsupported);
  EXPECT_NE(e.cause().find("5.15"), std::string::npos);
  TempHost h2 = TempHost::copy_of("workstation");
  EXPECT_EQ(
      error_of([&] { plan_reset_method(h2.root(), kAudio, ResetMethodChange::set, {}); }).kind(),
      ErrorKind::usage);
}

TEST(ResetMethod, SetsDisablesAndRestoresThroughTheKernel) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  auto plan = plan_reset_method(h.root(), kAudio, ResetMethodChange::set, {"pm", "flr"});
  EXPECT_EQ(plan.before, (std::vector<std::string>{"flr", "pm"}));
  EXPECT_FALSE(plan.nothing_to_do());
  EXPECT_EQ(apply_reset_method(h.root(), k, plan), (std::vector<std::string>{"pm", "flr"}));
  auto none = plan_reset_method(h.root(), kAudio, ResetMethodChange::disable_all);
  EXPECT_TRUE(apply_reset_method(h.root(), k, none).empty());
  EXPECT_EQ(h.root().read_value(kFile), "");
  auto back = plan_reset_method(h.root(), kAudio, ResetMethodChange::restore_default);
  EXPECT_EQ(apply_reset_method(h.root(), k, back), (std::vector<std::string>{"flr", "pm"}));
  // The same list again writes nothing.
  auto same = plan_reset_method(h.root(), kAudio, ResetMethodChange::set, {"flr", "pm"});
  EXPECT_TRUE(same.nothing_to_do());
  const auto writes = k.calls().size();
  apply_reset_method(h.root(), k, same);
  EXPECT_EQ(k.calls().size(), writes);
}

TEST(ResetMethod, AMethodTheDeviceLacksIsRefusedAndChangesNothing) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  auto plan = plan_reset_method(h.root(), kAudio, ResetMethodChange::set, {"bus", "flr"});
  Error e = error_of([&] { apply_reset_method(h.root(), k, plan); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_EQ(e.reason(), Reason::unsupported);
  EXPECT_EQ(e.object(), "0000:00:1f.3");
  EXPECT_NE(e.hint().find("flr pm"), std::string::npos) << e.hint();
  EXPECT_EQ(h.root().read_value(kFile), "flr pm");
}

TEST(ResetMethod, AnUnwritableFileFailsNamingTheDevice) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  k.fail_writes_to("reset_method", EACCES);
  auto plan = plan_reset_method(h.root(), kAudio, ResetMethodChange::set, {"pm"});
  Error e = error_of([&] { apply_reset_method(h.root(), k, plan); });
  EXPECT_EQ(e.kind(), ErrorKind::failed);
  EXPECT_NE(e.hint().find("root"), std::string::npos);
  EXPECT_EQ(h.root().read_value(kFile), "flr pm");
}
