#include "domain/domain_name.hpp"

#include <gtest/gtest.h>

using ptagent::domain::printable_name;

TEST(DomainName, EscapesControlsAndQuotes) {
  EXPECT_EQ(printable_name("web1"), "web1");
  EXPECT_EQ(printable_name("a/b\nc'"), "a/b\\x0ac\\x27");
  EXPECT_EQ(printable_name("\"\\\x7f"), "\\x22\\x5c\\x7f");
}

TEST(DomainName, CapsLongNames) {
  const std::string shown = printable_name(std::string(300, 'x'));
  EXPECT_EQ(shown, std::string(200, 'x') + "…");
  EXPECT_EQ(printable_name(std::string(200, 'x')), std::string(200, 'x'));
}
