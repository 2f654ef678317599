// ptagent setup end to end on simulated hosts: every boot loader and initramfs tool, dry-run
// diffs, idempotence, revert to the byte, and the refusals (host-critical, shared IDs, an
// unwritable /etc, a failing update-initramfs) that change nothing. Programs are stubs on a
// private PATH that record their calls: the real update-grub never runs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/cli_runner.hpp"
#include "support/file_text.hpp"
#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::test::CliResult;
using ptagent::test::run_cli;
using ptagent::testing::slurp;
using ptagent::testing::TempHost;
namespace fs = std::filesystem;

using ::testing::HasSubstr;
using ::testing::Not;

namespace {

// A directory of stub programs that append their argv to calls.log and exit 0, except those
// named in `failing`, which print a message and exit 1.
std::string stubs(const TempHost& h, const std::vector<std::string>& failing = {}) {
  const std::string dir = h.dir() + "/stub-bin";
  fs::create_directories(dir);
  for (const char* name : {"update-grub", "update-initramfs", "dracut", "grubby", "grub2-mkconfig",
                           "proxmox-boot-tool", "kernel-install", "mdevctl", "udevadm"}) {
    const bool fail = std::find(failing.begin(), failing.end(), name) != failing.end();
    const std::string path = dir + "/" + name;
    std::ofstream(path) << "#!/bin/sh\necho \"" << name << " $*\" >> " << h.dir() << "/calls.log\n"
                        << (fail ? "echo 'E: mkinitramfs failure cpio 141' >&2\nexit 1\n"
                                 : "exit 0\n");
    ::chmod(path.c_str(), 0755);
  }
  return dir;
}

CliResult setup(const TempHost& h, std::vector<std::string> args,
                const std::string& stub_dir = {}) {
  std::vector<std::string> argv = {"--root", h.dir(), "setup"};
  argv.insert(argv.end(), args.begin(), args.end());
  if (!stub_dir.empty()) {
    argv.push_back("--commands-path");
    argv.push_back(stub_dir);
  }
  return run_cli(argv);
}

// Every file under etc/ of the host, with its bytes, for before/after comparisons.
std::map<std::string, std::string> etc_snapshot(const TempHost& h, bool skip_ptagent_dir = false) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(h.real("/etc"))) {
    if (!e.is_regular_file()) continue;
    const std::string rel = fs::relative(e.path(), h.real("/")).string();
    if (skip_ptagent_dir && rel.rfind("etc/ptagent", 0) == 0) continue;
    out[rel] = slurp(e.path().string());
  }
  return out;
}

TEST(CmdSetup, DebianByIdWritesModprobeInitramfsAndRegeneratesOnceThenRevertsToTheByte) {
  TempHost h = TempHost::copy_of("workstation");
  h.put("/etc/initramfs-tools/modules", "# List of modules\n# comment\nraid1\n");
  const auto before = etc_snapshot(h);
  const std::string bin = stubs(h);

  CliResult dry = run_cli({"--root", h.dir(), "--dry-run", "setup", "bind", "01:00", "--by-id"});
  ASSERT_EQ(dry.code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("+options vfio-pci ids=10de:1b81,10de:10f0\n")) << dry.out;
  EXPECT_THAT(dry.out, HasSubstr("+softdep nouveau pre: vfio-pci\n"));
  EXPECT_THAT(dry.out,
              HasSubstr("--- /etc/initramfs-tools/modules\n+++ /etc/initramfs-tools/modules\n"));
  EXPECT_THAT(dry.out, HasSubstr("would run: update-initramfs -u -k all\n"));
  EXPECT_EQ(etc_snapshot(h), before) << "a dry run changes nothing";

  CliResult r = setup(h, {"bind", "01:00", "--by-id"}, bin);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(slurp(h.real("/etc/modprobe.d/ptagent.conf")),
            "# Written by ptagent setup; 'ptagent setup revert' removes this file.\n"
            "# vfio-pci claims these IDs at boot; the host drivers below load after it.\n"
            "options vfio-pci ids=10de:1b81,10de:10f0\n"
            "softdep nouveau pre: vfio-pci\n"
            "softdep snd_hda_intel pre: vfio-pci\n");
  const std::string mods = slurp(h.real("/etc/initramfs-tools/modules"));
  EXPECT_EQ(mods.rfind("# List of modules\n# comment\nraid1\n# ptagent setup: begin", 0), 0u)
      << mods;
  EXPECT_THAT(mods, HasSubstr("\nvfio_pci\n"));
  // Linux 6.1: vfio_virqfd still exists.
  EXPECT_NE(slurp(h.real("/etc/modules-load.d/ptagent.conf")).find("vfio_virqfd"),
            std::string::npos);
  EXPECT_EQ(slurp(h.dir() + "/calls.log"), "update-initramfs -u -k all\n");
  EXPECT_THAT(r.out, HasSubstr("backup: ")) << "the foreign modules file is backed up";

  // Idempotent: the same request plans nothing and runs nothing.
  CliResult again = setup(h, {"bind", "01:00", "--by-id"}, bin);
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("nothing to change"));
  EXPECT_EQ(slurp(h.dir() + "/calls.log"), "update-initramfs -u -k all\n");

  CliResult st = run_cli({"--root", h.dir(), "--json", "setup", "status"});
  ASSERT_EQ(st.code, 0) << st.err;
  auto j = nlohmann::json::parse(st.out);
  bool pending = false;
  for (const auto& i : j["items"]) {
    if (i["item"] == "bind:0000:01:00.0") pending = i["state"] == "pending-reboot";
  }
  EXPECT_TRUE(pending) << st.out;

  CliResult rev = setup(h, {"revert"}, bin);
  ASSERT_EQ(rev.code, 0) << rev.err;
  EXPECT_EQ(etc_snapshot(h, true), before) << "revert gives every file back byte for byte";
  EXPECT_FALSE(fs::exists(h.real("/etc/ptagent/setup.json")));
  EXPECT_EQ(slurp(h.dir() + "/calls.log"),
            "update-initramfs -u -k all\nupdate-initramfs -u -k all\n");
}

TEST(CmdSetup, ByAddressWritesAnOverrideRuleOrDriverctlsFile) {
  TempHost h = TempHost::copy_of("workstation");
  const std::string bin = stubs(h);
  CliResult r = setup(h, {"bind", "01:00", "--by-address"}, bin);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string rules = slurp(h.real("/etc/udev/rules.d/ptagent-vfio.rules"));
  EXPECT_THAT(rules, HasSubstr("KERNEL==\"0000:01:00.0\", ATTR{driver_override}=\"vfio-pci\""))
      << rules;
  EXPECT_THAT(rules, HasSubstr("KERNEL==\"0000:01:00.1\""));
  EXPECT_NE(slurp(h.dir() + "/calls.log").find("udevadm control --reload"), std::string::npos);
  ASSERT_EQ(setup(h, {"revert", "bind:0000:01:00.1"}, bin).code, 0);
  EXPECT_EQ(slurp(h.real("/etc/udev/rules.d/ptagent-vfio.rules")).find("0000:01:00.1"),
            std::string::npos);

  TempHost d = TempHost::copy_of("workstation");
  d.put("/usr/sbin/driverctl", "#!/bin/sh\n");
  d.put("/etc/driverctl.d/pci-0000:01:00.1", "snd_hda_intel\n");
  CliResult fought = setup(d, {"bind", "01:00"}, stubs(d));
  EXPECT_EQ(fought.code, 1);
  EXPECT_THAT(fought.err, HasSubstr("driverctl unset-override 0000:01:00.1")) << fought.err;
  fs::remove(d.real("/etc/driverctl.d/pci-0000:01:00.1"));
  // driverctl installed: a new bind is still ptagent's rule (driverctl@.service would run only
  // after the host driver bound); a device driverctl already puts on vfio-pci is left to it.
  d.put("/etc/driverctl.d/pci-0000:01:00.1", "vfio-pci\n");
  CliResult bound = setup(d, {"bind", "01:00"}, stubs(d));
  ASSERT_EQ(bound.code, 0) << bound.err;
  EXPECT_THAT(bound.out, HasSubstr("left to driverctl"));
  EXPECT_FALSE(fs::exists(d.real("/etc/driverctl.d/pci-0000:01:00.0")));
  const std::string own = slurp(d.real("/etc/udev/rules.d/ptagent-vfio.rules"));
  EXPECT_THAT(own, HasSubstr("KERNEL==\"0000:01:00.0\""));
  EXPECT_THAT(own, Not(HasSubstr("0000:01:00.1")));
  EXPECT_EQ(slurp(d.real("/etc/driverctl.d/pci-0000:01:00.1")), "vfio-pci\n");
}

TEST(CmdSetup, RefusalsChangeNothing) {
  TempHost h = TempHost::copy_of("workstation");
  const auto before = etc_snapshot(h);
  const std::string bin = stubs(h);
  // Host-critical: the root NVMe.
  CliResult crit = setup(h, {"bind", "02:00.0"}, bin);
  EXPECT_EQ(crit.code, 1);
  EXPECT_THAT(crit.err, HasSubstr("holds the root filesystem"));
  // Half a group.
  CliResult half = setup(h, {"bind", "01:00.0"}, bin);
  EXPECT_EQ(half.code, 1);
  EXPECT_THAT(half.err, HasSubstr("also holds 0000:01:00.1"));
  EXPECT_THAT(half.err, HasSubstr("--group"));
  // --group completes it.
  EXPECT_EQ(run_cli({"--root", h.dir(), "--dry-run", "setup", "bind", "01:00.0", "--group"}).code,
            0);
  // Bad usage.
  EXPECT_EQ(setup(h, {"bind"}, bin).code, 2);
  EXPECT_EQ(setup(h, {"frobnicate"}, bin).code, 2);
  EXPECT_EQ(setup(h, {"revert", "nonsense"}, bin).code, 2);
  EXPECT_EQ(setup(h, {"revert", "iommu"}, bin).code, 1) << "nothing persisted";
  EXPECT_EQ(setup(h, {"bind", "01:00", "--by-id", "--by-address"}, bin).code, 2);
  EXPECT_EQ(etc_snapshot(h), before);
  EXPECT_FALSE(fs::exists(h.dir() + "/calls.log"));

  // A shared ID: the server's VFs all have 8086:10ed.
  TempHost s = TempHost::copy_of("server");
  CliResult shared = setup(s, {"bind", "01:10.0", "--by-id"}, stubs(s));
  EXPECT_EQ(shared.code, 1);
  EXPECT_THAT(shared.err, HasSubstr("is also the ID of 0000:01:10.2, 0000:01:10.4, 0000:01:10.6"))
      << shared.err;
}

TEST(CmdSetup, FailingUpdateInitramfsPutsEveryFileBack) {
  TempHost h = TempHost::copy_of("workstation");
  h.put("/etc/initramfs-tools/modules", "raid1\n");
  const auto before = etc_snapshot(h);
  CliResult r = setup(h, {"bind", "01:00", "--by-id"}, stubs(h, {"update-initramfs"}));
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("update-initramfs -u -k all: exited with status 1")) << r.err;
  EXPECT_THAT(r.err, HasSubstr("E: mkinitramfs failure cpio 141")) << "its output is shown";
  EXPECT_THAT(r.err, HasSubstr("nothing was changed"));
  EXPECT_EQ(etc_snapshot(h, true), before);
  EXPECT_FALSE(fs::exists(h.real("/etc/ptagent/setup.json")));
}

TEST(CmdSetup, UnwritableEtcIsFoundBeforeAnythingIsWritten) {
  TempHost h = TempHost::copy_of("workstation");
  h.put("/etc/udev/rules.d", "a file where a directory should be\n");
  const auto before = etc_snapshot(h);
  CliResult r = setup(h, {"bind", "01:00"}, stubs(h));
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("rules.d"));
  EXPECT_EQ(etc_snapshot(h), before);
}

TEST(CmdSetup, IommuOnGrubDropinDebian) {
  TempHost h = TempHost::copy_of("workstation");
  // Without the parameters in /etc/default/grub, the drop-in adds them.
  h.put("/etc/default/grub", "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"\"\n");
  const std::string bin = stubs(h);
  CliResult r = setup(h, {"iommu"}, bin);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("change: add intel_iommu=on to GRUB_CMDLINE_LINUX_DEFAULT in "
                       "/etc/default/grub.d/ptagent.cfg"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(slurp(h.real("/etc/default/grub.d/ptagent.cfg")),
            "# Written by ptagent setup; 'ptagent setup revert' removes this file.\n"
            "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT intel_iommu=on iommu=pt\"\n");
  EXPECT_EQ(slurp(h.real("/etc/default/grub")),
            "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"\"\n");
  EXPECT_EQ(slurp(h.dir() + "/calls.log"), "update-grub \n");  // the stub logs "NAME $*"
  EXPECT_NE(setup(h, {"iommu"}, bin).out.find("nothing to change"), std::string::npos);
  ASSERT_EQ(setup(h, {"revert", "iommu"}, bin).code, 0);
  EXPECT_FALSE(fs::exists(h.real("/etc/default/grub.d/ptagent.cfg")));
}

TEST(CmdSetup, IommuConflictIsKeptUnlessAskedThenRevertedToTheByte) {
  TempHost h = TempHost::copy_of("workstation");
  const std::string grub = "# mine\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=off splash\"\n";
  h.put("/etc/default/grub", grub);
  const std::string bin = stubs(h);
  CliResult kept = setup(h, {"iommu"}, bin);
  ASSERT_EQ(kept.code, 0) << kept.err;
  EXPECT_THAT(kept.out, HasSubstr("intel_iommu=off is on GRUB's command line and conflicts"))
      << kept.out;
  EXPECT_EQ(slurp(h.real("/etc/default/grub")), grub);
  EXPECT_EQ(slurp(h.real("/etc/default/grub.d/ptagent.cfg")).find("intel_iommu=on"),
            std::string::npos)
      << "never a duplicate parameter";
  CliResult replaced = setup(h, {"iommu", "--replace-conflicting"}, bin);
  ASSERT_EQ(replaced.code, 0) << replaced.err;
  EXPECT_THAT(replaced.out,
              HasSubstr("change: remove intel_iommu=off from /etc/default/grub line 2"))
      << replaced.out;
  EXPECT_EQ(slurp(h.real("/etc/default/grub")),
            "# mine\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet splash\"\n");
  EXPECT_NE(slurp(h.real("/etc/default/grub.d/ptagent.cfg")).find("iommu=pt intel_iommu=on"),
            std::string::npos);
  ASSERT_EQ(setup(h, {"revert"}, bin).code, 0);
  EXPECT_EQ(slurp(h.real("/etc/default/grub")), grub);
  EXPECT_FALSE(fs::exists(h.real("/etc/default/grub.d/ptagent.cfg")));
}

TEST(CmdSetup, IommuOnRhelGrubMarkedLineAndGrubby) {
  TempHost h = TempHost::copy_of("server");
  const std::string grub = "GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX=\"rhgb quiet\"\n";
  h.put("/etc/default/grub", grub);
  const std::string bin = stubs(h);
  CliResult r = setup(h, {"iommu"}, bin);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(
      slurp(h.real("/etc/default/grub")),
      grub +
          "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX iommu=pt\"  # added by ptagent setup iommu\n");
  EXPECT_EQ(slurp(h.dir() + "/calls.log"), "grub2-mkconfig -o /boot/grub2/grub.cfg\n");
  ASSERT_EQ(setup(h, {"revert"}, bin).code, 0);
  EXPECT_EQ(slurp(h.real("/etc/default/grub")), grub);

  // With grubby installed, grubby edits every BLS entry.
  TempHost g = TempHost::copy_of("server");
  g.put("/etc/default/grub", grub);
  g.put("/usr/sbin/grubby", "");
  g.put("/boot/loader/entries/a.conf", "title RHEL\noptions root=/dev/sda1 ro rhgb quiet\n");
  const std::string gbin = stubs(g);
  ASSERT_EQ(setup(g, {"iommu"}, gbin).code, 0);
  EXPECT_EQ(slurp(g.dir() + "/calls.log"), "grubby --update-kernel=ALL --args=iommu=pt\n");
  EXPECT_EQ(slurp(g.real("/etc/default/grub")), grub);
  ASSERT_EQ(setup(g, {"revert", "iommu"}, gbin).code, 0);
  EXPECT_EQ(slurp(g.dir() + "/calls.log"),
            "grubby --update-kernel=ALL --args=iommu=pt\ngrubby --update-kernel=ALL "
            "--remove-args=iommu=pt\n");
}

TEST(CmdSetup, IommuOnProxmoxKernelCmdline) {
  TempHost h = TempHost::copy_of("workstation");
  const std::string cmdline = "root=ZFS=rpool/ROOT/pve-1 boot=zfs intel_iommu=off\n";
  h.put("/etc/kernel/cmdline", cmdline);
  h.put("/etc/kernel/proxmox-boot-uuids", "1234-ABCD\n");
  fs::create_directories(h.real("/sys/firmware/efi"));
  const std::string bin = stubs(h);
  ASSERT_EQ(setup(h, {"iommu", "--replace-conflicting"}, bin).code, 0);
  EXPECT_EQ(slurp(h.real("/etc/kernel/cmdline")),
            "root=ZFS=rpool/ROOT/pve-1 boot=zfs intel_iommu=on iommu=pt\n");
  EXPECT_EQ(slurp(h.dir() + "/calls.log"), "proxmox-boot-tool refresh\n");
  EXPECT_NE(setup(h, {"iommu"}, bin).out.find("nothing to change"), std::string::npos);
  ASSERT_EQ(setup(h, {"revert", "iommu"}, bin).code, 0);
  EXPECT_EQ(slurp(h.real("/etc/kernel/cmdline")), cmdline);
}

TEST(CmdSetup, ModulesWithDracutAndKernelSixTwo) {
  TempHost h = TempHost::copy_of("server");
  fs::create_directories(h.real("/etc/dracut.conf.d"));
  const std::string bin = stubs(h);
  ASSERT_EQ(setup(h, {"modules", "--initramfs"}, bin).code, 0);
  EXPECT_NE(slurp(h.real("/etc/dracut.conf.d/ptagent.conf"))
                .find("force_drivers+=\" vfio vfio_iommu_type1 vfio_pci"),
            std::string::npos);
  EXPECT_EQ(slurp(h.dir() + "/calls.log"), "dracut -f --regenerate-all\n");
  // No vfio_virqfd once a kernel >= 6.2 is installed.
  TempHost n = TempHost::copy_of("workstation");
  fs::create_directories(n.real("/lib/modules/6.5.0-1-amd64"));
  ASSERT_EQ(setup(n, {"modules"}).code, 0);
  EXPECT_EQ(slurp(n.real("/etc/modules-load.d/ptagent.conf")).find("vfio_virqfd"),
            std::string::npos);
}

TEST(CmdSetup, SimulatedHostWithoutStubsRunsNothing) {
  TempHost h = TempHost::copy_of("workstation");
  h.put("/etc/initramfs-tools/modules", "");
  CliResult r = setup(h, {"bind", "01:00", "--by-id"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(
      r.out.find(
          "not run (simulated host; --commands-path DIR runs stubs): update-initramfs -u -k all"),
      std::string::npos)
      << r.out;
}

TEST(CmdSetup, SriovAndMdevThroughTheirOwners) {
  TempHost s = TempHost::copy_of("server");
  const std::string bin = stubs(s);
  ASSERT_EQ(setup(s, {"sriov", "01:00.1", "--vfs", "2"}, bin).code, 0);
  EXPECT_NE(slurp(s.real("/etc/udev/rules.d/ptagent-sriov.rules"))
                .find("ACTION==\"bind\", SUBSYSTEM==\"pci\", KERNEL==\"0000:01:00.1\", "
                      "ATTR{sriov_numvfs}=\"2\""),
            std::string::npos);
  EXPECT_EQ(setup(s, {"sriov", "01:00.1", "--vfs", "99"}, bin).code, 2);
  CliResult st = run_cli({"--root", s.dir(), "setup", "status"});
  EXPECT_THAT(st.out, HasSubstr("sriov:0000:01:00.1: 2 VFs: configured, not active until reboot"))
      << st.out;
  EXPECT_THAT(st.out, HasSubstr("sriov:0000:01:00.0: 4 VFs: active but not persisted")) << st.out;

  TempHost w = TempHost::copy_of("workstation");
  const std::string wbin = stubs(w);
  const std::string uuid = "4b20d080-1b54-4048-85b3-a6a62d165c01";
  // mdevctl is not on the simulated host: refused.
  EXPECT_EQ(
      setup(w, {"mdev", "--uuid", uuid, "--parent", "0000:00:02.0", "--type", "i915-GVTg_V5_4"},
            wbin)
          .code,
      1);
  w.put("/usr/sbin/mdevctl", "");
  ASSERT_EQ(
      setup(w, {"mdev", "--uuid", uuid, "--parent", "0000:00:02.0", "--type", "i915-GVTg_V5_4"},
            wbin)
          .code,
      0);
  EXPECT_EQ(slurp(w.dir() + "/calls.log"), "mdevctl define --auto --uuid " + uuid +
                                               " --parent 0000:00:02.0 --type i915-GVTg_V5_4\n");
  ASSERT_EQ(setup(w, {"revert", "mdev:" + uuid}, wbin).code, 0);
  EXPECT_NE(slurp(w.dir() + "/calls.log").find("mdevctl undefine --uuid " + uuid),
            std::string::npos);
}

TEST(CmdSetup, CheckFailsWhenIdsTakeTheRootDisk) {
  TempHost h = TempHost::copy_of("workstation");
  h.put("/etc/modprobe.d/vfio.conf",
        "# passthrough\noptions vfio-pci \\\n  ids=10de:1b81,144d:a808\n");
  h.put("/etc/modprobe.d/bl.conf", "install e1000e /bin/true\n");
  CliResult r = run_cli({"--root", h.dir(), "check"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out,
              HasSubstr("/etc/modprobe.d/vfio.conf line 2: ids 144d:a808 takes 0000:02:00.0"))
      << r.out;
  EXPECT_NE(r.out.find("/etc/modprobe.d/bl.conf line 1 (install /bin/true): e1000e is the driver "
                       "of 0000:00:1f.6"),
            std::string::npos)
      << r.out;
  EXPECT_THAT(r.out, HasSubstr("WARN  boot-initramfs"));
}

}  // namespace

// Seed 002's fix made to last: the APU's USB controller and its bridge kept out of D3cold from
// boot, an AMD GPU's reset_method with vendor-reset's device_specific first; status tells what
// is active; revert takes each away.
TEST(CmdSetup, PowerAndResetMethodAtBoot) {
  TempHost h = TempHost::copy_of("apu");
  const std::string bin = stubs(h);
  CliResult dry = run_cli({"--root", h.dir(), "--dry-run", "setup", "power", "04:00.3"});
  ASSERT_EQ(dry.code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("ptagent-power.rules"));
  EXPECT_FALSE(fs::exists(h.real("/etc/udev/rules.d/ptagent-power.rules")));
  ASSERT_EQ(setup(h, {"power", "04:00.3"}, bin).code, 0);
  const std::string rules = slurp(h.real("/etc/udev/rules.d/ptagent-power.rules"));
  EXPECT_THAT(rules, HasSubstr("KERNEL==\"0000:04:00.3\", ATTR{d3cold_allowed}=\"0\", "
                               "ATTR{power/control}=\"on\""));
  EXPECT_THAT(rules, HasSubstr("KERNEL==\"0000:00:08.1\", ATTR{d3cold_allowed}=\"0\"\n"));
  EXPECT_THAT(slurp(h.dir() + "/calls.log"), HasSubstr("udevadm control --reload"));
  EXPECT_THAT(setup(h, {"power", "04:00.3"}, bin).out, HasSubstr("already kept powered"));
  // Two devices, no device, a missing one: errors, nothing written.
  EXPECT_EQ(setup(h, {"power", "04:00.3", "04:00.4"}, bin).code, 2);
  EXPECT_EQ(setup(h, {"power", "0000:09:00.0"}, bin).code, 1);
  EXPECT_EQ(setup(h, {"power"}, bin).code, 2);

  ASSERT_EQ(setup(h, {"reset-method", "01:00.0", "device_specific", "bus"}, bin).code, 0);
  const std::string rm = slurp(h.real("/etc/udev/rules.d/ptagent-reset-method.rules"));
  EXPECT_THAT(rm,
              HasSubstr("KERNEL==\"0000:01:00.0\", ATTR{reset_method}=\"device_specific bus\""));
  EXPECT_THAT(rm, HasSubstr("KERNEL==\"vendor_reset\""));
  EXPECT_EQ(setup(h, {"reset-method", "01:00.0", "warm"}, bin).code, 2);
  EXPECT_EQ(setup(h, {"reset-method", "01:00.0"}, bin).code, 2);

  CliResult st = run_cli({"--root", h.dir(), "setup", "status"});
  EXPECT_THAT(st.out, HasSubstr("power:0000:04:00.3: kept out of D3cold: configured, not active "
                                "until reboot"))
      << st.out;
  EXPECT_THAT(st.out, HasSubstr("reset-method:0000:01:00.0: device_specific bus: configured, not "
                                "active until reboot"))
      << st.out;

  ASSERT_EQ(setup(h, {"revert", "power:0000:04:00.3"}, bin).code, 0);
  EXPECT_FALSE(fs::exists(h.real("/etc/udev/rules.d/ptagent-power.rules")));
  EXPECT_EQ(setup(h, {"revert", "power"}, bin).code, 1);  // nothing left to revert
  ASSERT_EQ(setup(h, {"revert", "reset-method"}, bin).code, 0);
  EXPECT_FALSE(fs::exists(h.real("/etc/udev/rules.d/ptagent-reset-method.rules")));
  EXPECT_FALSE(fs::exists(h.real("/etc/ptagent/setup.json")));
}
