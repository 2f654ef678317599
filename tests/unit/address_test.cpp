#include "pci/address.hpp"

#include <gtest/gtest.h>

#include "error.hpp"

using namespace ptagent;

namespace {

struct GoodCase {
  const char* input;
  const char* expected;
  bool whole_slot;
};

class AddressGood : public ::testing::TestWithParam<GoodCase> {};

TEST_P(AddressGood, ParsesToCanonicalForm) {
  const auto& c = GetParam();
  DeviceSpec spec = parse_device_spec(c.input);
  EXPECT_EQ(spec.whole_slot, c.whole_slot) << c.input;
  if (c.whole_slot) {
    EXPECT_EQ(spec.address.slot_string(), c.expected) << c.input;
  } else {
    EXPECT_EQ(spec.address.to_string(), c.expected) << c.input;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Forms, AddressGood,
    ::testing::Values(
        GoodCase{"0000:06:12.5", "0000:06:12.5", false}, GoodCase{"06:12.5", "0000:06:12.5", false},
        GoodCase{"FF:17.6", "0000:ff:17.6", false}, GoodCase{"0000:ff:1F.7", "0000:ff:1f.7", false},
        GoodCase{"abcd:ff:1f.7", "abcd:ff:1f.7", false},
        GoodCase{"pci_0000_06_12_5", "0000:06:12.5", false},
        GoodCase{"pci_0000_FF_17_6", "0000:ff:17.6", false},
        GoodCase{"/sys/bus/pci/devices/0000:ff:17.6", "0000:ff:17.6", false},
        GoodCase{"/sys/bus/pci/devices/0000:ff:17.6/", "0000:ff:17.6", false},
        GoodCase{"06:12", "0000:06:12", true}, GoodCase{"0000:01:00", "0000:01:00", true}));

struct BadCase {
  std::string input;
  const char* must_mention;
};

class AddressBad : public ::testing::TestWithParam<BadCase> {};

TEST_P(AddressBad, RefusedWithFieldNamed) {
  const auto& c = GetParam();
  try {
    parse_pci_address(c.input);
    FAIL() << "accepted " << c.input;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_EQ(e.exit_code(), 2);
    std::string all = std::string(e.what()) + " " + e.hint();
    EXPECT_NE(all.find(c.must_mention), std::string::npos) << all;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Forms, AddressBad,
    ::testing::Values(BadCase{"0000:100:00.0", "bus 0x100 is out of range"},
                      BadCase{"0000:00:20.0", "slot 0x20 is out of range"},
                      BadCase{"0000:00:00.8", "function 0x8 is out of range"},
                      BadCase{"10000:00:00.0", "domain 0x10000 is out of range"},
                      BadCase{"0000:ff:17.6.1", "function '6.1' is not a hex number"},
                      BadCase{"0000:ff:17.", "function is empty"},
                      BadCase{"zz:00.0", "bus 'zz' is not a hex number"},
                      BadCase{"00:02.0x", "function '0x' is not a hex number"},
                      BadCase{"", "is empty"}, BadCase{"0000:00:02.0:1", "expected DDDD:BB:SS.F"},
                      BadCase{"garbage", "expected DDDD:BB:SS.F"},
                      BadCase{"pci_0000_00_02", "pci_DDDD_BB_SS_F"},
                      BadCase{std::string("00:02.0\0", 8), "\\x00"},
                      BadCase{"00:02", "names a whole slot"},
                      BadCase{"0000:0x1:00.0", "bus '0x1' is not a hex number"},
                      BadCase{"0000:000000001:00.0", "out of range"}));

TEST(Address, NodedevNameAndOrdering) {
  PciAddress a = parse_pci_address("0000:ff:17.6");
  EXPECT_EQ(a.nodedev_name(), "pci_0000_ff_17_6");
  EXPECT_LT(parse_pci_address("00:02.0"), parse_pci_address("00:02.1"));
  EXPECT_LT(parse_pci_address("00:1f.7"), parse_pci_address("01:00.0"));
}

TEST(Address, FromDecimalFields) {
  EXPECT_EQ(address_from_fields(0, 255, 23, 6).to_string(), "0000:ff:17.6");
  EXPECT_THROW(address_from_fields(0, 256, 0, 0), Error);
  EXPECT_THROW(address_from_fields(0, 0, 32, 0), Error);
  EXPECT_THROW(address_from_fields(0, 0, 0, 8), Error);
  EXPECT_THROW(address_from_fields(65536, 0, 0, 0), Error);
  EXPECT_THROW(address_from_fields(-1, 0, 0, 0), Error);
}

TEST(Address, LibvirtFieldsAreDigitsOnly) {
  EXPECT_EQ(parse_libvirt_field("0x1f"), 31);
  EXPECT_EQ(parse_libvirt_field(" 255\n"), 255);
  // Found by fuzz_pci_address: from_chars took a sign, so "-0" read as bus 0.
  EXPECT_FALSE(parse_libvirt_field("-0"));
  EXPECT_FALSE(parse_libvirt_field("-52"));
  EXPECT_FALSE(parse_libvirt_field("0x-1f"));
  EXPECT_FALSE(parse_libvirt_field("+1"));
}

TEST(Address, TryParseNeverThrows) {
  EXPECT_TRUE(try_parse_pci_address("0000:00:02.0"));
  EXPECT_FALSE(try_parse_pci_address("0000:00:02"));
  EXPECT_FALSE(try_parse_pci_address("virtio1"));
  EXPECT_FALSE(try_parse_pci_address("0000:00:20.0"));
  EXPECT_FALSE(try_parse_pci_address("pci0000:00"));
}

}  // namespace
