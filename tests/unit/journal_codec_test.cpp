#include "ops/journal_codec.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace ptagent;

namespace {

Change mdev_change() {
  Change c;
  c.id = "mdev:4b20d080-1b54-4048-85b3-a6a62d165c01";
  c.kind = ChangeKind::mdev;
  c.state = ChangeState::done;
  c.owner = "domain:a3cff1f5-1346-4f87-b7bf-3f241d999bb3";
  c.time = "2026-01-31T12:00:00Z";
  c.mdev_uuid = "4b20d080-1b54-4048-85b3-a6a62d165c01";
  c.mdev_parent = "0000:00:02.0";
  c.mdev_type = "i915-GVTg_V5_4";
  return c;
}

Change bind_change() {
  Change c;
  c.id = "bind:0000:01:00.0";
  c.owner = "cli";
  c.address = parse_pci_address("0000:01:00.0");
  c.original_driver = "nouveau";
  c.new_driver = "vfio-pci";
  return c;
}

TEST(JournalCodec, RoundTrips) {
  const std::string text = encode_journal({bind_change(), mdev_change()});
  EXPECT_EQ(text.back(), '\n');
  const DecodedJournal d = decode_journal(text);
  ASSERT_TRUE(d.problem.empty()) << d.problem;
  ASSERT_EQ(d.changes.size(), 2u);
  EXPECT_EQ(d.changes[0].address, parse_pci_address("0000:01:00.0"));
  EXPECT_EQ(d.changes[0].original_driver, "nouveau");
  EXPECT_FALSE(d.changes[0].original_override);
  EXPECT_EQ(d.changes[1].kind, ChangeKind::mdev);
  EXPECT_EQ(d.changes[1].state, ChangeState::done);
  EXPECT_EQ(d.changes[1].mdev_type, "i915-GVTg_V5_4");
  EXPECT_EQ(encode_journal(d.changes), text);
}

TEST(JournalCodec, RefusesDamagedText) {
  EXPECT_NE(decode_journal("").problem, "");
  EXPECT_NE(decode_journal("{\"version\": 1, \"changes\": [").problem, "");
  EXPECT_NE(decode_journal("[]").problem.find("not a ptagent journal"), std::string::npos);
  Change twice = bind_change();
  EXPECT_NE(decode_journal(encode_journal({twice, twice})).problem.find("appears twice"),
            std::string::npos);
  Change bad = mdev_change();
  bad.mdev_parent = "../../etc";
  const DecodedJournal d = decode_journal(encode_journal({bind_change(), bad}));
  EXPECT_NE(d.problem.find("bad mdev_parent"), std::string::npos);
  EXPECT_TRUE(d.changes.empty());  // all or nothing
}

TEST(JournalCodec, AnotherVersionIsNotCorrupt) {
  const DecodedJournal d = decode_journal("{\"version\": 2, \"changes\": []}");
  EXPECT_TRUE(d.other_version);
  EXPECT_NE(d.problem.find("version 2"), std::string::npos);
}

}  // namespace
