// boot_target: which file holds the next boot's kernel command line and which commands make an
// edit count, found from the files of temp hosts (Debian GRUB, RHEL grubby, systemd-boot,
// Proxmox, plain GRUB), and host_has_program.
#include "setup/boot_target.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::TempHost;
using Cmds = std::vector<std::vector<std::string>>;
namespace fs = std::filesystem;

namespace {

void os(const TempHost& h, const std::string& id, const std::string& like = "") {
  h.put("/etc/os-release", "ID=" + id + "\n" + (like.empty() ? "" : "ID_LIKE=\"" + like + "\"\n"));
}

}  // namespace

TEST(BootTarget, Names) {
  EXPECT_STREQ(boot_config_name(BootConfig::grub_dropin), "grub-dropin");
  EXPECT_STREQ(boot_config_name(BootConfig::grub_default), "grub-default");
  EXPECT_STREQ(boot_config_name(BootConfig::grubby), "grubby");
  EXPECT_STREQ(boot_config_name(BootConfig::kernel_cmdline), "kernel-cmdline");
  EXPECT_STREQ(boot_config_name(BootConfig::unknown), "unknown");
}

TEST(BootTarget, HostHasProgramLooksInTheSystemDirectoriesOnly) {
  TempHost h = TempHost::empty();
  EXPECT_FALSE(host_has_program(h.root(), "grubby"));
  h.put("/usr/local/bin/grubby");
  EXPECT_FALSE(host_has_program(h.root(), "grubby"));
  h.put("/sbin/grubby");
  EXPECT_TRUE(host_has_program(h.root(), "grubby"));
  h.put("/usr/bin/update-grub");
  EXPECT_TRUE(host_has_program(h.root(), "update-grub"));
  EXPECT_FALSE(host_has_program(h.root(), "dracut"));
}

TEST(BootTarget, NothingFoundIsUnknownAndSaysWhy) {
  TempHost h = TempHost::empty();
  os(h, "debian");
  const BootTarget t = detect_boot_target(h.root());
  EXPECT_EQ(t.config, BootConfig::unknown);
  EXPECT_TRUE(t.file.empty());
  EXPECT_TRUE(t.regenerate.empty());
  EXPECT_NE(t.description.find("/etc/default/grub"), std::string::npos) << t.description;
}

TEST(BootTarget, DebianGrubUsesTheDropinAndUpdateGrub) {
  TempHost h = TempHost::empty();
  os(h, "ubuntu", "debian");
  h.put("/etc/default/grub", "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n");
  const BootTarget t = detect_boot_target(h.root());
  EXPECT_EQ(t.config, BootConfig::grub_dropin);
  EXPECT_EQ(t.file, kGrubDropin);
  EXPECT_EQ(t.grub_variable, "GRUB_CMDLINE_LINUX_DEFAULT");
  EXPECT_EQ(t.regenerate, (Cmds{{"update-grub"}}));
  EXPECT_NE(t.description.find(kGrubDropin), std::string::npos) << t.description;
}

TEST(BootTarget, UsrLibOsReleaseIsTheFallback) {
  TempHost h = TempHost::empty();
  h.put("/usr/lib/os-release", "ID=debian\n");
  h.put("/etc/default/grub");
  EXPECT_EQ(detect_boot_target(h.root()).config, BootConfig::grub_dropin);
}

TEST(BootTarget, RhelWithGrubbyUsesGrubby) {
  TempHost h = TempHost::empty();
  os(h, "rocky", "rhel centos fedora");
  h.put("/etc/default/grub");
  h.put("/usr/sbin/grubby");
  const BootTarget t = detect_boot_target(h.root());
  EXPECT_EQ(t.config, BootConfig::grubby);
  EXPECT_TRUE(t.file.empty());
  EXPECT_EQ(t.grub_variable, "GRUB_CMDLINE_LINUX");
  EXPECT_TRUE(t.regenerate.empty());
}

TEST(BootTarget, RhelWithoutGrubbyEditsTheMarkedLineAndRunsGrub2Mkconfig) {
  TempHost h = TempHost::empty();
  os(h, "rhel", "fedora");
  h.put("/etc/default/grub");
  BootTarget t = detect_boot_target(h.root());
  EXPECT_EQ(t.config, BootConfig::grub_default);
  EXPECT_EQ(t.file, "/etc/default/grub");
  EXPECT_EQ(t.grub_variable, "GRUB_CMDLINE_LINUX");
  EXPECT_EQ(t.regenerate, (Cmds{{"grub2-mkconfig", "-o", "/boot/grub2/grub.cfg"}}));

  // UEFI: the EFI grub.cfg is a stub that chains to /boot/grub2/grub.cfg ...
  fs::create_directories(h.real("/sys/firmware/efi"));
  h.put("/boot/efi/EFI/redhat/grub.cfg", "search --fs-uuid x\nconfigfile $prefix/grub.cfg\n");
  EXPECT_EQ(detect_boot_target(h.root()).regenerate,
            (Cmds{{"grub2-mkconfig", "-o", "/boot/grub2/grub.cfg"}}));
  // ... unless it is a full configuration of an older install.
  h.put("/boot/efi/EFI/redhat/grub.cfg", "menuentry 'RHEL' {\n}\n");
  EXPECT_EQ(detect_boot_target(h.root()).regenerate,
            (Cmds{{"grub2-mkconfig", "-o", "/boot/efi/EFI/redhat/grub.cfg"}}));
}

TEST(BootTarget, AGrubMkconfigThatSourcesDropinsGetsTheDropin) {
  TempHost h = TempHost::empty();
  os(h, "arch");
  h.put("/etc/default/grub");
  BootTarget t = detect_boot_target(h.root());
  EXPECT_EQ(t.config, BootConfig::grub_default);
  EXPECT_EQ(t.grub_variable, "GRUB_CMDLINE_LINUX");
  EXPECT_EQ(t.regenerate, (Cmds{{"grub-mkconfig", "-o", "/boot/grub/grub.cfg"}}));
  EXPECT_NE(t.description.find("marked line"), std::string::npos) << t.description;
  h.put("/usr/sbin/grub-mkconfig", "for x in ${sysconfdir}/default/grub.d/*.cfg ; do\n");
  t = detect_boot_target(h.root());
  EXPECT_EQ(t.config, BootConfig::grub_dropin);
  EXPECT_EQ(t.file, kGrubDropin);
}

TEST(BootTarget, SystemdBootRegeneratesEachInstalledKernel) {
  TempHost h = TempHost::empty();
  os(h, "debian");
  h.put("/etc/kernel/cmdline", "root=/dev/sda1\n");
  fs::create_directories(h.real("/lib/modules/6.1.0-13-amd64"));
  fs::create_directories(h.real("/lib/modules/6.1.0-18-amd64"));
  fs::create_directories(h.real("/lib/modules/6.0.0-old"));  // its image was removed
  h.put("/boot/vmlinuz-6.1.0-13-amd64");
  h.put("/boot/vmlinuz-6.1.0-18-amd64");
  const BootTarget t = detect_boot_target(h.root());
  EXPECT_EQ(t.config, BootConfig::kernel_cmdline);
  EXPECT_EQ(t.file, "/etc/kernel/cmdline");
  EXPECT_EQ(t.regenerate,
            (Cmds{{"kernel-install", "add", "6.1.0-13-amd64", "/boot/vmlinuz-6.1.0-13-amd64"},
                  {"kernel-install", "add", "6.1.0-18-amd64", "/boot/vmlinuz-6.1.0-18-amd64"}}));
}

TEST(BootTarget, SystemdBootWithoutImagesFallsBackToTheRunningKernel) {
  TempHost h = TempHost::empty();
  h.put("/boot/loader/loader.conf");
  h.put("/proc/sys/kernel/osrelease", "6.1.0-18-amd64\n");
  const BootTarget t = detect_boot_target(h.root());
  EXPECT_EQ(t.config, BootConfig::kernel_cmdline);
  EXPECT_EQ(t.regenerate,
            (Cmds{{"kernel-install", "add", "6.1.0-18-amd64", "/boot/vmlinuz-6.1.0-18-amd64"}}));
}

TEST(BootTarget, GrubWinsOverKernelCmdlineUnlessProxmoxOnUefi) {
  TempHost h = TempHost::empty();
  os(h, "debian");
  h.put("/etc/default/grub");
  h.put("/etc/kernel/cmdline", "root=ZFS=rpool/ROOT/pve-1 boot=zfs\n");
  h.put("/etc/kernel/proxmox-boot-uuids", "1234-ABCD\n");
  BootTarget t = detect_boot_target(h.root());
  EXPECT_EQ(t.config, BootConfig::grub_dropin) << "Proxmox booting with GRUB (BIOS)";
  EXPECT_EQ(t.regenerate, (Cmds{{"proxmox-boot-tool", "refresh"}}));

  fs::create_directories(h.real("/sys/firmware/efi"));
  t = detect_boot_target(h.root());
  EXPECT_EQ(t.config, BootConfig::kernel_cmdline);
  EXPECT_EQ(t.file, "/etc/kernel/cmdline");
  EXPECT_EQ(t.regenerate, (Cmds{{"proxmox-boot-tool", "refresh"}}));
  EXPECT_NE(t.description.find("Proxmox"), std::string::npos);
}
