#include "printable.hpp"

#include <gtest/gtest.h>

#include <string>

using ptagent::printable;

namespace {

TEST(Printable, PlainTextIsUnchanged) {
  EXPECT_EQ(printable("0000:01:00.0"), "0000:01:00.0");
  EXPECT_EQ(printable(""), "");
}

TEST(Printable, ControlAndHighBytesAreEscaped) {
  EXPECT_EQ(printable(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(printable("line\nbreak\t\x1b[31m"), "line\\x0abreak\\x09\\x1b[31m");
  EXPECT_EQ(printable("\x7f\xff\xc3\xa9"), "\\x7f\\xff\\xc3\\xa9");
}

TEST(Printable, LongTextIsCut) {
  const std::string long_text(100, 'x');
  EXPECT_EQ(printable(long_text), std::string(80, 'x') + "...");
  EXPECT_EQ(printable(long_text, 10), std::string(10, 'x') + "...");
  EXPECT_EQ(printable(std::string(10, 'x'), 10), std::string(10, 'x'));
  // The cut counts input bytes, before escaping.
  EXPECT_EQ(printable(std::string(5, '\n'), 2), "\\x0a\\x0a...");
}

}  // namespace
