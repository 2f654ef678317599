#include "xml/hostdev.hpp"

#include <gtest/gtest.h>

#include <pugixml.hpp>

#include "error.hpp"

using namespace ptagent;

namespace {

HostdevSpec pci(const char* address) {
  HostdevSpec s;
  HostdevPciSource src;
  src.address = parse_pci_address(address);
  s.source = src;
  return s;
}

HostdevSpec mdev(const char* uuid) {
  HostdevSpec s;
  HostdevMdevSource src;
  src.uuid = parse_uuid(uuid);
  s.source = src;
  return s;
}

// Runs f, expects Error(usage) whose text contains `needle`.
template <typename F>
void expect_usage(F f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one mentioning " << needle;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
        << e.what() << " / wanted " << needle;
  }
}

}  // namespace

TEST(Hostdev, PlainPciAsVirshDumpxml) {
  EXPECT_EQ(hostdev_xml(pci("0000:ff:17.6")),
            "<hostdev mode='subsystem' type='pci' managed='yes'>\n"
            "  <source>\n"
            "    <address domain='0x0000' bus='0xff' slot='0x17' function='0x6'/>\n"
            "  </source>\n"
            "</hostdev>\n");
}

TEST(Hostdev, HexIsLowerCaseAndZeroPadded) {
  EXPECT_NE(hostdev_xml(pci("ABCD:0A:1F.7"))
                .find("<address domain='0xabcd' bus='0x0a' slot='0x1f' function='0x7'/>"),
            std::string::npos);
  EXPECT_NE(hostdev_xml(pci("0:0:1.0"))
                .find("<address domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>"),
            std::string::npos);
}

TEST(Hostdev, EveryOptionInLibvirtOrder) {
  HostdevSpec s = pci("0000:01:00.0");
  auto& src = std::get<HostdevPciSource>(s.source);
  src.managed = YesNo::no;
  src.driver_vfio = true;
  s.boot_order = 2;
  s.alias = "ua-gpu";
  s.rom_bar = OnOff::off;
  s.rom_file = "/var/lib/libvirt/vbios/gpu's.rom";
  s.guest_address = GuestPciAddress{0x00, 0x05, 0, true};
  EXPECT_EQ(hostdev_xml(s),
            "<hostdev mode='subsystem' type='pci' managed='no'>\n"
            "  <driver name='vfio'/>\n"
            "  <source>\n"
            "    <address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>\n"
            "  </source>\n"
            "  <boot order='2'/>\n"
            "  <alias name='ua-gpu'/>\n"
            "  <rom bar='off' file='/var/lib/libvirt/vbios/gpu&apos;s.rom'/>\n"
            "  <address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0' "
            "multifunction='on'/>\n"
            "</hostdev>\n");
  EXPECT_EQ(
      hostdev_qemu_arg(s),
      "-device "
      "vfio-pci,host=0000:01:00.0,id=ua-gpu,addr=0x5.0x0,multifunction=on,bootindex=2,rombar=0,"
      "romfile=/var/lib/libvirt/vbios/gpu's.rom");
}

TEST(Hostdev, RomOnlyBarOrOnlyFile) {
  HostdevSpec s = pci("0000:01:00.0");
  s.rom_bar = OnOff::on;
  EXPECT_NE(hostdev_xml(s).find("<rom bar='on'/>"), std::string::npos);
  EXPECT_NE(hostdev_qemu_arg(s).find(",rombar=1"), std::string::npos);
  s.rom_bar.reset();
  s.rom_file = "/a,b.rom";
  EXPECT_NE(hostdev_xml(s).find("<rom file='/a,b.rom'/>"), std::string::npos);
  EXPECT_NE(hostdev_qemu_arg(s).find(",romfile=/a,,b.rom"),
            std::string::npos);  // QEMU doubles commas
}

TEST(Hostdev, Mdev) {
  HostdevSpec s = mdev("4b20d080-1b54-4048-85b3-a6a62d165c01");
  EXPECT_EQ(hostdev_xml(s),
            "<hostdev mode='subsystem' type='mdev' model='vfio-pci'>\n"
            "  <source>\n"
            "    <address uuid='4b20d080-1b54-4048-85b3-a6a62d165c01'/>\n"
            "  </source>\n"
            "</hostdev>\n");
  EXPECT_EQ(hostdev_qemu_arg(s),
            "-device vfio-pci,sysfsdev=/sys/bus/mdev/devices/4b20d080-1b54-4048-85b3-a6a62d165c01");
  auto& src = std::get<HostdevMdevSource>(s.source);
  src.display = OnOff::on;
  src.ramfb = OnOff::on;
  EXPECT_NE(hostdev_xml(s).find(
                "<hostdev mode='subsystem' type='mdev' model='vfio-pci' display='on' ramfb='on'>"),
            std::string::npos);
  // ramfb lives only on vfio-pci-nohotplug.
  EXPECT_EQ(
      hostdev_qemu_arg(s),
      "-device "
      "vfio-pci-nohotplug,sysfsdev=/sys/bus/mdev/devices/4b20d080-1b54-4048-85b3-a6a62d165c01,"
      "display=on,ramfb=on");
  src.ramfb = OnOff::off;
  EXPECT_EQ(hostdev_qemu_arg(s),
            "-device "
            "vfio-pci,sysfsdev=/sys/bus/mdev/devices/"
            "4b20d080-1b54-4048-85b3-a6a62d165c01,display=on,ramfb=off");
}

TEST(Hostdev, MdevRamfbNeedsDisplay) {
  HostdevSpec s = mdev("4b20d080-1b54-4048-85b3-a6a62d165c01");
  std::get<HostdevMdevSource>(s.source).ramfb = OnOff::on;
  expect_usage([&] { hostdev_xml(s); }, "display");
  expect_usage([&] { hostdev_qemu_arg(s); }, "display");
}

TEST(Hostdev, QemuGuestBus) {
  HostdevSpec s = pci("0000:01:00.1");
  s.guest_address = GuestPciAddress{0x03, 0x00, 1, false};
  EXPECT_EQ(hostdev_qemu_arg(s), "-device vfio-pci,host=0000:01:00.1,bus=pci.3,addr=0x0.0x1");
}

TEST(Hostdev, DevicesWrapper) {
  std::vector<HostdevSpec> specs = {pci("0000:01:00.0"),
                                    mdev("4b20d080-1b54-4048-85b3-a6a62d165c01")};
  const std::string xml = devices_xml(specs);
  EXPECT_EQ(xml.substr(0, 10), "<devices>\n");
  EXPECT_NE(xml.find("\n  <hostdev mode='subsystem' type='pci' managed='yes'>\n    <source>\n"),
            std::string::npos);
  EXPECT_NE(xml.find("\n      <address uuid='4b20d080-1b54-4048-85b3-a6a62d165c01'/>\n"),
            std::string::npos);
  EXPECT_EQ(xml.substr(xml.size() - 11), "</devices>\n");
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml.c_str()));
  EXPECT_EQ(std::distance(doc.child("devices").children("hostdev").begin(),
                          doc.child("devices").children("hostdev").end()),
            2);
}

TEST(Hostdev, CheckRefusesBadFields) {
  HostdevSpec s = pci("0000:01:00.0");
  s.alias = "gpu";
  expect_usage([&] { hostdev_xml(s); }, "ua-");
  s = pci("0000:01:00.0");
  s.rom_file = "vbios.rom";
  expect_usage([&] { hostdev_xml(s); }, "absolute");
  s = pci("0000:01:00.0");
  s.boot_order = 0;
  expect_usage([&] { hostdev_xml(s); }, "boot order");
  s = pci("0000:01:00.0");
  s.guest_address = GuestPciAddress{0, 0, 0, false};
  expect_usage([&] { hostdev_xml(s); }, "host bridge");
}

TEST(HostdevOptions, YesNoOnOff) {
  EXPECT_EQ(parse_yes_no("yes", "--managed"), YesNo::yes);
  EXPECT_EQ(parse_yes_no("no", "--managed"), YesNo::no);
  EXPECT_EQ(parse_on_off("on", "--rom-bar"), OnOff::on);
  EXPECT_EQ(parse_on_off("off", "--rom-bar"), OnOff::off);
  for (const char* bad : {"maybe", "", "YES", "true", "1", "yes "}) {
    expect_usage([&] { parse_yes_no(bad, "--managed"); }, "--managed");
  }
  for (const char* bad : {"maybe", "", "ON", "1", "yes"}) {
    expect_usage([&] { parse_on_off(bad, "--rom-bar"); }, "--rom-bar '");
  }
}

TEST(HostdevOptions, Alias) {
  EXPECT_EQ(parse_alias("ua-gpu"), "ua-gpu");
  EXPECT_EQ(parse_alias("ua-GPU_0-audio"), "ua-GPU_0-audio");
  struct Case {
    const char* in;
    const char* why;
  };
  for (const Case& c :
       {Case{"gpu", "ua-"}, Case{"", "ua-"}, Case{"ua-", "nothing after"}, Case{"UA-gpu", "ua-"},
        Case{"ua-g.pu", "contains '.'"}, Case{"ua-g pu", "contains ' '"},
        Case{"ua-g/pu", "contains '/'"}, Case{"ua-\x01", "\\x01"}, Case{"hostdev0", "ua-"}}) {
    expect_usage([&] { parse_alias(c.in); }, c.why);
  }
  expect_usage([&] { parse_alias("ua-" + std::string(62, 'a')); }, "longer than 64");
}

TEST(HostdevOptions, GuestAddress) {
  struct Case {
    const char* in;
    unsigned bus, slot;
  };
  for (const Case& c : {Case{"00:05", 0, 5}, Case{"0:5", 0, 5}, Case{"01:00", 1, 0},
                        Case{"0000:02:1F", 2, 0x1f}, Case{"ff:1f", 0xff, 0x1f}}) {
    GuestPciAddress a = parse_guest_address(c.in);
    EXPECT_EQ(a.bus, c.bus) << c.in;
    EXPECT_EQ(a.slot, c.slot) << c.in;
    EXPECT_EQ(a.function, 0);
    EXPECT_FALSE(a.multifunction);
  }
  struct Bad {
    const char* in;
    const char* why;
  };
  for (const Bad& b :
       {Bad{"", "empty"}, Bad{"05", "BUS:SLOT"}, Bad{"00:05.0", "function"},
        Bad{"00:20", "slot 0x20"}, Bad{"100:00", "bus 0x100"}, Bad{"zz:05", "bus 'zz'"},
        Bad{"00:", "slot is empty"}, Bad{"0001:00:05", "PCI domain"}, Bad{"00:00", "host bridge"},
        Bad{"1:2:3:4", "BUS:SLOT"}, Bad{"00:05 ", "not a hex"}}) {
    expect_usage([&] { parse_guest_address(b.in); }, b.why);
  }
}

TEST(HostdevOptions, BootOrderAndRomFile) {
  EXPECT_EQ(parse_boot_order("1"), 1u);
  EXPECT_EQ(parse_boot_order("65535"), 65535u);
  for (const char* bad : {"0", "", "-1", "65536", "1x", "0x1", "999999"}) {
    expect_usage([&] { parse_boot_order(bad); }, "--boot-order");
  }
  EXPECT_EQ(parse_rom_file("/x.rom"), "/x.rom");
  for (const char* bad : {"", "x.rom", "./x.rom", "/", "/a\nb"}) {
    expect_usage([&] { parse_rom_file(bad); }, "--rom-file");
  }
}

TEST(Hostdev, DriverModel) {
  HostdevSpec s = pci("0000:01:00.2");
  std::get<HostdevPciSource>(s.source).driver_model = "mlx5_vfio_pci";
  EXPECT_EQ(hostdev_xml(s),
            "<hostdev mode='subsystem' type='pci' managed='yes'>\n"
            "  <driver name='vfio' model='mlx5_vfio_pci'/>\n"
            "  <source>\n"
            "    <address domain='0x0000' bus='0x01' slot='0x00' function='0x2'/>\n"
            "  </source>\n"
            "</hostdev>\n");
  EXPECT_EQ(parse_driver_model("vfio-pci"), "vfio-pci");
  for (const char* bad : {"", "mlx5 vfio", "a'b", "x/y"}) {
    EXPECT_THROW(parse_driver_model(bad), Error) << bad;
  }
  EXPECT_THROW(parse_driver_model(std::string(65, 'a')), Error);
  std::get<HostdevPciSource>(s.source).driver_model = "bad name";
  EXPECT_THROW(hostdev_xml(s), Error);
}
