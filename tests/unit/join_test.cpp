#include "util/join.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "pci/address.hpp"

namespace ptagent {
namespace {

TEST(Join, PutsTheSeparatorBetweenItems) {
  EXPECT_EQ(join(std::vector<std::string>{"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(join(std::vector<std::string>{}, ", "), "");
  EXPECT_EQ(join(std::vector<std::string>{"one"}, " "), "one");
}

TEST(Join, NoSeparatorBeforeTheFirstText) {
  EXPECT_EQ(join(std::vector<std::string>{"", "b"}, ","), "b");
}

TEST(Join, FormatsEachItem) {
  EXPECT_EQ(join(std::vector<int>{1, 2}, "+", [](int i) { return std::to_string(i); }), "1+2");
}

TEST(Join, TakesAnyRangeOfText) {
  const char* words[] = {"a", "b"};
  EXPECT_EQ(join(words, "-"), "a-b");
  EXPECT_EQ(join(std::set<std::string>{"y", "x"}, ","), "x,y");
}

TEST(Join, RendersItemsThroughToString) {
  const std::vector<PciAddress> list{parse_pci_address("0000:01:00.0"),
                                     parse_pci_address("0000:01:00.1")};
  EXPECT_EQ(join(list, " "), "0000:01:00.0 0000:01:00.1");
}

}  // namespace
}  // namespace ptagent
