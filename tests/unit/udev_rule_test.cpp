// udev_rule: the override and SR-IOV rule lines, rules files, driverctl's file names, and reading
// the host's saved overrides back (driverctl.d and rules.d).
#include "setup/udev_rule.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::TempHost;
namespace fs = std::filesystem;

namespace {

PciAddress addr(const char* text) {
  return parse_pci_address(text);
}

}  // namespace

TEST(UdevRule, OverrideRuleMatchesTheDeviceAndEscapesDollars) {
  const std::string r = override_rule(addr("0000:01:00.0"), "vfio-pci");
  EXPECT_EQ(r.rfind("ACTION==\"add\", SUBSYSTEM==\"pci\", KERNEL==\"0000:01:00.0\", "
                    "ATTR{driver_override}=\"vfio-pci\", RUN+=\"",
                    0),
            0u)
      << r;
  EXPECT_EQ(r.back(), '"');
  EXPECT_EQ(r.find('\n'), std::string::npos);
  // Every $ for the shell is doubled for udev; no single $ is left for udev to substitute.
  for (std::size_t i = r.find('$'); i != std::string::npos; i = r.find('$', i + 2)) {
    ASSERT_LT(i + 1, r.size());
    EXPECT_EQ(r[i + 1], '$') << "at " << i << ": " << r;
  }
  // Left alone when vfio-pci has it; else away from its driver, vfio-pci loaded, probed.
  EXPECT_NE(r.find("= vfio-pci ] && exit 0"), std::string::npos) << r;
  EXPECT_LT(r.find("driver/unbind"), r.find("modprobe -q vfio-pci")) << r;
  EXPECT_LT(r.find("modprobe -q vfio-pci"), r.find("/sys/bus/pci/drivers_probe")) << r;
}

TEST(UdevRule, OverrideRuleParsesBack) {
  const std::string text = *rules_file({override_rule(addr("0000:01:00.0"), "vfio-pci"),
                                        override_rule(addr("0000:01:00.1"), "vfio-pci")});
  const auto o = parse_override_rules(text, kVfioRules);
  ASSERT_EQ(o.size(), 2u);
  EXPECT_EQ(o[0].file, kVfioRules);
  EXPECT_EQ(o[0].line, 2u) << "after the header comment";
  EXPECT_EQ(o[0].address, addr("0000:01:00.0"));
  EXPECT_EQ(o[0].driver, "vfio-pci");
  EXPECT_EQ(o[1].line, 3u);
  EXPECT_EQ(o[1].address, addr("0000:01:00.1"));
}

TEST(UdevRule, SriovRule) {
  EXPECT_EQ(sriov_rule(addr("0000:03:00.0"), 4),
            "ACTION==\"bind\", SUBSYSTEM==\"pci\", KERNEL==\"0000:03:00.0\", "
            "ATTR{sriov_numvfs}=\"4\"");
  EXPECT_TRUE(parse_override_rules(sriov_rule(addr("0000:03:00.0"), 4), "f").empty());
}

TEST(UdevRule, PowerRule) {
  EXPECT_EQ(power_rule(addr("0000:04:00.3"), false),
            "ACTION==\"add\", SUBSYSTEM==\"pci\", KERNEL==\"0000:04:00.3\", "
            "ATTR{d3cold_allowed}=\"0\", ATTR{power/control}=\"on\"");
  EXPECT_EQ(power_rule(addr("0000:00:08.1"), true),
            "ACTION==\"add\", SUBSYSTEM==\"pci\", KERNEL==\"0000:00:08.1\", "
            "ATTR{d3cold_allowed}=\"0\"");
  EXPECT_TRUE(parse_override_rules(power_rule(addr("0000:04:00.3"), false), "f").empty());
}

TEST(UdevRule, ResetMethodRulesAddTheModuleEventForVendorReset) {
  const auto plain = reset_method_rules(addr("0000:03:00.0"), {"flr", "bus"});
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0],
            "ACTION==\"add\", SUBSYSTEM==\"pci\", KERNEL==\"0000:03:00.0\", "
            "ATTR{reset_method}=\"flr bus\"");
  const auto vr = reset_method_rules(addr("0000:03:00.0"), {"device_specific", "bus"});
  ASSERT_EQ(vr.size(), 2u);
  EXPECT_EQ(vr[1],
            "ACTION==\"add\", SUBSYSTEM==\"module\", KERNEL==\"vendor_reset\", "
            "RUN+=\"/bin/sh -c 'echo device_specific bus > "
            "/sys/bus/pci/devices/0000:03:00.0/reset_method'\"");
}

TEST(UdevRule, RulesFile) {
  EXPECT_EQ(rules_file({}), std::nullopt);
  EXPECT_EQ(rules_file({"A", "B"}),
            "# Written by ptagent setup; 'ptagent setup revert' removes this file.\nA\nB\n");
}

TEST(UdevRule, DriverctlFile) {
  EXPECT_EQ(driverctl_file(addr("0000:01:00.0")), "/etc/driverctl.d/pci-0000:01:00.0");
  EXPECT_EQ(driverctl_file(addr("0001:0a:1f.7")), "/etc/driverctl.d/pci-0001:0a:1f.7");
}

TEST(UdevRule, ParseSkipsCommentsPatternsAndOtherRules) {
  const auto o = parse_override_rules(
      "# KERNEL==\"0000:01:00.0\", ATTR{driver_override}=\"vfio-pci\"\n"
      "  \t# indented comment KERNEL==\"0000:01:00.0\", ATTR{driver_override}=\"x\"\n"
      "KERNEL==\"0000:01:*\", ATTR{driver_override}=\"vfio-pci\"\n"
      "KERNEL==\"0000:02:00.0\", ATTR{power/control}=\"on\"\n"
      "SUBSYSTEM==\"pci\", KERNEL==\"0000:05:00.0\", ATTR{driver_override}=\"pci-stub\"\n"
      "KERNEL==\"0000:06:00.0\", ATTR{driver_override}=\"unterminated\n",
      "/etc/udev/rules.d/x.rules");
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].line, 5u);
  EXPECT_EQ(o[0].address, addr("0000:05:00.0"));
  EXPECT_EQ(o[0].driver, "pci-stub");
}

TEST(UdevRule, ReadBootOverridesFromDriverctlAndRules) {
  TempHost h = TempHost::empty();
  EXPECT_TRUE(read_boot_overrides(h.root()).empty());
  h.put("/etc/driverctl.d/pci-0000:01:00.0", "vfio-pci\n");
  h.put("/etc/driverctl.d/pci-0000:01:00.1", "\n");
  h.put("/etc/driverctl.d/pci-garbage", "vfio-pci\n");
  h.put("/etc/driverctl.d/usb-1-1", "usbhid\n");
  h.put(kVfioRules, *rules_file({override_rule(addr("0000:02:00.0"), "vfio-pci")}));
  h.put("/etc/udev/rules.d/99-notes.txt",
        "KERNEL==\"0000:03:00.0\", ATTR{driver_override}=\"vfio-pci\"\n");
  const auto o = read_boot_overrides(h.root());
  ASSERT_EQ(o.size(), 2u);
  EXPECT_EQ(o[0].file, "/etc/driverctl.d/pci-0000:01:00.0");
  EXPECT_EQ(o[0].line, 1u);
  EXPECT_EQ(o[0].address, addr("0000:01:00.0"));
  EXPECT_EQ(o[0].driver, "vfio-pci") << "the value without its newline";
  EXPECT_EQ(o[1].file, kVfioRules);
  EXPECT_EQ(o[1].address, addr("0000:02:00.0"));
}
