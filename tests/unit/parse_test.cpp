#include "sysfs/parse.hpp"

#include <gtest/gtest.h>

using namespace ptagent;

TEST(Parse, HexAttr) {
  EXPECT_EQ(parse_hex_attr("0x10de\n"), 0x10deu);
  EXPECT_EQ(parse_hex_attr("0x030000"), 0x030000u);
  EXPECT_EQ(parse_hex_attr("ffff"), 0xffffu);
  EXPECT_FALSE(parse_hex_attr(""));
  EXPECT_FALSE(parse_hex_attr("0x"));
  EXPECT_FALSE(parse_hex_attr("0xzz"));
  EXPECT_FALSE(parse_hex_attr("0x123456789"));
  EXPECT_FALSE(parse_hex_attr("12 34"));
}

TEST(Parse, IntAttr) {
  EXPECT_EQ(parse_int_attr("-1\n"), -1);
  EXPECT_EQ(parse_int_attr(" 42 "), 42);
  EXPECT_FALSE(parse_int_attr("4x"));
  EXPECT_FALSE(parse_int_attr(""));
}

TEST(Parse, WordsAndTrim) {
  EXPECT_EQ(split_words("flr bus\n"), (std::vector<std::string>{"flr", "bus"}));
  EXPECT_TRUE(split_words(" \n").empty());
  EXPECT_EQ(trim("  a b \n"), "a b");
}

TEST(Parse, DriverOverride) {
  EXPECT_FALSE(parse_driver_override("(null)\n"));
  EXPECT_FALSE(parse_driver_override("\n"));
  EXPECT_EQ(parse_driver_override("vfio-pci\n"), "vfio-pci");
}

TEST(Parse, LinkTargetName) {
  EXPECT_EQ(link_target_name("../../../bus/pci/drivers/i915"), "i915");
  EXPECT_EQ(link_target_name("../../../kernel/iommu_groups/17/"), "17");
  EXPECT_EQ(link_target_name("vfio-pci"), "vfio-pci");
  EXPECT_EQ(link_target_name(""), "");
  EXPECT_EQ(link_target_name("///"), "");
}

TEST(Parse, LinesOf) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(lines_of(""), V{});
  EXPECT_EQ(lines_of("\n"), V{""});
  EXPECT_EQ(lines_of("a\nb\n"), (V{"a", "b"}));
  EXPECT_EQ(lines_of("a\n\nb"), (V{"a", "", "b"}));
  EXPECT_EQ(lines_of("no newline"), V{"no newline"});
  const std::string text = "x=1\ny=2\n";
  EXPECT_EQ(lines_of(text)[1].data(), text.data() + 4);  // views into the text
}
