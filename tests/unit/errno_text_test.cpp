#include "ops/errno_text.hpp"

#include <gtest/gtest.h>

#include <cerrno>

using namespace ptagent;

namespace {

struct Row {
  int err;
  const char* cause_part;
  const char* hint_part;
};

}  // namespace

TEST(ErrnoText, SriovCausesAreNamed) {
  const Row rows[] = {
      {EBUSY, "non-zero value to another", "0 first"},
      {ENOMEM, "not enough MMIO resources: SR-IOV off in firmware or BAR space short",
       "pci=realloc"},
      {ENOSPC, "MSI-X", "fewer VFs"},
      {ERANGE, "more than the device allows (sriov_totalvfs is 63)", "between 0 and 63"},
      {EINVAL, "more than the device allows", "between 0 and 63"},
      {EPERM, "permission denied", "root"},
      {EACCES, "permission denied", "root"},
      {ENOENT, "does not enable VFs through sysfs", "enable_sriov=1"},
      {EIO, "failed to enable", "dmesg"},
      {ETIMEDOUT, "did not finish in time", "dmesg"},
      {EXDEV, "Invalid cross-device link", "dmesg"},
  };
  for (const auto& r : rows) {
    const ErrnoText t = sriov_numvfs_errno(r.err, 64, 63);
    EXPECT_NE(t.cause.find(r.cause_part), std::string::npos)
        << errno_name(r.err) << ": " << t.cause;
    EXPECT_NE(t.hint.find(r.hint_part), std::string::npos) << errno_name(r.err) << ": " << t.hint;
    EXPECT_NE(t.cause.find("(" + errno_name(r.err) + ")"), std::string::npos) << t.cause;
  }
}

TEST(ErrnoText, MdevCausesAreNamed) {
  EXPECT_NE(mdev_create_errno(EEXIST).cause.find("already exists"), std::string::npos);
  EXPECT_NE(mdev_create_errno(EUSERS).cause.find("no resources left"), std::string::npos);
  EXPECT_NE(mdev_create_errno(ENOSPC).cause.find("no resources left"), std::string::npos);
  EXPECT_NE(mdev_create_errno(EACCES).hint.find("root"), std::string::npos);
  EXPECT_NE(mdev_remove_errno(EBUSY).cause.find("in use"), std::string::npos);
  EXPECT_NE(mdev_remove_errno(EPERM).cause.find("permission denied writing remove"),
            std::string::npos);
  EXPECT_NE(sriov_autoprobe_errno(EACCES).cause.find("sriov_drivers_autoprobe"), std::string::npos);
}

TEST(ErrnoText, Names) {
  EXPECT_EQ(errno_name(EBUSY), "EBUSY");
  EXPECT_EQ(errno_name(ENOMEM), "ENOMEM");
  EXPECT_EQ(errno_name(EUSERS), "EUSERS");
  EXPECT_EQ(errno_name(ELOOP), "ELOOP");  // a planted symlink, refused by O_NOFOLLOW
  EXPECT_EQ(errno_name(4095), "errno 4095");
}
