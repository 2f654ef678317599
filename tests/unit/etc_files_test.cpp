// etc_files: atomic replace that keeps the file's mode, never writes through a symlink, keeps
// directory symlinks inside the root, and a pre-flight that names the directory it cannot write.
#include "setup/etc_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "error.hpp"
#include "support/error_of.hpp"
#include "support/file_text.hpp"
#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::error_of;
using ptagent::testing::slurp;
using ptagent::testing::TempHost;
namespace fs = std::filesystem;

namespace {

unsigned mode_of(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

// Names in a directory, dotfiles included (a left-over temporary file would show).
std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(EtcFiles, CreatesMissingDirectoriesAndTheFileWith0644) {
  TempHost h = TempHost::empty();
  write_file_atomic(h.root(), "/etc/modprobe.d/ptagent.conf", "options vfio-pci ids=1:2\n");
  EXPECT_EQ(slurp(h.real("/etc/modprobe.d/ptagent.conf")), "options vfio-pci ids=1:2\n");
  EXPECT_EQ(mode_of(h.real("/etc/modprobe.d/ptagent.conf")), 0644u);
  EXPECT_EQ(mode_of(h.real("/etc/modprobe.d")), 0755u);
  EXPECT_EQ(entries(h.real("/etc/modprobe.d")), std::vector<std::string>{"ptagent.conf"})
      << "no temporary file left behind";
}

TEST(EtcFiles, ReplaceKeepsTheModeAndTheBytes) {
  TempHost h = TempHost::empty();
  h.put("/etc/kernel/cmdline", "root=/dev/sda1 quiet\n");
  ::chmod(h.real("/etc/kernel/cmdline").c_str(), 0600);
  const std::string content = std::string("a\0b\r\nno newline", 15);
  write_file_atomic(h.root(), "/etc/kernel/cmdline", content);
  EXPECT_EQ(slurp(h.real("/etc/kernel/cmdline")), content);
  EXPECT_EQ(mode_of(h.real("/etc/kernel/cmdline")), 0600u);
  write_file_atomic(h.root(), "/etc/kernel/cmdline", "");
  EXPECT_EQ(slurp(h.real("/etc/kernel/cmdline")), "");
  EXPECT_TRUE(fs::is_regular_file(h.real("/etc/kernel/cmdline")));
}

TEST(EtcFiles, ReplaceIsANewInodeNotAnInPlaceWrite) {
  TempHost h = TempHost::empty();
  h.put("/etc/a.conf", "old\n");
  fs::create_hard_link(h.real("/etc/a.conf"), h.dir() + "/hardlink");
  write_file_atomic(h.root(), "/etc/a.conf", "new\n");
  EXPECT_EQ(slurp(h.real("/etc/a.conf")), "new\n");
  EXPECT_EQ(slurp(h.dir() + "/hardlink"), "old\n") << "a rename, not a truncate-and-write";
}

TEST(EtcFiles, RefusesToWriteThroughASymlink) {
  TempHost h = TempHost::empty();
  const std::string outside = h.dir() + "-outside-target";
  std::ofstream(outside) << "precious\n";
  fs::create_directories(h.real("/etc/default"));
  fs::create_symlink(outside, h.real("/etc/default/grub"));
  const Error e = error_of([&] { write_file_atomic(h.root(), "/etc/default/grub", "x\n"); });
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_NE(e.object().find("/etc/default/grub"), std::string::npos) << e.object();
  EXPECT_NE(e.cause().find("symbolic link"), std::string::npos) << e.cause();
  EXPECT_EQ(slurp(outside), "precious\n");
  EXPECT_TRUE(fs::is_symlink(h.real("/etc/default/grub")));
  fs::remove(outside);
}

TEST(EtcFiles, ADirectorySymlinkLeavingTheRootResolvesInsideIt) {
  TempHost h = TempHost::empty();
  const std::string outside = h.dir() + "-outside-dir";
  fs::create_directories(outside);
  fs::create_directories(h.real("/etc"));
  // An absolute link to the build machine's directory: read as a host path inside the root.
  fs::create_symlink(outside, h.real("/etc/modprobe.d"));
  write_file_atomic(h.root(), "/etc/modprobe.d/ptagent.conf", "x\n");
  EXPECT_TRUE(fs::is_empty(outside)) << "nothing written outside the root";
  EXPECT_EQ(slurp(h.real(outside + "/ptagent.conf")), "x\n");
  fs::remove_all(outside);
}

TEST(EtcFiles, RelativeDotDotCannotClimbOutOfTheRoot) {
  TempHost h = TempHost::empty();
  fs::create_directories(h.real("/etc"));
  fs::create_symlink("../../../../../../../../..", h.real("/etc/up"));
  write_file_atomic(h.root(), "/etc/up/escaped.conf", "x\n");
  EXPECT_EQ(slurp(h.real("/escaped.conf")), "x\n");
  EXPECT_FALSE(fs::exists("/escaped.conf"));
}

TEST(EtcFiles, PreflightNamesTheDirectoryInTheWay) {
  TempHost h = TempHost::empty();
  h.put("/etc/modprobe.d", "a file where a directory should be\n");
  const Error e =
      error_of([&] { ensure_writable_dir_for(h.root(), "/etc/modprobe.d/ptagent.conf"); });
  EXPECT_EQ(e.kind(), ErrorKind::failed);
  EXPECT_NE(e.object().find("/etc/modprobe.d"), std::string::npos) << e.object();
  EXPECT_EQ(e.object().find("ptagent.conf"), std::string::npos) << "the directory, not the file";
  EXPECT_FALSE(e.hint().empty());
  EXPECT_EQ(slurp(h.real("/etc/modprobe.d")), "a file where a directory should be\n");

  const Error deeper =
      error_of([&] { ensure_writable_dir_for(h.root(), "/etc/modprobe.d/sub/ptagent.conf"); });
  EXPECT_EQ(deeper.kind(), ErrorKind::failed);
  EXPECT_NE(deeper.object().find("/etc/modprobe.d"), std::string::npos) << deeper.object();

  const Error write = error_of([&] { write_file_atomic(h.root(), "/etc/modprobe.d/x.conf", ""); });
  EXPECT_EQ(write.kind(), ErrorKind::failed);
}

TEST(EtcFiles, PreflightCreatesTheDirectoryAndLeavesNoProbe) {
  TempHost h = TempHost::empty();
  ensure_writable_dir_for(h.root(), "/etc/udev/rules.d/ptagent-vfio.rules");
  EXPECT_TRUE(fs::is_directory(h.real("/etc/udev/rules.d")));
  EXPECT_TRUE(entries(h.real("/etc/udev/rules.d")).empty());
  EXPECT_FALSE(fs::exists(h.real("/etc/udev/rules.d/ptagent-vfio.rules")));
}

TEST(EtcFiles, RemoveFileRemovesOnlyThatFileAndIgnoresAMissingOne) {
  TempHost h = TempHost::empty();
  h.put("/etc/modprobe.d/ptagent.conf", "x\n");
  h.put("/etc/modprobe.d/other.conf", "y\n");
  remove_file(h.root(), "/etc/modprobe.d/ptagent.conf");
  EXPECT_EQ(entries(h.real("/etc/modprobe.d")), std::vector<std::string>{"other.conf"});
  remove_file(h.root(), "/etc/modprobe.d/ptagent.conf");
  remove_file(h.root(), "/etc/nowhere/ptagent.conf");
  EXPECT_FALSE(fs::exists(h.real("/etc/nowhere")));
}

TEST(EtcFiles, RemoveFileOfADirectoryFailsNamingIt) {
  TempHost h = TempHost::empty();
  fs::create_directories(h.real("/etc/x.conf"));
  const Error e = error_of([&] { remove_file(h.root(), "/etc/x.conf"); });
  EXPECT_EQ(e.kind(), ErrorKind::failed);
  EXPECT_NE(e.object().find("/etc/x.conf"), std::string::npos) << e.object();
  EXPECT_TRUE(fs::is_directory(h.real("/etc/x.conf")));
}
