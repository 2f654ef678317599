#include "util/edit_distance.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ptagent {
namespace {

TEST(EditDistance, CountsEditsAndFindsNearMisses) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("0000:00:02.1", "0000:00:02.0"), 1u);
  const std::vector<std::string> types{"i915-GVTg_V5_4", "i915-GVTg_V5_8"};
  EXPECT_EQ(closest_name("i915-GVTg_V5_5", types), "i915-GVTg_V5_4");
  EXPECT_EQ(closest_name("i915-GVTg_V5_8x", types), "i915-GVTg_V5_8");
  EXPECT_EQ(closest_name("nvidia-155", types), "");
}

}  // namespace
}  // namespace ptagent
