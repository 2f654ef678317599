#include "util/path_text.hpp"

#include <gtest/gtest.h>

namespace ptagent {
namespace {

TEST(PathText, TakesAPathApart) {
  EXPECT_EQ(parent_dir("/etc/default/grub"), "/etc/default");
  EXPECT_EQ(base_name("/etc/default/grub"), "grub");
  EXPECT_EQ(parent_dir("/etc"), "/");
  EXPECT_EQ(base_name("/etc"), "etc");
  EXPECT_EQ(parent_dir("name"), "/");
  EXPECT_EQ(base_name("name"), "name");
}

}  // namespace
}  // namespace ptagent
