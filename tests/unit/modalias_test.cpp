#include "pci/modalias.hpp"

#include <gtest/gtest.h>

#include "pci/device.hpp"

using namespace ptagent;

TEST(Modalias, MatchesVendorAndWildcardPatterns) {
  auto t = ModuleAliases::parse(
      "# comment\n"
      "alias pci:v000010DEd*sv*sd*bc03sc*i* nouveau\n"
      "alias pci:v000010DEd*sv*sd*bc03sc*i* nvidiafb\n"
      "alias pci:v*d*sv*sd*bc0Csc03i30* xhci_pci\n"
      "alias usb:v*p* usbcore\n"
      "alias pci:v00008086d00001572sv*sd*bc*sc*i* i40e\n"
      "alias pci:v000010DEd*sv*sd*bc03sc*i* nouveau\n");
  EXPECT_EQ(t.match("pci:v000010DEd00001B81sv00001462sd00003302bc03sc00i00"),
            (std::vector<std::string>{"nouveau", "nvidiafb"}));
  EXPECT_EQ(t.match("pci:v00008086d0000A36Dsv00008086sd00007270bc0Csc03i30"),
            (std::vector<std::string>{"xhci_pci"}));
  EXPECT_EQ(t.match("pci:v00008086d00001572sv00008086sd00000000bc02sc00i00"),
            (std::vector<std::string>{"i40e"}));
  EXPECT_TRUE(t.match("pci:v00001AF4d00001042sv00001AF4sd00001042bc01sc80i00").empty());
  // cached answers stay the same
  EXPECT_EQ(t.match("pci:v00008086d00001572sv00008086sd00000000bc02sc00i00").size(), 1u);
}

TEST(Modalias, EmptyTable) {
  ModuleAliases t = ModuleAliases::parse("");
  EXPECT_TRUE(t.empty());
  EXPECT_TRUE(t.match("pci:v000010DEd00001B81sv00001462sd00003302bc03sc00i00").empty());
}

// Built from the IDs the way the kernel's modalias attribute writes them (upper-case hex).
TEST(Modalias, DeviceModaliasFromIds) {
  Device d;
  d.vendor_id = 0x10de;
  d.device_id = 0x1b81;
  d.subsys_vendor_id = 0x1462;
  d.subsys_device_id = 0x3302;
  d.class_code = 0x0c0330;
  EXPECT_EQ(device_modalias(d), "pci:v000010DEd00001B81sv00001462sd00003302bc0Csc03i30");
  d.modalias = "pci:v000010DEd00001B81sv00001462sd00003302bc03sc00i00";
  EXPECT_EQ(device_modalias(d), d.modalias);
}
