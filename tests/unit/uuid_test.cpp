#include "uuid.hpp"

#include <gtest/gtest.h>

#include <set>

#include "error.hpp"
#include "support/error_of.hpp"

using namespace ptagent;
using ptagent::testing::error_of;

namespace {

std::string hex(const std::array<std::uint8_t, 20>& d) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (auto b : d) {
    out += digits[b >> 4];
    out += digits[b & 0xf];
  }
  return out;
}

TEST(Uuid, ParsesTheDashedForm) {
  EXPECT_EQ(parse_uuid_text("4B20D080-1B54-4048-85B3-A6A62D165C01"),
            "4b20d080-1b54-4048-85b3-a6a62d165c01");
  EXPECT_EQ(parse_uuid_text("4b20d080-1b54-4048-85b3-a6a62d165c01"),
            "4b20d080-1b54-4048-85b3-a6a62d165c01");
  for (const char* bad :
       {"", "4b20d080", "4b20d0801b54404885b3a6a62d165c01", "4b20d080-1b54-4048-85b3-a6a62d165c0",
        "4b20d080-1b54-4048-85b3-a6a62d165c011", "4b20d080_1b54-4048-85b3-a6a62d165c01",
        "4b20d080-1b54-4048-85b3-a6a62d165c0g", "../../../../../../../../etc/passwd00"}) {
    const Error e = error_of([&] { parse_uuid_text(bad); });
    EXPECT_EQ(e.kind(), ErrorKind::usage) << bad;
    EXPECT_NE(e.cause().find("not a UUID"), std::string::npos);
  }
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const std::string u = random_uuid_v4();
    ASSERT_EQ(try_parse_uuid_text(u), u);                           // well-formed and lower case
    EXPECT_EQ(u[14], '4');                                          // version 4
    EXPECT_NE(std::string("89ab").find(u[19]), std::string::npos);  // RFC 4122 variant
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST(Uuid, RecognizesTheDashedFormOnly) {
  EXPECT_TRUE(is_uuid_text("4B20D080-1b54-4048-85b3-a6a62d165c01"));
  EXPECT_FALSE(is_uuid_text("4b20d0801b54404885b3a6a62d165c01"));
  EXPECT_FALSE(is_uuid_text("4b20d080-1b54-4048-85b3-a6a62d165c0g"));
  EXPECT_FALSE(is_uuid_text(""));
}

}  // namespace

TEST(Sha1, KnownVectors) {
  // FIPS 180-4 examples and the classic million-'a' vector: exercise one, two and many blocks.
  EXPECT_EQ(hex(sha1("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(hex(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hex(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(hex(sha1(std::string(1000000, 'a'))), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  // 55 and 56 bytes: the length field fits in the block or needs another one.
  EXPECT_EQ(hex(sha1(std::string(55, 'a'))), "c1c8bbdc22796e28c0e15163d20899b65621d65a");
  EXPECT_EQ(hex(sha1(std::string(56, 'a'))), "c2db330f6083854c99d4b5bfb6e8f29f201be699");
}

TEST(Uuid, ParsesBothLibvirtForms) {
  struct Case {
    const char* in;
    const char* out;
  };
  for (const Case& c :
       {Case{"4b20d080-1b54-4048-85b3-a6a62d165c01", "4b20d080-1b54-4048-85b3-a6a62d165c01"},
        Case{"4B20D080-1B54-4048-85B3-A6A62D165C01", "4b20d080-1b54-4048-85b3-a6a62d165c01"},
        Case{"4b20d0801b54404885b3a6a62d165c01", "4b20d080-1b54-4048-85b3-a6a62d165c01"},
        Case{"00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000"},
        Case{"ffffffff-ffff-ffff-ffff-ffffffffffff", "ffffffff-ffff-ffff-ffff-ffffffffffff"}}) {
    EXPECT_EQ(parse_uuid(c.in).to_string(), c.out) << c.in;
  }
}

TEST(Uuid, RefusesMalformed) {
  for (const char* bad :
       {"", "not-a-uuid", "4b20d080-1b54-4048-85b3-a6a62d165c0",  // short
        "4b20d080-1b54-4048-85b3-a6a62d165c011",                  // long
        "4b20d0801-b54-4048-85b3-a6a62d165c01",                   // dash misplaced
        "4b20d080-1b54-4048-85b3-a6a62d165c0g",                   // not hex
        "{4b20d080-1b54-4048-85b3-a6a62d165c01}", " 4b20d080-1b54-4048-85b3-a6a62d165c01",
        "4b20d080_1b54_4048_85b3_a6a62d165c01", "4b20d0801b54404885b3a6a62d165c0-"}) {
    EXPECT_FALSE(try_parse_uuid(bad).has_value()) << bad;
    try {
      parse_uuid(bad, "--uuid");
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::usage);
      EXPECT_EQ(e.exit_code(), 2);
      EXPECT_NE(std::string(e.what()).find("--uuid"), std::string::npos) << e.what();
    }
  }
}

TEST(Uuid, Version5MatchesRfc4122) {
  // uuid5(NAMESPACE_DNS, "python.org") as every RFC 4122 implementation computes it.
  const Uuid dns = parse_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
  EXPECT_EQ(uuid_v5(dns, "python.org").to_string(), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
  const Uuid url = parse_uuid("6ba7b811-9dad-11d1-80b4-00c04fd430c8");
  EXPECT_EQ(uuid_v5(url, "http://python.org/").to_string(), "4c565f0d-3f5a-5890-b41b-20cf47701c5e");
}

TEST(Uuid, DerivedMdevUuidIsStableAndDistinct) {
  const Uuid dom = parse_uuid("a3cff1f5-1346-4f87-b7bf-3f241d999bb2");
  const Uuid first = derive_mdev_uuid(dom, 0);
  EXPECT_EQ(first.to_string(),
            "0f638dd0-6188-5cab-aa2c-4830cb30a04b");  // uuid5(dom, "ptagent-mdev-0")
  EXPECT_EQ(derive_mdev_uuid(dom, 0), first);
  EXPECT_NE(derive_mdev_uuid(dom, 1), first);
  EXPECT_NE(derive_mdev_uuid(parse_uuid("a3cff1f5-1346-4f87-b7bf-3f241d999bb3"), 0), first);
  const std::string s = derive_mdev_uuid(dom, 7).to_string();
  EXPECT_EQ(s[14], '5');                                          // version 5
  EXPECT_NE(std::string("89ab").find(s[19]), std::string::npos);  // RFC 4122 variant
}
