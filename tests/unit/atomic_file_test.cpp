#include "util/atomic_file.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "util/fd.hpp"

namespace ptagent {
namespace {

namespace fs = std::filesystem;

struct Dir {
  fs::path path;
  Fd fd;
  Dir() {
    char name[] = "/tmp/ptagent-atomic-XXXXXX";
    path = ::mkdtemp(name);
    fd = Fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  }
  ~Dir() { fs::remove_all(path); }
  std::string read(const std::string& name) const {
    std::ifstream f(path / name);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
  void put(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
  }
};

TEST(AtomicFile, CreatesAndReplaces) {
  Dir d;
  EXPECT_FALSE(replace_file_at(d.fd.get(), "f", "f.tmp", "one\n", 0640));
  EXPECT_EQ(d.read("f"), "one\n");
  EXPECT_EQ(fs::status(d.path / "f").permissions(),
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  EXPECT_FALSE(replace_file_at(d.fd.get(), "f", "f.tmp", "two\n", 0600));
  EXPECT_EQ(d.read("f"), "two\n");
  EXPECT_FALSE(fs::exists(d.path / "f.tmp"));
}

TEST(AtomicFile, AStaleTemporaryFileIsReplaced) {
  Dir d;
  d.put("f.tmp", "stale");
  EXPECT_FALSE(replace_file_at(d.fd.get(), "f", "f.tmp", "new", 0600));
  EXPECT_EQ(d.read("f"), "new");
}

TEST(AtomicFile, NeverWritesThroughASymlinkedTemporaryFile) {
  Dir d;
  d.put("victim", "keep");
  fs::create_symlink(d.path / "victim", d.path / "f.tmp");
  EXPECT_FALSE(replace_file_at(d.fd.get(), "f", "f.tmp", "new", 0600));
  EXPECT_EQ(d.read("victim"), "keep");
  EXPECT_EQ(d.read("f"), "new");
}

TEST(AtomicFile, AFailedStepLeavesTheFileAsItWas) {
  const std::vector<ReplaceStep> before_rename{ReplaceStep::create_temp, ReplaceStep::write_temp,
                                               ReplaceStep::fsync_temp, ReplaceStep::rename};
  for (ReplaceStep step : before_rename) {
    Dir d;
    d.put("f", "old");
    const auto failure = replace_file_at(d.fd.get(), "f", "f.tmp", "new", 0600,
                                         [step](ReplaceStep s) { return s == step ? EIO : 0; });
    ASSERT_TRUE(failure);
    EXPECT_EQ(failure->step, step);
    EXPECT_EQ(failure->error, EIO);
    EXPECT_EQ(d.read("f"), "old");
    EXPECT_FALSE(fs::exists(d.path / "f.tmp"));
  }
}

TEST(AtomicFile, AFailedDirectoryFsyncComesAfterTheRename) {
  Dir d;
  const auto failure = replace_file_at(d.fd.get(), "f", "f.tmp", "new", 0600, [](ReplaceStep s) {
    return s == ReplaceStep::fsync_dir ? ENOSPC : 0;
  });
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->step, ReplaceStep::fsync_dir);
  EXPECT_EQ(failure->error, ENOSPC);
  EXPECT_EQ(d.read("f"), "new");
}

TEST(AtomicFile, EveryStepIsOffered) {
  Dir d;
  std::vector<ReplaceStep> seen;
  EXPECT_FALSE(replace_file_at(d.fd.get(), "f", "f.tmp", "x", 0600, [&](ReplaceStep s) {
    seen.push_back(s);
    return 0;
  }));
  EXPECT_EQ(seen, (std::vector<ReplaceStep>{ReplaceStep::create_temp, ReplaceStep::write_temp,
                                            ReplaceStep::fsync_temp, ReplaceStep::rename,
                                            ReplaceStep::fsync_dir}));
}

TEST(AtomicFile, WriteAllReportsTheErrno) {
  EXPECT_EQ(write_all(-1, "x"), EBADF);
  EXPECT_EQ(write_all(-1, ""), 0);
}

}  // namespace
}  // namespace ptagent
