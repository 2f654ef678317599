// known_ids: vfio-pci's denylist by kernel version, vendor-reset's AMD families.
#include "pci/known_ids.hpp"

#include <gtest/gtest.h>

using namespace ptagent;

TEST(KnownIds, QuickAssistIsDenylistedOnEveryKernelSince59) {
  for (int id : {0x19e2, 0x19e3, 0x37c8, 0x37c9, 0x0435, 0x0443}) {
    EXPECT_TRUE(vfio_denylisted(0x8086, static_cast<std::uint16_t>(id), "6.1.0-13-amd64")) << id;
    EXPECT_TRUE(vfio_denylisted(0x8086, static_cast<std::uint16_t>(id), "5.15.102-1-pve")) << id;
  }
  EXPECT_FALSE(vfio_denylisted(0x8086, 0x10fb, "6.1.0-13-amd64")) << "an 82599 is not";
  EXPECT_FALSE(vfio_denylisted(0x1022, 0x37c8, "6.1.0-13-amd64")) << "the IDs are Intel's";
}

TEST(KnownIds, SapphireRapidsAcceleratorsOnlyFrom69) {
  EXPECT_FALSE(vfio_denylisted(0x8086, 0x0b25, "6.1.0-13-amd64"));
  EXPECT_TRUE(vfio_denylisted(0x8086, 0x0b25, "6.9.0"));
  EXPECT_TRUE(vfio_denylisted(0x8086, 0x0cfe, "6.12.6-amd64"));
  EXPECT_TRUE(vfio_denylisted(0x8086, 0x0cfe, "")) << "unknown kernel: the newest list";
  EXPECT_FALSE(vfio_denylisted(0x8086, 0x0cfe, "garbage")) << "unparsable: the oldest";
}

TEST(KnownIds, VendorResetFamilies) {
  EXPECT_EQ(vendor_reset_family(0x1002, 0x67df), "Polaris 10");  // RX 480/580
  EXPECT_EQ(vendor_reset_family(0x1002, 0x687f), "Vega 10");
  EXPECT_EQ(vendor_reset_family(0x1002, 0x731f), "Navi 10");  // RX 5700
  EXPECT_EQ(vendor_reset_family(0x1002, 0x738c), "Vega 20");  // MI100, reset as Vega 20
  EXPECT_FALSE(vendor_reset_family(0x1002, 0x73bf)) << "Navi 21 resets without it";
  EXPECT_FALSE(vendor_reset_family(0x1002, 0x15e7)) << "an APU's GPU is not in the list";
  EXPECT_FALSE(vendor_reset_family(0x10de, 0x67df)) << "the IDs are AMD's";
  EXPECT_FALSE(vendor_reset_family(0x1002, 0)) << "the table's end marker is not an ID";
}
