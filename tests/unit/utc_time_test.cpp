#include "util/utc_time.hpp"

#include <gtest/gtest.h>

namespace ptagent {
namespace {

TEST(UtcTime, FormatsInUtc) {
  EXPECT_EQ(utc_text(0, "%Y-%m-%dT%H:%M:%SZ"), "1970-01-01T00:00:00Z");
  EXPECT_EQ(utc_text(86400 + 3661, "%Y%m%dT%H%M%SZ"), "19700102T010101Z");
}

TEST(UtcTime, NowHasTheShapes) {
  EXPECT_EQ(utc_now().size(), std::string("2026-01-31T12:00:00Z").size());
  EXPECT_EQ(utc_now().back(), 'Z');
  EXPECT_EQ(utc_stamp().size(), std::string("20260131T120000Z").size());
}

}  // namespace
}  // namespace ptagent
