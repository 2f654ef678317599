#include "pci/vfio_variant.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "pci/address.hpp"
#include "pci/device.hpp"
#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::TempHost;

namespace {

// A ConnectX-6 Dx VF, a virtio-net function, an NVIDIA GPU: modalias as sysfs shows them.
constexpr const char* kMlx5Vf = "pci:v000015B3d0000101Esv000015B3sd00000042bc02sc00i00";
constexpr const char* kVirtioNet = "pci:v00001AF4d00001041sv00001AF4sd00000001bc02sc00i00";
constexpr const char* kGpu = "pci:v000010DEd00001B81sv00001462sd00003302bc03sc00i00";

constexpr const char* kAliases =
    "# Aliases extracted from modules themselves.\n"
    "alias pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_core\n"
    "alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n"
    "alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_vfio_pci\n"
    "alias vfio_pci:v000015B3d00001021sv*sd*bc*sc*i* mlx5_vfio_pci\n"
    "alias vfio_pci:v00001AF4d00001041sv*sd*bc*sc*i* virtio_vfio_pci\n";

std::vector<std::string> drivers(const std::vector<VfioCandidate>& c) {
  std::vector<std::string> out;
  for (const auto& x : c) out.push_back(x.driver);
  return out;
}

}  // namespace

TEST(VfioVariant, WildcardCount) {
  EXPECT_EQ(alias_wildcards("vfio_pci:v*d*sv*sd*bc*sc*i*"), 7u);
  EXPECT_EQ(alias_wildcards("vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*"), 5u);
  EXPECT_EQ(alias_wildcards("vfio_pci:v000015B3d0000101Esv000015B3sd00000042bc02sc00i00"), 0u);
}

TEST(VfioVariant, VariantBeatsTheCatchAll) {
  auto t = VfioAliases::parse(kAliases);
  auto c = t.candidates(kMlx5Vf);
  ASSERT_EQ(drivers(c), (std::vector<std::string>{"mlx5_vfio_pci", "vfio-pci"}));
  EXPECT_EQ(c[0].module, "mlx5_vfio_pci");
  EXPECT_EQ(c[0].alias, "vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*");
  EXPECT_EQ(c[0].wildcards, 5u);
  EXPECT_TRUE(c[0].variant());
  EXPECT_FALSE(c[1].variant());
  EXPECT_EQ(c[1].wildcards, 7u);
  EXPECT_EQ(drivers(t.candidates(kVirtioNet)),
            (std::vector<std::string>{"virtio_vfio_pci", "vfio-pci"}));
  // pci: aliases (mlx5_core) are what the kernel autoloads, never VFIO candidates
  EXPECT_FALSE(t.has_module("mlx5_core"));
  EXPECT_TRUE(t.has_module("mlx5_vfio_pci"));
  EXPECT_TRUE(t.has_module("vfio_pci"));
}

TEST(VfioVariant, NoVariantLeavesVfioPci) {
  auto t = VfioAliases::parse(kAliases);
  auto c = t.candidates(kGpu);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].driver, "vfio-pci");
  EXPECT_EQ(c[0].alias, "vfio_pci:v*d*sv*sd*bc*sc*i*");
  // another device ID of the same vendor does not match an exact-ID alias
  EXPECT_EQ(drivers(t.candidates("pci:v000015B3d0000101Dsv000015B3sd00000042bc02sc00i00")),
            (std::vector<std::string>{"vfio-pci"}));
  EXPECT_TRUE(t.candidates("usb:v046Dp0000d0000dc00dsc00dp00ic03isc01ip01in00").empty());
}

// A kernel whose modules.alias has no vfio_pci: line at all (vfio-pci built in without
// modules.builtin.alias, or before 5.16): vfio-pci still takes any device by driver_override.
TEST(VfioVariant, VfioPciWithoutAnAlias) {
  auto t = VfioAliases::parse("alias pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_core\n");
  EXPECT_TRUE(t.empty());
  auto c = t.candidates(kMlx5Vf);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].driver, "vfio-pci");
  EXPECT_EQ(c[0].alias, "");
  EXPECT_EQ(c[0].wildcards, 7u);
}

TEST(VfioVariant, FewestWildcardsThenFileOrder) {
  auto t = VfioAliases::parse(
      "alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n"
      "alias vfio_pci:v000015B3d*sv*sd*bc*sc*i* vendor_wide_vfio_pci\n"
      "alias vfio_pci:v000015B3d*sv*sd*bc02sc*i* nic_class_vfio_pci\n"
      "alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* b_vfio_pci\n"
      "alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* a_vfio_pci\n"
      "alias vfio_pci:v000015B3d0000101Esv000015B3sd00000042bc*sc*i* exact_vfio_pci\n"
      "alias vfio_pci:v000015B3d0000101Esv000015B3sd00000043bc*sc*i* other_board_vfio_pci\n");
  EXPECT_EQ(drivers(t.candidates(kMlx5Vf)),
            (std::vector<std::string>{"exact_vfio_pci", "nic_class_vfio_pci", "b_vfio_pci",
                                      "a_vfio_pci", "vendor_wide_vfio_pci", "vfio-pci"}));
}

TEST(VfioVariant, GlobSemantics) {
  // '*' matches any run, '?' one character, classes restrict: a storage-only alias does not take
  // a NIC. Only '*' counts as a wildcard in the ranking: the two matches tie (5), file order.
  auto t = VfioAliases::parse(
      "alias vfio_pci:v*d*sv*sd*bc01sc*i* storage_vfio_pci\n"
      "alias vfio_pci:v*d*sv*sd*bc02sc00i* nic_vfio_pci\n"
      "alias vfio_pci:v000015B3d0000101?sv*sd*bc*sc*i* any_digit_vfio_pci\n");
  EXPECT_EQ(drivers(t.candidates(kMlx5Vf)),
            (std::vector<std::string>{"nic_vfio_pci", "any_digit_vfio_pci", "vfio-pci"}));
}

TEST(VfioVariant, ModuleRanksByItsMostSpecificAlias) {
  auto t = VfioAliases::parse(
      "alias vfio_pci:v000015B3d*sv*sd*bc*sc*i* mlx_vfio_pci\n"
      "alias vfio_pci:v*d*sv*sd*bc02sc00i00 other_vfio_pci\n"
      "alias vfio_pci:v000015B3d0000101Esv*sd*bc02sc00i00 mlx_vfio_pci\n");
  auto c = t.candidates(kMlx5Vf);
  ASSERT_EQ(drivers(c), (std::vector<std::string>{"mlx_vfio_pci", "other_vfio_pci", "vfio-pci"}));
  EXPECT_EQ(c[0].wildcards, 2u);
  EXPECT_EQ(c[0].alias, "vfio_pci:v000015B3d0000101Esv*sd*bc02sc00i00");
}

TEST(VfioVariant, DriverNames) {
  auto t = VfioAliases::parse(kAliases);
  EXPECT_EQ(t.driver_of("vfio_pci"), "vfio-pci");
  EXPECT_EQ(t.driver_of("mlx5_vfio_pci"), "mlx5_vfio_pci");
  t.set_driver("virtio_vfio_pci", "virtio-vfio-pci");
  EXPECT_EQ(t.candidates(kVirtioNet)[0].driver, "virtio-vfio-pci");
}

TEST(VfioVariant, ChoiceFindsCandidatesByEitherName) {
  Device d;
  d.modalias = kMlx5Vf;
  d.driver = "mlx5_vfio_pci";
  auto c = vfio_choice(d, VfioAliases::parse(kAliases));
  ASSERT_NE(c.best(), nullptr);
  EXPECT_EQ(c.best()->driver, "mlx5_vfio_pci");
  EXPECT_EQ(c.current, "mlx5_vfio_pci");
  EXPECT_NE(c.find("vfio_pci"), nullptr);
  EXPECT_EQ(c.find("vfio_pci"), c.find("vfio-pci"));
  EXPECT_EQ(c.find("virtio_vfio_pci"), nullptr);
  EXPECT_EQ(c.names(), "mlx5_vfio_pci (best), vfio-pci");
  d.driver = "mlx5_core";
  EXPECT_FALSE(vfio_choice(d, VfioAliases::parse(kAliases)).current);
}

TEST(VfioVariant, InfrastructureHasNoCandidates) {
  Device bridge;
  bridge.class_code = 0x060400;
  bridge.is_bridge = true;
  bridge.driver = "pcieport";
  const auto c = vfio_choice(bridge, VfioAliases::parse(kAliases));
  EXPECT_TRUE(c.candidates.empty());
  EXPECT_EQ(c.best(), nullptr);
  EXPECT_EQ(c.names(), "");
}

// A snapshot that did not read modalias (a listing) matches by the modalias its IDs make.
TEST(VfioVariant, ChoiceWithoutReadModalias) {
  Device d;
  d.vendor_id = 0x15b3;
  d.device_id = 0x101e;
  d.subsys_vendor_id = 0x15b3;
  d.subsys_device_id = 0x0042;
  d.class_code = 0x020000;
  auto c = vfio_choice(d, VfioAliases::parse(kAliases));
  ASSERT_EQ(c.candidates.size(), 2u);
  EXPECT_EQ(c.best()->driver, "mlx5_vfio_pci");
}

TEST(VfioVariant, LoadsTheRunningKernelsFiles) {
  TempHost h = TempHost::copy_of("cloud");
  auto t = VfioAliases::load(h.root());
  EXPECT_TRUE(t.has_module("mlx5_vfio_pci"));
  EXPECT_TRUE(t.has_module("virtio_vfio_pci"));
  EXPECT_EQ(drivers(t.candidates(kMlx5Vf)),
            (std::vector<std::string>{"mlx5_vfio_pci", "vfio-pci"}));
  // the driver name a loaded module registers wins over its module name
  std::filesystem::remove(h.real("/sys/module/mlx5_vfio_pci/drivers/pci:mlx5_vfio_pci"));
  h.put("/sys/module/mlx5_vfio_pci/drivers/pci:mlx5-vfio-pci");
  EXPECT_EQ(VfioAliases::load(h.root()).candidates(kMlx5Vf)[0].driver, "mlx5-vfio-pci");
  // modules.builtin.alias counts like modules.alias
  h.put("/lib/modules/6.8.12-4-pve/modules.builtin.alias",
        "alias vfio_pci:v000010DEd00001B81sv*sd*bc*sc*i* builtin_vfio_pci\n");
  EXPECT_EQ(drivers(VfioAliases::load(h.root()).candidates(kGpu)),
            (std::vector<std::string>{"builtin_vfio_pci", "vfio-pci"}));
  // an unknown or unsafe release reads nothing
  h.put("/proc/sys/kernel/osrelease", "..\n");
  EXPECT_TRUE(VfioAliases::load(h.root()).empty());
  h.put("/proc/sys/kernel/osrelease", "6.1.0-99-amd64\n");
  EXPECT_TRUE(VfioAliases::load(h.root()).empty());
}

TEST(VfioVariant, VariantDriversAreVfioPciCoreUsers) {
  TempHost h = TempHost::copy_of("cloud");
  EXPECT_TRUE(is_vfio_variant_driver(h.root(), "mlx5_vfio_pci"));
  EXPECT_FALSE(is_vfio_variant_driver(h.root(), "mlx5_core"));
  EXPECT_FALSE(is_vfio_variant_driver(h.root(), "vfio-pci"));  // vfio-pci itself is no variant
  EXPECT_FALSE(is_vfio_variant_driver(h.root(), "pci-stub"));
  EXPECT_FALSE(is_vfio_variant_driver(h.root(), "virtio-pci"));
  EXPECT_FALSE(is_vfio_variant_driver(h.root(), ""));
  // a module that is no holder of vfio_pci_core is no variant, whatever its name
  std::filesystem::remove(h.real("/sys/module/vfio_pci_core/holders/mlx5_vfio_pci"));
  EXPECT_FALSE(is_vfio_variant_driver(h.root(), "mlx5_vfio_pci"));
}

// vfio-pci-core built in: no holders directory, the built-in aliases tell.
TEST(VfioVariant, BuiltInVariantByItsBuiltinAlias) {
  TempHost h = TempHost::copy_of("cloud");
  std::filesystem::remove_all(h.real("/sys/module/vfio_pci_core"));
  EXPECT_FALSE(is_vfio_variant_driver(h.root(), "mlx5_vfio_pci"));
  h.put("/lib/modules/6.8.12-4-pve/modules.builtin.alias",
        "alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_vfio_pci\n");
  EXPECT_TRUE(is_vfio_variant_driver(h.root(), "mlx5_vfio_pci"));
  EXPECT_FALSE(is_vfio_variant_driver(h.root(), "mlx5_core"));
}

TEST(VfioVariant, DeviceCdev) {
  TempHost h = TempHost::copy_of("cloud");
  Device d;
  d.address = *try_parse_pci_address("0000:01:00.2");
  EXPECT_EQ(vfio_device_cdev(h.root(), d), "/dev/vfio/devices/vfio0");
  d.address = *try_parse_pci_address("0000:01:00.1");  // on mlx5_core: no cdev
  EXPECT_FALSE(vfio_device_cdev(h.root(), d));
  h.put("/sys/bus/pci/devices/0000:01:00.1/vfio-dev/vfiox/dev", "511:9\n");  // not a cdev name
  EXPECT_FALSE(vfio_device_cdev(h.root(), d));
}
