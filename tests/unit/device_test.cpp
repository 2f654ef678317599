#include "pci/device.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "error.hpp"
#include "support/cli_runner.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
namespace fs = std::filesystem;

namespace {

TEST(Device, PciAncestor) {
  EXPECT_EQ(pci_ancestor("/sys/devices/pci0000:00/0000:00:1d.0/0000:02:00.0/nvme/nvme0/nvme0n1"),
            parse_pci_address("0000:02:00.0"));
  EXPECT_EQ(pci_ancestor("/sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda"),
            parse_pci_address("0000:00:02.0"));
  EXPECT_FALSE(pci_ancestor("/sys/devices/virtual/net/lo"));
  EXPECT_FALSE(pci_ancestor(""));
}

TEST(Device, ClassKeywords) {
  EXPECT_EQ(class_keyword(0x030000), "gpu");
  EXPECT_EQ(class_keyword(0x038000), "display");
  EXPECT_EQ(class_keyword(0x040300), "audio");
  EXPECT_EQ(class_keyword(0x020000), "net");
  EXPECT_EQ(class_keyword(0x010802), "storage");
  EXPECT_EQ(class_keyword(0x0c0330), "usb");
  EXPECT_EQ(class_keyword(0x060400), "bridge");
  EXPECT_EQ(class_keyword(0xff0000), "other");
}

TEST(Device, MissingDeviceIsNotFound) {
  Root root(test::fixture_host("workstation"));
  try {
    read_device(root, parse_pci_address("0000:09:00.0"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::not_found);
    EXPECT_NE(std::string(e.what()).find("0000:09:00.0"), std::string::npos);
  }
}

TEST(Device, UnreadableAttributesAreReportedNotFatal) {
  char tmpl[] = "/tmp/ptagent-dev-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  fs::path dir = tmpl;
  fs::copy(test::fixture_host("workstation"), dir / "h",
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  const fs::path dev = dir / "h/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0";
  fs::remove(dev / "vendor");
  { std::ofstream(dev / "class") << "garbage\n"; }
  Root root((dir / "h").string());
  Device d = read_device(root, parse_pci_address("01:00.0"));
  EXPECT_EQ(d.vendor_id, 0);
  EXPECT_EQ(d.device_id, 0x1b81);
  ASSERT_EQ(d.problems.size(), 2u);
  EXPECT_NE(d.problems[0].find("class: malformed"), std::string::npos);
  EXPECT_NE(d.problems[1].find("vendor: missing"), std::string::npos);
  // The CLI still lists it and warns on stderr.
  auto r = test::run_cli({"--root", (dir / "h").string(), "show", "01:00.0"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.err.find("warning: 0000:01:00.0: vendor: missing or unreadable"), std::string::npos);
  fs::remove_all(dir);
}

TEST(Device, InfrastructurePredicate) {
  Device d;
  d.address = parse_pci_address("0000:00:00.0");
  const struct {
    std::uint32_t klass;
    bool bridge;
    Infrastructure kind;
  } cases[] = {
      {0x060000, false, Infrastructure::host_bridge},
      {0x060100, false, Infrastructure::isa_bridge},
      {0x060400, true, Infrastructure::bus_bridge},
      {0x060400, false, Infrastructure::bus_bridge},
      {0x060900, false, Infrastructure::bus_bridge},
      {0x068000, false, Infrastructure::other_bridge},
      {0x060700, false, Infrastructure::other_bridge},
      {0x030000, false, Infrastructure::none},
      {0x0c0330, true, Infrastructure::bus_bridge}};  // a subordinate bus whatever the class
  for (const auto& c : cases) {
    d.class_code = c.klass;
    d.is_bridge = c.bridge;
    EXPECT_EQ(infrastructure_kind(d), c.kind) << std::hex << c.klass;
    EXPECT_EQ(is_infrastructure(d), c.kind != Infrastructure::none);
  }
  d.class_code = 0x060000;
  d.is_bridge = false;
  EXPECT_EQ(infrastructure_refusal(d),
            "0000:00:00.0 is a host bridge: host infrastructure, it stays with the host and is "
            "never assigned to a "
            "guest");
  d.class_code = 0x060100;
  EXPECT_EQ(infrastructure_cause(d).rfind("is an ISA bridge", 0), 0u);
  d.class_code = 0x020000;
  EXPECT_EQ(infrastructure_refusal(d), "");
}

}  // namespace

TEST(Device, ResourceBarsAreTheFirstSixLinesThatDecode) {
  const auto bars = parse_resource_bars(
      "0x00000000f6000000 0x00000000f6ffffff 0x0000000000040200\n"
      "0x00000000e0000000 0x00000000efffffff 0x000000000014220c\n"
      "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
      "0x000000000000e000 0x000000000000e07f 0x0000000000040101\n"
      "garbage line\n"
      "0x0000001000000000 0x0000001000ffffff 0x0000000000040200\n"
      "0x00000000f7000000 0x00000000f707ffff 0x0000000000046200\n");  // the ROM: not a BAR
  ASSERT_EQ(bars.size(), 4u);
  EXPECT_EQ(bars[1].index, 1u);
  EXPECT_EQ(bars[1].start, 0xe0000000u);
  EXPECT_EQ(bars[2].index, 3u);
  EXPECT_TRUE(bars[2].io());
  EXPECT_EQ(bars[3].index, 5u);
  EXPECT_EQ(bars[3].start, 0x1000000000u);
  EXPECT_TRUE(parse_resource_bars("").empty());
}

TEST(Device, PowerDetailRomAndPlatformD3cold) {
  const Root root(test::fixture_host("apu"));
  const Device gpu = read_device(root, parse_pci_address("0000:04:00.0"));
  EXPECT_EQ(gpu.d3cold_allowed, true);
  EXPECT_EQ(gpu.runtime_status, "suspended");
  EXPECT_FALSE(gpu.rom) << "the APU's GPU has no ROM BAR";
  EXPECT_FALSE(gpu.platform_d3cold);
  ASSERT_FALSE(gpu.bars.empty());
  const Device port = read_device(root, parse_pci_address("0000:00:08.1"));
  EXPECT_TRUE(port.platform_d3cold) << "its ACPI companion has power_resources_D3hot";
  const Device ws =
      read_device(Root(test::fixture_host("workstation")), parse_pci_address("01:00.0"));
  EXPECT_TRUE(ws.rom);
  EXPECT_EQ(ws.power_control, "on");
}

// A function on a VFIO variant driver is on a VFIO driver (and so assigned for the group rules);
// one on the same NIC's host driver is not.
TEST(Device, VariantDriverIsAVfioDriver) {
  const Root root(test::fixture_host("cloud"));
  const Device variant = read_device(root, parse_pci_address("0000:01:00.2"));
  EXPECT_EQ(variant.driver, "mlx5_vfio_pci");
  EXPECT_TRUE(variant.vfio_variant);
  EXPECT_TRUE(variant.on_vfio_driver());
  EXPECT_TRUE(variant.on_vfio());
  const Device host = read_device(root, parse_pci_address("0000:01:00.1"));
  EXPECT_FALSE(host.vfio_variant);
  EXPECT_FALSE(host.on_vfio());
  Device stub;
  stub.driver = "pci-stub";
  EXPECT_TRUE(stub.on_vfio());
  EXPECT_FALSE(stub.on_vfio_driver());
  Device generic;
  generic.driver = "vfio-pci";
  EXPECT_TRUE(generic.on_vfio_driver());
}
