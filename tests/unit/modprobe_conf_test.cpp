// modprobe_conf: modprobe.d and module lists read as kmod and systemd read them (comments,
// continuation lines, '-' as '_'), install-disables, and drop-in directories with masking.
#include "setup/modprobe_conf.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::TempHost;
using V = std::vector<std::string>;
namespace fs = std::filesystem;

namespace {

void mask(const TempHost& h, const std::string& path) {
  fs::create_directories(fs::path(h.real(path)).parent_path());
  fs::create_symlink("/dev/null", h.real(path));
}

}  // namespace

TEST(ModprobeConf, NormalizeModule) {
  EXPECT_EQ(normalize_module("vfio-pci"), "vfio_pci");
  EXPECT_EQ(normalize_module("snd-hda-intel"), "snd_hda_intel");
  EXPECT_EQ(normalize_module("nouveau"), "nouveau");
  EXPECT_EQ(normalize_module(""), "");
}

TEST(ModprobeConf, ParsesDirectivesWithFileAndLine) {
  const auto d = parse_modprobe_conf(
      "# a comment\n"
      "\n"
      "options vfio-pci ids=10de:1b80,10de:10f0 disable_vga=1\n"
      "\tblacklist   nouveau\n"
      "softdep snd-hda-intel pre: vfio-pci\n"
      "alias pci:v000010DEd* vfio-pci\n",
      "/etc/modprobe.d/x.conf");
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].file, "/etc/modprobe.d/x.conf");
  EXPECT_EQ(d[0].line, 3u);
  EXPECT_EQ(d[0].keyword, "options");
  EXPECT_EQ(d[0].module, "vfio_pci");
  EXPECT_EQ(d[0].args, (V{"ids=10de:1b80,10de:10f0", "disable_vga=1"}));
  EXPECT_EQ(d[1].line, 4u);
  EXPECT_EQ(d[1].keyword, "blacklist");
  EXPECT_EQ(d[1].module, "nouveau");
  EXPECT_TRUE(d[1].args.empty());
  EXPECT_EQ(d[2].module, "snd_hda_intel");
  EXPECT_EQ(d[2].args, (V{"pre:", "vfio-pci"}));
  EXPECT_EQ(d[3].keyword, "alias");
  EXPECT_EQ(d[3].module, "vfio_pci") << "alias: the module is the last word";
}

TEST(ModprobeConf, OnlyAFirstWordStartingWithHashIsAComment) {
  const auto d = parse_modprobe_conf(
      "#blacklist nouveau\n"
      "   # options x y=1\n"
      "blacklist radeon # not a comment for kmod\n",
      "f");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].module, "radeon");
  EXPECT_EQ(d[0].args, (V{"#", "not", "a", "comment", "for", "kmod"}));
}

TEST(ModprobeConf, ContinuationJoinsLinesAsKmodDoes) {
  // kmod drops backslash-newline and adds nothing: the IDs below are one option.
  const auto d = parse_modprobe_conf(
      "options vfio-pci \\\n"
      "ids=10de:1b80,\\\n"
      "10de:10f0\n"
      "blacklist nouveau\n",
      "f");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].line, 1u) << "the first physical line";
  EXPECT_EQ(d[0].module, "vfio_pci");
  EXPECT_EQ(d[0].args, (V{"ids=10de:1b80,10de:10f0"}));
  EXPECT_EQ(d[1].line, 4u);
}

TEST(ModprobeConf, ContinuationAtTheEndOfTheFileAndCrlf) {
  const auto d = parse_modprobe_conf("blacklist nouveau\r\noptions kvm \\", "f");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].module, "nouveau") << "a CR is whitespace";
  EXPECT_EQ(d[1].keyword, "options");
  EXPECT_EQ(d[1].module, "kvm");
}

TEST(ModprobeConf, AKeywordAloneHasNoModule) {
  const auto d = parse_modprobe_conf("blacklist\n", "f");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].module, "");
  EXPECT_TRUE(d[0].args.empty());
}

TEST(ModprobeConf, InstallDisables) {
  auto one = [](const std::string& text) { return parse_modprobe_conf(text, "f").at(0); };
  EXPECT_TRUE(install_disables(one("install nouveau /bin/true\n")));
  EXPECT_TRUE(install_disables(one("install nouveau /bin/false\n")));
  EXPECT_TRUE(install_disables(one("install nouveau /usr/bin/true\n")));
  EXPECT_TRUE(install_disables(one("install nouveau true\n")));
  EXPECT_FALSE(install_disables(one("install nouveau /sbin/modprobe --ignore-install nouveau\n")));
  EXPECT_FALSE(install_disables(one("install nouveau\n")));
  EXPECT_FALSE(install_disables(one("remove nouveau /bin/true\n")));
  EXPECT_FALSE(install_disables(one("install nouveau /bin/truex\n")));
}

TEST(ModprobeConf, ModuleListCommentsAndArguments) {
  const auto e = parse_module_list_file(
      "# /etc/modules\n"
      "; also a comment\n"
      "\n"
      "vfio-pci\n"
      "  loop max_loop=64\n"
      "kvm \\\n",
      "/etc/modules");
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].file, "/etc/modules");
  EXPECT_EQ(e[0].line, 4u);
  EXPECT_EQ(e[0].module, "vfio_pci");
  EXPECT_EQ(e[1].line, 5u);
  EXPECT_EQ(e[1].module, "loop");
  EXPECT_EQ(e[1].args, (V{"max_loop=64"}));
  EXPECT_EQ(e[2].module, "kvm") << "no continuation lines in module lists";
  EXPECT_EQ(e[2].line, 6u);
}

TEST(ModprobeConf, DirectoriesInPrecedenceOrder) {
  ASSERT_FALSE(modprobe_dirs().empty());
  EXPECT_EQ(modprobe_dirs().front(), "/etc/modprobe.d");
  EXPECT_EQ(modprobe_dirs().back(), "/lib/modprobe.d");
  EXPECT_EQ(modules_load_dirs().front(), "/etc/modules-load.d");
  EXPECT_EQ(modules_load_dirs().size(), modprobe_dirs().size());
}

TEST(ModprobeConf, DropinsAreSortedByNameAndAnEarlierDirectoryWins) {
  TempHost h = TempHost::empty();
  h.put("/usr/lib/modprobe.d/b.conf", "");
  h.put("/usr/lib/modprobe.d/a.conf", "");
  h.put("/etc/modprobe.d/b.conf", "");
  h.put("/etc/modprobe.d/c.conf", "");
  h.put("/etc/modprobe.d/notes.txt", "");
  h.put("/etc/modprobe.d/.conf", "");
  h.put("/run/modprobe.d/a.conf", "");
  EXPECT_EQ(dropin_files(h.root(), modprobe_dirs(), ".conf"),
            (V{"/run/modprobe.d/a.conf", "/etc/modprobe.d/b.conf", "/etc/modprobe.d/c.conf"}));
}

TEST(ModprobeConf, ADevNullSymlinkMasksTheNameEverywhere) {
  TempHost h = TempHost::empty();
  h.put("/lib/modprobe.d/blacklist-nouveau.conf", "blacklist nouveau\n");
  h.put("/lib/modprobe.d/kvm.conf", "options kvm ignore_msrs=1\n");
  mask(h, "/etc/modprobe.d/blacklist-nouveau.conf");
  EXPECT_EQ(dropin_files(h.root(), modprobe_dirs(), ".conf"), (V{"/lib/modprobe.d/kvm.conf"}));
  const auto d = read_modprobe_config(h.root());
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].module, "kvm");
  EXPECT_EQ(d[0].file, "/lib/modprobe.d/kvm.conf");
}

TEST(ModprobeConf, AnEmptyFileInAnEarlierDirectoryMasksToo) {
  TempHost h = TempHost::empty();
  h.put("/usr/lib/modprobe.d/x.conf", "blacklist nouveau\n");
  h.put("/etc/modprobe.d/x.conf", "");
  EXPECT_TRUE(read_modprobe_config(h.root()).empty());
}

TEST(ModprobeConf, ReadModprobeConfigInReadingOrder) {
  TempHost h = TempHost::empty();
  h.put("/etc/modprobe.d/b.conf", "options vfio-pci ids=1:2\n");
  h.put("/lib/modprobe.d/a.conf", "blacklist nouveau\n\nblacklist radeon\n");
  const auto d = read_modprobe_config(h.root());
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].file, "/lib/modprobe.d/a.conf");
  EXPECT_EQ(d[1].line, 3u);
  EXPECT_EQ(d[1].module, "radeon");
  EXPECT_EQ(d[2].file, "/etc/modprobe.d/b.conf");
}

TEST(ModprobeConf, ReadBootModulesListsModulesLoadDThenEtcModules) {
  TempHost h = TempHost::empty();
  h.put("/etc/modules", "vfio\n");
  h.put("/usr/lib/modules-load.d/virt.conf", "kvm_intel\n");
  h.put("/etc/modules-load.d/ptagent.conf", "vfio-pci\nvfio_iommu_type1\n");
  mask(h, "/etc/modules-load.d/masked.conf");
  h.put("/lib/modules-load.d/masked.conf", "nouveau\n");
  const auto e = read_boot_modules(h.root());
  V names;
  for (const auto& x : e) names.push_back(x.module);
  EXPECT_EQ(names, (V{"vfio_pci", "vfio_iommu_type1", "kvm_intel", "vfio"}));
  EXPECT_EQ(e.back().file, "/etc/modules");
}

TEST(ModprobeConf, NothingConfiguredReadsNothing) {
  TempHost h = TempHost::empty();
  EXPECT_TRUE(read_modprobe_config(h.root()).empty());
  EXPECT_TRUE(read_boot_modules(h.root()).empty());
}
