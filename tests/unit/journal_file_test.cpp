#include "ops/journal_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "error.hpp"
#include "support/file_text.hpp"
#include "support/temp_host.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
using ptagent::testing::slurp;
using ptagent::testing::TempHost;
namespace fs = std::filesystem;

namespace {

TEST(JournalFile, CreatesAPrivateDirectoryAndReplacesTheFile) {
  TempHost h = TempHost::empty();
  JournalFile f(h.root(), "/run/ptagent/");
  EXPECT_EQ(f.dir(), "/run/ptagent");
  EXPECT_FALSE(f.dir_present());
  f.make_dir();
  EXPECT_TRUE(f.dir_present());
  EXPECT_EQ(fs::status(h.real("/run/ptagent")).permissions(), fs::perms::owner_all);
  const Fd dir = f.open_dir();
  const Fd lock = f.lock(LockMode::exclusive);
  EXPECT_FALSE(f.read().exists);
  EXPECT_FALSE(f.replace(dir.get(), "text\n", {}));
  const JournalText now = f.read();
  EXPECT_TRUE(now.exists);
  EXPECT_EQ(now.text, "text\n");
  EXPECT_EQ(f.shown_file(), h.real("/run/ptagent/journal.json"));
}

TEST(JournalFile, PutsThePreviousFileBack) {
  TempHost h = TempHost::empty();
  JournalFile f(h.root(), "/run/ptagent");
  f.make_dir();
  const Fd dir = f.open_dir();
  EXPECT_FALSE(f.replace(dir.get(), "one", {}));
  const JournalText before = f.read();
  EXPECT_FALSE(f.replace(dir.get(), "two", {}));
  EXPECT_TRUE(f.put_back(dir.get(), before));
  EXPECT_EQ(f.read().text, "one");
  EXPECT_TRUE(f.put_back(dir.get(), JournalText{}));
  EXPECT_FALSE(f.read().exists);
}

TEST(JournalFile, MovesACorruptFileAside) {
  TempHost h = TempHost::empty();
  JournalFile f(h.root(), "/run/ptagent");
  f.make_dir();
  const Fd dir = f.open_dir();
  EXPECT_FALSE(f.replace(dir.get(), "garbage", {}));
  const std::string aside = f.move_aside(dir.get());
  EXPECT_NE(aside.find("journal.json.corrupt-"), std::string::npos);
  EXPECT_EQ(slurp(aside), "garbage");
  EXPECT_FALSE(f.read().exists);
}

TEST(JournalFile, RefusesAnUnsafeDirectory) {
  TempHost h = TempHost::empty();
  fs::create_directories(h.real("/run/ptagent"));
  fs::permissions(h.real("/run/ptagent"),
                  fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
  JournalFile f(h.root(), "/run/ptagent");
  try {
    f.open_dir();
    FAIL() << "an 0750 directory was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not safe to use"), std::string::npos) << e.what();
  }
  EXPECT_THROW(JournalFile(h.root(), "relative"), Error);
  EXPECT_THROW(JournalFile(h.root(), "/"), Error);
}

}  // namespace
