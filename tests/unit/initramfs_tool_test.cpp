// initramfs_tool: which generator the host has, ptagent's marked block in a foreign modules file
// (the rest byte for byte), dracut's drop-in, and whether the configuration puts a module in.
#include "setup/initramfs_tool.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::TempHost;
using V = std::vector<std::string>;
namespace fs = std::filesystem;

namespace {}  // namespace

TEST(InitramfsTool, Names) {
  EXPECT_STREQ(initramfs_tool_name(InitramfsTool::initramfs_tools), "initramfs-tools");
  EXPECT_STREQ(initramfs_tool_name(InitramfsTool::dracut), "dracut");
  EXPECT_STREQ(initramfs_tool_name(InitramfsTool::none), "none");
}

TEST(InitramfsTool, Detect) {
  TempHost h = TempHost::empty();
  EXPECT_EQ(detect_initramfs_tool(h.root()), InitramfsTool::none);
  h.put("/etc/dracut.conf", "");
  EXPECT_EQ(detect_initramfs_tool(h.root()), InitramfsTool::dracut);
  fs::create_directories(h.real("/etc/initramfs-tools"));
  EXPECT_EQ(detect_initramfs_tool(h.root()), InitramfsTool::initramfs_tools)
      << "initramfs-tools first when both are there";

  TempHost d = TempHost::empty();
  fs::create_directories(d.real("/etc/dracut.conf.d"));
  EXPECT_EQ(detect_initramfs_tool(d.root()), InitramfsTool::dracut);
  d.put("/etc/initramfs-tools", "a file, not the directory");
  EXPECT_EQ(detect_initramfs_tool(d.root()), InitramfsTool::dracut);
}

TEST(InitramfsTool, WithBlockAppendsAndStripBlockGivesTheFileBack) {
  const std::string original = "# List of modules\n\nraid1\nloop max_loop=8";
  const std::string with = with_block(original, {"vfio", "vfio_iommu_type1", "vfio_pci"});
  EXPECT_EQ(with, original +
                      "\n# ptagent setup: begin (written by ptagent; 'ptagent setup revert' "
                      "removes this block)\nvfio\nvfio_iommu_type1\nvfio_pci\n"
                      "# ptagent setup: end\n");
  EXPECT_EQ(block_modules(with), (V{"vfio", "vfio_iommu_type1", "vfio_pci"}));
  EXPECT_EQ(strip_block(with), original + "\n");
  EXPECT_EQ(strip_block(original), original) << "no block: byte for byte";
}

TEST(InitramfsTool, WithBlockReplacesAnEarlierBlockAndEmptyRemovesIt) {
  const std::string head = "raid1\n";
  const std::string tail = "loop\n";
  const std::string text =
      head + std::string(kBlockBegin) + " (old)\nvfio\n" + std::string(kBlockEnd) + "\n" + tail;
  const std::string replaced = with_block(text, {"vfio_pci"});
  EXPECT_EQ(replaced.rfind(head + tail + std::string(kBlockBegin), 0), 0u) << replaced;
  EXPECT_EQ(block_modules(replaced), (V{"vfio_pci"}));
  EXPECT_EQ(with_block(text, {}), head + tail);
  EXPECT_EQ(with_block("", {"vfio"}).rfind(std::string(kBlockBegin), 0), 0u);
}

TEST(InitramfsTool, AnUnterminatedBlockDropsTheRestOnStrip) {
  const std::string text = "raid1\n" + std::string(kBlockBegin) + "\nvfio\n";
  EXPECT_EQ(strip_block(text), "raid1\n");
  EXPECT_EQ(block_modules(text), (V{"vfio"}));
}

TEST(InitramfsTool, BlockModulesIgnoresCommentsAndModulesOutsideTheBlock) {
  const std::string text = "nouveau\n" + std::string(kBlockBegin) + "\n# note\nvfio-pci\n\n" +
                           std::string(kBlockEnd) + "\nradeon\n";
  EXPECT_EQ(block_modules(text), (V{"vfio_pci"}));
  EXPECT_TRUE(block_modules("vfio\n").empty());
}

TEST(InitramfsTool, DracutConfForcesTheDrivers) {
  const std::string c = dracut_conf({"vfio", "vfio_pci"});
  EXPECT_NE(c.find("\nforce_drivers+=\" vfio vfio_pci \"\n"), std::string::npos) << c;
  EXPECT_EQ(c.back(), '\n');
  EXPECT_EQ(c.rfind("# ", 0), 0u);
}

TEST(InitramfsTool, RegenerateCommands) {
  EXPECT_EQ(initramfs_regenerate(InitramfsTool::initramfs_tools),
            (V{"update-initramfs", "-u", "-k", "all"}));
  EXPECT_EQ(initramfs_regenerate(InitramfsTool::dracut), (V{"dracut", "-f", "--regenerate-all"}));
  EXPECT_TRUE(initramfs_regenerate(InitramfsTool::none).empty());
}

TEST(InitramfsTool, IncludesFromInitramfsToolsModules) {
  TempHost h = TempHost::empty();
  EXPECT_FALSE(initramfs_includes(h.root(), InitramfsTool::initramfs_tools, "vfio_pci"));
  h.put(kInitramfsModules, "# vfio_pci\nraid1\nvfio-pci ids=1:2\n");
  EXPECT_TRUE(initramfs_includes(h.root(), InitramfsTool::initramfs_tools, "vfio_pci"));
  EXPECT_TRUE(initramfs_includes(h.root(), InitramfsTool::initramfs_tools, "vfio-pci"));
  EXPECT_FALSE(initramfs_includes(h.root(), InitramfsTool::initramfs_tools, "vfio"))
      << "a prefix is not the module";
  EXPECT_FALSE(initramfs_includes(h.root(), InitramfsTool::dracut, "vfio_pci"))
      << "the other tool's files";
  EXPECT_FALSE(initramfs_includes(h.root(), InitramfsTool::none, "raid1"));
}

TEST(InitramfsTool, IncludesFromDracutConfigs) {
  TempHost h = TempHost::empty();
  h.put("/etc/dracut.conf", "# add_drivers+=\" nouveau \"\nhostonly=\"yes\"\n");
  EXPECT_FALSE(initramfs_includes(h.root(), InitramfsTool::dracut, "nouveau"));
  h.put("/etc/dracut.conf.d/10-vfio.conf", "add_drivers+=\" vfio vfio-pci \"\n");
  h.put("/usr/lib/dracut/dracut.conf.d/20-x.conf", "force_drivers += 'kvm'\n");
  h.put("/usr/lib/dracut/dracut.conf.d/30-d.conf", "drivers=\"raid1\"\n");
  EXPECT_TRUE(initramfs_includes(h.root(), InitramfsTool::dracut, "vfio_pci"));
  EXPECT_TRUE(initramfs_includes(h.root(), InitramfsTool::dracut, "vfio"));
  EXPECT_TRUE(initramfs_includes(h.root(), InitramfsTool::dracut, "kvm"));
  EXPECT_TRUE(initramfs_includes(h.root(), InitramfsTool::dracut, "raid1"));
  EXPECT_FALSE(initramfs_includes(h.root(), InitramfsTool::dracut, "vfio_iommu_type1"));
  EXPECT_FALSE(initramfs_includes(h.root(), InitramfsTool::dracut, "yes"));
  // The same name in /etc masks the one in /usr/lib.
  h.put("/etc/dracut.conf.d/20-x.conf", "");
  EXPECT_FALSE(initramfs_includes(h.root(), InitramfsTool::dracut, "kvm"));
}

TEST(InitramfsTool, PtagentsOwnDracutConfIsRead) {
  TempHost h = TempHost::empty();
  h.put(kDracutConf, dracut_conf({"vfio", "vfio_iommu_type1", "vfio_pci"}));
  EXPECT_TRUE(initramfs_includes(h.root(), InitramfsTool::dracut, "vfio_iommu_type1"));
}
