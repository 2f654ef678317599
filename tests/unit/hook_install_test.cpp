#include "ops/hook_install.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "error.hpp"
#include "support/cli_runner.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
namespace fs = std::filesystem;

namespace {

class HookInstall : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ptagent-hooks-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    hooks_ = (dir_ / "hooks").string();
    binary_ = (dir_ / "ptagent-hook").string();
    std::ofstream(binary_) << "\x7f"
                              "ELF...ptagent-hook-marker-v1...";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string read(const std::string& p) {
    std::ifstream f(p);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  }
  fs::path dir_;
  std::string hooks_, binary_;
  const Root root_{"/"};
};

TEST_F(HookInstall, FreeSlotGetsQemu) {
  auto plan = plan_hook_install(root_, hooks_, binary_, "");
  EXPECT_EQ(plan.target, hooks_ + "/qemu");
  EXPECT_FALSE(plan.beside_foreign);
  install_hook(root_, plan);
  struct stat st;
  ASSERT_EQ(stat((hooks_ + "/qemu").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
  EXPECT_EQ(hook_status(root_, hooks_).installed_at, hooks_ + "/qemu");
  // Installing again replaces our own copy.
  auto again = plan_hook_install(root_, hooks_, binary_, "");
  EXPECT_TRUE(again.replaces_ours);
  EXPECT_EQ(uninstall_hook(root_, hooks_), hooks_ + "/qemu");
  EXPECT_FALSE(fs::exists(hooks_ + "/qemu"));
  EXPECT_FALSE(uninstall_hook(root_, hooks_));
}

TEST_F(HookInstall, ForeignHookStaysAndOursGoesToQemuD) {
  fs::create_directories(hooks_);
  std::ofstream(hooks_ + "/qemu") << "#!/bin/sh\n# someone else's hook\nexit 0\n";
  auto plan = plan_hook_install(root_, hooks_, binary_, "");
  EXPECT_EQ(plan.target, hooks_ + "/qemu.d/ptagent");
  EXPECT_TRUE(plan.beside_foreign);
  install_hook(root_, plan);
  EXPECT_NE(read(hooks_ + "/qemu").find("someone else's hook"), std::string::npos);
  EXPECT_EQ(hook_status(root_, hooks_).main, HookFile::foreign);
  EXPECT_EQ(hook_status(root_, hooks_).dropin, HookFile::ours);
  EXPECT_EQ(uninstall_hook(root_, hooks_), hooks_ + "/qemu.d/ptagent");
  EXPECT_TRUE(fs::exists(hooks_ + "/qemu"));  // never touched
}

TEST_F(HookInstall, RefusesToOverwriteForeignDropin) {
  fs::create_directories(hooks_ + "/qemu.d");
  std::ofstream(hooks_ + "/qemu") << "#!/bin/sh\nexit 0\n";
  std::ofstream(hooks_ + "/qemu.d/ptagent") << "#!/bin/sh\n# not ours\n";
  try {
    plan_hook_install(root_, hooks_, binary_, "");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::refused);
    EXPECT_NE(std::string(e.what()).find("not ptagent's"), std::string::npos);
  }
  EXPECT_NE(read(hooks_ + "/qemu.d/ptagent").find("not ours"), std::string::npos);
}

TEST_F(HookInstall, NotOurBinaryIsRefused) {
  std::ofstream(dir_ / "other") << "just a file";
  EXPECT_THROW(plan_hook_install(root_, hooks_, (dir_ / "other").string(), ""), Error);
  EXPECT_THROW(plan_hook_install(root_, hooks_, (dir_ / "missing").string(), ""), Error);
  EXPECT_FALSE(fs::exists(hooks_ + "/qemu"));
}

TEST_F(HookInstall, WrapperForSimulatedHosts) {
  auto plan = plan_hook_install(root_, hooks_, binary_, "/tmp/sim host's");
  install_hook(root_, plan);
  std::string text = read(hooks_ + "/qemu");
  EXPECT_EQ(text.rfind("#!/bin/sh\n", 0), 0u);
  EXPECT_NE(text.find("PTAGENT_ROOT='/tmp/sim host'\\''s'"), std::string::npos) << text;
  EXPECT_EQ(hook_status(root_, hooks_).main, HookFile::ours);
}

TEST_F(HookInstall, Cli) {
  auto r =
      test::run_cli({"hook", "install", "--hooks-dir", hooks_, "--binary", binary_, "--dry-run"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("would install"), std::string::npos);
  EXPECT_FALSE(fs::exists(hooks_ + "/qemu"));
  r = test::run_cli({"hook", "install", "--hooks-dir", hooks_, "--binary", binary_});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("restart libvirtd"), std::string::npos);
  r = test::run_cli({"hook", "status", "--hooks-dir", hooks_, "--json"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("\"installed\""), std::string::npos);
  r = test::run_cli({"hook", "frob"});
  EXPECT_EQ(r.code, 2);
  r = test::run_cli({"hook", "uninstall", "--hooks-dir", hooks_});
  EXPECT_EQ(r.code, 0);
  r = test::run_cli({"hook", "status", "--hooks-dir", hooks_});
  EXPECT_EQ(r.code, 1);
}

}  // namespace
