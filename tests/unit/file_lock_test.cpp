#include "util/file_lock.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "util/fd.hpp"

namespace ptagent {
namespace {

struct LockFile {
  std::string path;
  LockFile() {
    char name[] = "/tmp/ptagent-lock-XXXXXX";
    Fd fd(::mkstemp(name));
    path = name;
  }
  ~LockFile() { ::unlink(path.c_str()); }
  Fd open() const { return Fd(::open(path.c_str(), O_RDWR | O_CLOEXEC)); }
};

TEST(FileLock, ExclusiveKeepsOthersOut) {
  LockFile f;
  Fd a = f.open();
  Fd b = f.open();
  ASSERT_EQ(lock_fd(a.get(), LockMode::exclusive), 0);
  EXPECT_NE(::flock(b.get(), LOCK_SH | LOCK_NB), 0);
  EXPECT_EQ(errno, EWOULDBLOCK);
  a.close();
  EXPECT_EQ(::flock(b.get(), LOCK_EX | LOCK_NB), 0);
}

TEST(FileLock, SharedLetsReadersIn) {
  LockFile f;
  Fd a = f.open();
  Fd b = f.open();
  ASSERT_EQ(lock_fd(a.get(), LockMode::shared), 0);
  EXPECT_EQ(lock_fd(b.get(), LockMode::shared), 0);
  Fd c = f.open();
  EXPECT_NE(::flock(c.get(), LOCK_EX | LOCK_NB), 0);
}

TEST(FileLock, ABadDescriptorIsAnError) {
  EXPECT_EQ(lock_fd(-1, LockMode::exclusive), EBADF);
}

}  // namespace
}  // namespace ptagent
