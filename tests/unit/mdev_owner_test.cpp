#include "ops/mdev_owner.hpp"

#include <gtest/gtest.h>

#include "ops/change.hpp"
#include "ops/mdev.hpp"
#include "support/temp_host.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
using ptagent::testing::TempHost;

namespace {

const char* kGpu = "0000:00:02.0";
const char* kU1 = "4b20d080-1b54-4048-85b3-a6a62d165c01";

Mdev mdev_on_gpu() {
  Mdev m;
  m.uuid = kU1;
  m.parent = kGpu;
  m.type = "i915-GVTg_V5_4";
  return m;
}

TEST(MdevOwner, MdevctlWhenItDefinesTheDevice) {
  TempHost host = TempHost::empty();
  EXPECT_FALSE(mdevctl_parent_of(host.root(), kU1));
  host.put(mdevctl_file(kGpu, kU1), "{}");
  EXPECT_EQ(mdevctl_parent_of(host.root(), kU1), kGpu);
  EXPECT_EQ(mdev_owner(host.root(), mdev_on_gpu(), {}), MdevOwner::mdevctl);
}

TEST(MdevOwner, PtagentWhenTheJournalHasIt) {
  TempHost host = TempHost::empty();
  Change c;
  c.id = "mdev:" + std::string(kU1);
  c.kind = ChangeKind::mdev;
  c.mdev_uuid = kU1;
  EXPECT_EQ(mdev_owner(host.root(), mdev_on_gpu(), {c}), MdevOwner::ptagent);
  EXPECT_EQ(mdev_owner(host.root(), mdev_on_gpu(), {}), MdevOwner::unknown);
}

TEST(MdevOwner, Names) {
  EXPECT_EQ(mdev_owner_name(MdevOwner::ptagent), "ptagent");
  EXPECT_EQ(mdev_owner_name(MdevOwner::mdevctl), "mdevctl");
  EXPECT_EQ(mdev_owner_name(MdevOwner::unknown), "unknown");
}

}  // namespace
