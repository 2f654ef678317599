#include "ops/change.hpp"

#include <gtest/gtest.h>

using namespace ptagent;

namespace {

TEST(Change, KindNames) {
  EXPECT_EQ(change_kind_name(ChangeKind::bind), "bind");
  EXPECT_EQ(change_kind_name(ChangeKind::mdev), "mdev");
  EXPECT_EQ(change_kind_name(ChangeKind::sriov), "sriov");
}

TEST(Change, APendingChangeIsStampedByTheJournal) {
  const Change c = pending_change("mdev:x", ChangeKind::mdev, "cli");
  EXPECT_EQ(c.id, "mdev:x");
  EXPECT_EQ(c.kind, ChangeKind::mdev);
  EXPECT_EQ(c.state, ChangeState::pending);
  EXPECT_EQ(c.owner, "cli");
  EXPECT_TRUE(c.time.empty());
}

}  // namespace
