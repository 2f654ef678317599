// Host readiness: the pure parsers (tables), the checks on hand-made facts, and the checks on the
// simulated hosts and on small trees built in a temp dir (read-only: check never writes).
#include "check/readiness.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "host/host_facts.hpp"
#include "host/host_text.hpp"
#include "support/cli_runner.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
namespace fs = std::filesystem;

namespace {

const Check& find(const std::vector<Check>& checks, const std::string& id) {
  for (const auto& c : checks) {
    if (c.id == id) return c;
  }
  throw std::runtime_error("no check " + id);
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---------------------------------------------------------------------------
// Pure helpers

TEST(Readiness, StatusNamesAndSummary) {
  EXPECT_STREQ(check_status_name(CheckStatus::pass), "PASS");
  EXPECT_STREQ(check_status_name(CheckStatus::warn), "WARN");
  EXPECT_STREQ(check_status_name(CheckStatus::fail), "FAIL");
  EXPECT_STREQ(check_status_name(CheckStatus::skip), "SKIP");
  std::vector<Check> v = {{"a", CheckStatus::pass, "", "", ""},
                          {"b", CheckStatus::pass, "", "", ""},
                          {"c", CheckStatus::warn, "", "", "x"},
                          {"d", CheckStatus::skip, "", "", ""}};
  auto s = summarize(v);
  EXPECT_EQ(s.pass, 2);
  EXPECT_EQ(s.warn, 1);
  EXPECT_EQ(s.fail, 0);
  EXPECT_EQ(s.skip, 1);
  EXPECT_TRUE(s.ready());
  v.push_back({"e", CheckStatus::fail, "", "", "y"});
  EXPECT_FALSE(summarize(v).ready());
  EXPECT_TRUE(summarize({}).ready());
}

// ---------------------------------------------------------------------------
// Checks on hand-made facts

const char* kIntelCpu =
    "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Core(TM) i7-9700K CPU @ "
    "3.60GHz\n"
    "flags\t\t: fpu vme de pse vmx x2apic\n\n";
const char* kAmdCpu =
    "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7302P 16-Core Processor\n"
    "flags\t\t: fpu vme svm\n\n";
const char* kGuestCpu =
    "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Processor\n"
    "flags\t\t: fpu vme vmx hypervisor\n\n";
const char* kIrInterrupts =
    "            CPU0       CPU1\n"
    "  0:         36          0  IR-IO-APIC    2-edge      timer\n"
    "124:       1000          3  IR-PCI-MSI 524288-edge      nvme0q0\n"
    "NMI:          0          0   Non-maskable interrupts\n";
const char* kPlainInterrupts =
    "            CPU0       CPU1\n"
    "  0:         36          0  IO-APIC    2-edge      timer\n"
    " 24:       1000          3  PCI-MSI 524288-edge      virtio0\n";
const char* kMeminfo =
    "MemTotal:       32653080 kB\nHugePages_Total:       0\nHugePages_Free:        "
    "0\nHugepagesize:       2048 kB\n";
const char* kDebianGrub =
    "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=on "
    "iommu=pt\"\nGRUB_CMDLINE_LINUX=\"\"\n";

// A bare-metal Intel workstation on Debian 12 where everything is ready.
HostFacts good_intel() {
  HostFacts f;
  f.cpuinfo = kIntelCpu;
  f.cmdline = "BOOT_IMAGE=/vmlinuz-6.1.0-13-amd64 root=UUID=x ro quiet intel_iommu=on iommu=pt\n";
  f.kernel_release = "6.1.0-13-amd64";
  f.interrupts = kIrInterrupts;
  f.meminfo = kMeminfo;
  f.os_release = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n";
  f.grub_default = kDebianGrub;
  f.uefi = true;
  f.modules_dir = true;
  f.modules_builtin = "kernel/drivers/pci/pci-stub.ko\n";
  f.sys_modules = {"kvm",      "kvm_intel",     "vfio",       "vfio_iommu_type1",
                   "vfio_pci", "vfio_pci_core", "vfio_virqfd"};
  f.unsafe_interrupts_param = "N";
  f.iommu_units = {"dmar0", "dmar1"};
  f.iommu_groups = 24;
  f.dev_vfio = true;
  f.dev_kvm = true;
  f.dev_iommu = true;
  return f;
}

// The AMD server on RHEL 9 with vfio built in.
HostFacts good_amd_rhel() {
  HostFacts f = good_intel();
  f.cpuinfo = kAmdCpu;
  f.cmdline = "BOOT_IMAGE=(hd0,msdos1)/boot/vmlinuz-5.14.0-362.el9.x86_64 ro rhgb quiet iommu=pt\n";
  f.kernel_release = "5.14.0-362.el9.x86_64";
  f.os_release = "NAME=\"Red Hat Enterprise Linux\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\n";
  f.grub_default =
      "GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX=\"rhgb quiet iommu=pt\"\nGRUB_ENABLE_BLSCFG=true\n";
  f.uefi = false;
  f.modules_builtin =
      "kernel/drivers/vfio/vfio.ko\nkernel/drivers/vfio/vfio_iommu_type1.ko\nkernel/drivers/vfio/"
      "vfio_virqfd.ko\n"
      "kernel/drivers/vfio/pci/vfio-pci.ko\n";
  f.sys_modules = {"kvm", "kvm_amd"};
  f.unsafe_interrupts_param.reset();
  f.iommu_units = {"ivhd0"};
  f.iommu_groups = 14;
  return f;
}

// Every check: PASS has no fix, WARN and FAIL always carry one, and every check has evidence.
void expect_well_formed(const std::vector<Check>& checks, const std::string& label) {
  // check_readiness adds the boot-configuration audit (host/config_audit) after the 14.
  std::vector<std::string> ids = {"cpu",
                                  "bootloader",
                                  "iommu-cmdline",
                                  "iommu",
                                  "iommu-groups",
                                  "interrupt-remapping",
                                  "unsafe-interrupts",
                                  "acs-override",
                                  "vfio-modules",
                                  "vfio-virqfd",
                                  "vfio-device",
                                  "iommufd",
                                  "kvm",
                                  "hugepages"};
  if (checks.size() == 18u) {
    for (const char* b : {"boot-critical", "boot-virqfd", "boot-initramfs", "boot-pending"}) {
      ids.push_back(b);
    }
  }
  ASSERT_EQ(checks.size(), ids.size()) << label;
  for (std::size_t i = 0; i < checks.size(); ++i) {
    const Check& c = checks[i];
    EXPECT_EQ(c.id, ids[i]) << label;
    EXPECT_FALSE(c.title.empty()) << label << " " << c.id;
    EXPECT_FALSE(c.evidence.empty()) << label << " " << c.id;
    if (c.status == CheckStatus::pass) {
      EXPECT_TRUE(c.fix.empty()) << label << " " << c.id;
    }
    if (c.status == CheckStatus::warn || c.status == CheckStatus::fail) {
      EXPECT_FALSE(c.fix.empty()) << label << " " << c.id;
    }
  }
}

TEST(ReadinessEval, GoodIntelAllPass) {
  auto checks = evaluate_readiness(good_intel());
  expect_well_formed(checks, "good intel");
  for (const auto& c : checks) EXPECT_EQ(c.status, CheckStatus::pass) << c.id << ": " << c.evidence;
  EXPECT_TRUE(
      has(find(checks, "iommu-groups").evidence, "24 IOMMU groups under /sys/kernel/iommu_groups"));
  EXPECT_TRUE(has(find(checks, "iommu").evidence, "dmar0, dmar1"));
  EXPECT_TRUE(has(find(checks, "vfio-modules").evidence, "vfio_pci loaded"));
  EXPECT_TRUE(has(find(checks, "vfio-virqfd").evidence, "vfio_virqfd loaded"));
  EXPECT_TRUE(has(find(checks, "bootloader").evidence, "update-grub"));
  EXPECT_TRUE(has(find(checks, "bootloader").evidence, "update-initramfs"));
  EXPECT_TRUE(has(find(checks, "interrupt-remapping").evidence, "2 interrupts remapped"));
}

// The real-kernel bench's nested host: QEMU's AMD CPU model with intel-iommu. The IOMMU present
// (dmar0 under /sys/class/iommu) decides the names and the advice, not the CPU vendor.
TEST(ReadinessEval, IommuNamedByClassIommuNotByCpuVendor) {
  HostFacts f = good_intel();
  f.cpuinfo =
      "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: QEMU TCG CPU version 2.5+\n"
      "flags\t\t: fpu svm hypervisor\n\n";
  f.iommu_units = {"dmar0"};
  auto checks = evaluate_readiness(f);
  for (const auto& c : checks) EXPECT_EQ(c.status, CheckStatus::pass) << c.id << ": " << c.evidence;
  const std::string cpu = find(checks, "cpu").evidence;
  EXPECT_TRUE(has(cpu, "AuthenticAMD")) << cpu;
  EXPECT_TRUE(has(cpu, "the IOMMU present is VT-d (dmar0")) << cpu;
  EXPECT_FALSE(has(cpu, "AMD-Vi")) << cpu;
  EXPECT_FALSE(has(find(checks, "iommu-cmdline").evidence, "AMD-Vi"));
  // Without intel_iommu=on the advice names the VT-d parameter, although the CPU is AMD.
  f.cmdline = "BOOT_IMAGE=/vmlinuz root=UUID=x ro quiet\n";
  f.iommu_units = {};
  f.iommu_groups = 0;
  auto off = evaluate_readiness(f);
  EXPECT_TRUE(has(find(off, "cpu").evidence, "AMD-Vi")) << find(off, "cpu").evidence;
}

TEST(ReadinessEval, GoodAmdRhelBuiltIn) {
  auto checks = evaluate_readiness(good_amd_rhel());
  expect_well_formed(checks, "good amd");
  for (const auto& c : checks) EXPECT_EQ(c.status, CheckStatus::pass) << c.id << ": " << c.evidence;
  EXPECT_EQ(find(checks, "vfio-modules").evidence,
            "vfio built in, vfio_iommu_type1 built in, vfio_pci built in");
  EXPECT_TRUE(has(find(checks, "vfio-virqfd").evidence, "vfio_virqfd built in"));
  EXPECT_TRUE(has(find(checks, "cpu").evidence, "AMD-Vi"));
  EXPECT_TRUE(has(find(checks, "bootloader").evidence, "grub2-mkconfig -o /boot/grub2/grub.cfg"));
  EXPECT_TRUE(has(find(checks, "bootloader").evidence, "dracut"));
  EXPECT_TRUE(has(find(checks, "unsafe-interrupts").evidence, "not set"));
}

// One row per scenario: how the facts differ from a good host and what one check must say.
struct Scenario {
  const char* name;
  HostFacts (*base)();
  void (*change)(HostFacts&);
  const char* id;
  CheckStatus status;
  std::vector<const char*> evidence;  // substrings
  std::vector<const char*> fix;       // substrings
};

void no_iommu(HostFacts& f) {
  f.iommu_units.clear();
  f.iommu_groups = 0;
}

const std::vector<Scenario>& scenarios() {
  static const std::vector<Scenario> table = {
      {"intel without intel_iommu=on, bare metal",
       good_intel,
       [](HostFacts& f) {
         no_iommu(f);
         f.cmdline = "BOOT_IMAGE=/vmlinuz root=UUID=x ro quiet\n";
       },
       "iommu",
       CheckStatus::fail,
       {"/sys/class/iommu and /sys/kernel/iommu_groups are empty", "intel_iommu=on is not"},
       {"enable VT-d",
        "in /etc/default/grub, add `intel_iommu=on iommu=pt` to GRUB_CMDLINE_LINUX_DEFAULT",
        "run `update-grub`", "then reboot"}},
      {"intel without intel_iommu=on: cmdline check",
       good_intel,
       [](HostFacts& f) {
         no_iommu(f);
         f.cmdline = "ro quiet\n";
       },
       "iommu-cmdline",
       CheckStatus::fail,
       {"intel_iommu=on is missing"},
       {"add `intel_iommu=on iommu=pt` to GRUB_CMDLINE_LINUX_DEFAULT", "update-grub"}},
      {"intel default-on kernel without the parameter",
       good_intel,
       [](HostFacts& f) { f.cmdline = "ro quiet\n"; },
       "iommu-cmdline",
       CheckStatus::pass,
       {"enables VT-d by default", "iommu=pt is not set"},
       {}},
      {"intel with intel_iommu=on but no IOMMU: firmware",
       good_intel,
       no_iommu,
       "iommu",
       CheckStatus::fail,
       {"although the kernel command line has intel_iommu=on", "firmware has VT-d disabled"},
       {"enable VT-d (Intel Virtualization Technology for Directed I/O) in the firmware setup and "
        "reboot"}},
      {"amd without IOMMU: firmware",
       good_amd_rhel,
       no_iommu,
       "iommu",
       CheckStatus::fail,
       {"nothing on the kernel command line turns it off", "AMD-Vi disabled"},
       {"enable AMD-Vi"}},
      {"virtual machine without vIOMMU",
       good_intel,
       [](HostFacts& f) {
         no_iommu(f);
         f.cpuinfo = kGuestCpu;
         f.cmdline = "root=/dev/vda ro console=ttyS0\n";
       },
       "iommu",
       CheckStatus::fail,
       {"this host is itself a virtual machine (hypervisor flag) without a virtual IOMMU"},
       {"intel-iommu,intremap=on", "kernel-irqchip=split", "q35", "<iommu model='intel'>",
        "bare-metal host"}},
      {"intel_iommu=off in GRUB_CMDLINE_LINUX_DEFAULT",
       good_intel,
       [](HostFacts& f) {
         no_iommu(f);
         f.cmdline = "ro quiet intel_iommu=off\n";
         f.grub_default =
             "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=off\"\nGRUB_CMDLINE_LINUX=\"\"\n";
       },
       "iommu-cmdline",
       CheckStatus::fail,
       {"intel_iommu=off turns the IOMMU off"},
       {"remove `intel_iommu=off` from GRUB_CMDLINE_LINUX_DEFAULT",
        "add `intel_iommu=on iommu=pt`"}},
      {"iommu=off set outside /etc/default/grub",
       good_intel,
       [](HostFacts& f) {
         no_iommu(f);
         f.cmdline = "ro quiet intel_iommu=on iommu=off\n";
       },
       "iommu",
       CheckStatus::fail,
       {"iommu=off on the kernel command line turns it off"},
       {"remove `iommu=off` from the GRUB_CMDLINE_LINUX line that sets it",
        "/etc/default/grub.d/"}},
      {"amd_iommu=off on RHEL, BIOS",
       good_amd_rhel,
       [](HostFacts& f) {
         no_iommu(f);
         f.cmdline = "ro amd_iommu=off\n";
         f.grub_default = "GRUB_CMDLINE_LINUX=\"rhgb quiet amd_iommu=off\"\n";
       },
       "iommu-cmdline",
       CheckStatus::fail,
       {"amd_iommu=off"},
       {"remove `amd_iommu=off` from GRUB_CMDLINE_LINUX and add `iommu=pt` to GRUB_CMDLINE_LINUX,",
        "grub2-mkconfig -o /boot/grub2/grub.cfg",
        "grubby --update-kernel=ALL --args=\"iommu=pt\" --remove-args=\"amd_iommu=off\""}},
      {"RHEL UEFI with its own EFI grub.cfg",
       good_amd_rhel,
       [](HostFacts& f) {
         f.uefi = true;
         f.efi_grub_cfg = "set root=...\nmenuentry 'RHEL' {\n linux /vmlinuz\n}\n";
       },
       "bootloader",
       CheckStatus::pass,
       {"grub2-mkconfig -o /boot/efi/EFI/redhat/grub.cfg", "UEFI"},
       {}},
      {"RHEL UEFI with the stub EFI grub.cfg",
       good_amd_rhel,
       [](HostFacts& f) {
         f.uefi = true;
         f.efi_grub_cfg =
             "search --no-floppy --fs-uuid --set=dev abc\nset prefix=($dev)/grub2\nconfigfile "
             "$prefix/grub.cfg\n";
       },
       "bootloader",
       CheckStatus::pass,
       {"grub2-mkconfig -o /boot/grub2/grub.cfg (one grub.cfg for BIOS and UEFI"},
       {}},
      {"systemd-boot",
       good_intel,
       [](HostFacts& f) {
         no_iommu(f);
         f.cmdline = "root=ZFS=rpool ro\n";
         f.grub_default.reset();
         f.kernel_cmdline_file = true;
       },
       "iommu-cmdline",
       CheckStatus::fail,
       {},
       {"in /etc/kernel/cmdline (one line), add `intel_iommu=on iommu=pt`",
        "kernel-install add 6.1.0-13-amd64 /boot/vmlinuz-6.1.0-13-amd64"}},
      {"Proxmox VE systemd-boot",
       good_intel,
       [](HostFacts& f) {
         no_iommu(f);
         f.cmdline = "root=ZFS=rpool ro\n";
         f.kernel_cmdline_file = true;
         f.proxmox_boot = true;
       },
       "iommu-cmdline",
       CheckStatus::fail,
       {},
       {"/etc/kernel/cmdline", "proxmox-boot-tool refresh"}},
      {"no boot loader configuration",
       good_intel,
       [](HostFacts& f) { f.grub_default.reset(); },
       "bootloader",
       CheckStatus::warn,
       {"no /etc/default/grub and no /etc/kernel/cmdline"},
       {"kernel command line comes from"}},
      {"no interrupt remapping",
       good_intel,
       [](HostFacts& f) { f.interrupts = kPlainInterrupts; },
       "interrupt-remapping",
       CheckStatus::fail,
       {"no IR- entries", "refuses to assign"},
       {"enable interrupt remapping in the firmware setup",
        "vfio_iommu_type1.allow_unsafe_interrupts=1"}},
      {"intremap=off",
       good_intel,
       [](HostFacts& f) {
         f.interrupts = kPlainInterrupts;
         f.cmdline = "ro intel_iommu=on intremap=off\n";
       },
       "interrupt-remapping",
       CheckStatus::fail,
       {"intremap=off"},
       {"remove `intremap=off`"}},
      {"no remapping but unsafe interrupts allowed",
       good_intel,
       [](HostFacts& f) {
         f.interrupts = kPlainInterrupts;
         f.unsafe_interrupts_param = "Y";
       },
       "interrupt-remapping",
       CheckStatus::warn,
       {"only because of allow_unsafe_interrupts=Y"},
       {"drop allow_unsafe_interrupts"}},
      {"unsafe interrupts from the live parameter",
       good_intel,
       [](HostFacts& f) { f.unsafe_interrupts_param = "Y"; },
       "unsafe-interrupts",
       CheckStatus::warn,
       {"allow_unsafe_interrupts=Y in /sys/module/vfio_iommu_type1/parameters"},
       {"risk:", "interrupt injection", "not needed"}},
      {"unsafe interrupts on the command line",
       good_intel,
       [](HostFacts& f) {
         f.unsafe_interrupts_param.reset();
         f.interrupts = kPlainInterrupts;
         f.cmdline = "ro intel_iommu=on vfio_iommu_type1.allow_unsafe_interrupts=1\n";
       },
       "unsafe-interrupts",
       CheckStatus::warn,
       {"vfio_iommu_type1.allow_unsafe_interrupts=1 on the kernel command line"},
       {"risk:", "trusted guests", "remove `vfio_iommu_type1.allow_unsafe_interrupts=1`"}},
      {"unsafe interrupts in modprobe.d",
       good_intel,
       [](HostFacts& f) {
         f.unsafe_interrupts_param.reset();
         f.modprobe_unsafe = {"/etc/modprobe.d/vfio.conf"};
       },
       "unsafe-interrupts",
       CheckStatus::warn,
       {"allow_unsafe_interrupts=1 in /etc/modprobe.d/vfio.conf"},
       {"delete allow_unsafe_interrupts=1 from /etc/modprobe.d/vfio.conf and run `update-initramfs "
        "-u -k all`"}},
      {"live parameter N wins over modprobe.d",
       good_intel,
       [](HostFacts& f) { f.modprobe_unsafe = {"/etc/modprobe.d/vfio.conf"}; },
       "unsafe-interrupts",
       CheckStatus::pass,
       {"allow_unsafe_interrupts=N"},
       {}},
      {"ACS override",
       good_intel,
       [](HostFacts& f) {
         f.cmdline = "ro intel_iommu=on iommu=pt pcie_acs_override=downstream,multifunction\n";
       },
       "acs-override",
       CheckStatus::warn,
       {"pcie_acs_override=downstream,multifunction"},
       {"groups are not real isolation", "peer-to-peer DMA",
        "remove `pcie_acs_override=downstream,multifunction`"}},
      {"vfio not loaded on Debian",
       good_intel,
       [](HostFacts& f) {
         f.sys_modules = {"kvm", "kvm_intel"};
       },
       "vfio-modules",
       CheckStatus::fail,
       {"vfio missing, vfio_iommu_type1 missing, vfio_pci missing"},
       {"modprobe -a vfio vfio_iommu_type1 vfio_pci",
        "list vfio, vfio_virqfd, vfio_iommu_type1, vfio_pci one per line in "
        "/etc/modules-load.d/vfio.conf",
        "update-initramfs -u -k all"}},
      {"vfio_pci not loaded on RHEL 6.x kernel",
       good_amd_rhel,
       [](HostFacts& f) {
         f.kernel_release = "6.6.0-1.el10";
         f.modules_builtin =
             "kernel/drivers/vfio/vfio.ko\nkernel/drivers/vfio/vfio_iommu_type1.ko\n";
       },
       "vfio-modules",
       CheckStatus::fail,
       {"vfio built in", "vfio_pci missing"},
       {"modprobe -a vfio_pci", "add_drivers+=\" vfio vfio_iommu_type1 vfio_pci \"",
        "/etc/dracut.conf.d/vfio.conf", "dracut -f"}},
      {"kernel built without vfio_pci",
       good_intel,
       [](HostFacts& f) {
         f.sys_modules = {"vfio", "vfio_iommu_type1", "vfio_virqfd"};
         f.modules_order = "kernel/drivers/vfio/vfio.ko\nkernel/drivers/vfio/vfio_iommu_type1.ko\n";
       },
       "vfio-modules",
       CheckStatus::fail,
       {"built without vfio_pci"},
       {"CONFIG_VFIO_PCI"}},
      {"no module tree",
       good_intel,
       [](HostFacts& f) {
         f.sys_modules.clear();
         f.modules_dir = false;
         f.modules_builtin.reset();
       },
       "vfio-modules",
       CheckStatus::fail,
       {"no /lib/modules/6.1.0-13-amd64/modules.builtin"},
       {"no module tree at /lib/modules/6.1.0-13-amd64"}},
      {"virqfd skipped on 6.2+",
       good_intel,
       [](HostFacts& f) { f.kernel_release = "6.2.0-1-amd64"; },
       "vfio-virqfd",
       CheckStatus::skip,
       {"part of vfio since 6.2"},
       {}},
      {"virqfd missing with vfio_pci on 6.1",
       good_intel,
       [](HostFacts& f) {
         f.sys_modules = {"kvm", "kvm_intel"};
       },
       "vfio-virqfd",
       CheckStatus::fail,
       {"vfio_virqfd missing"},
       {"vfio-modules"}},
      {"vfio_pci present without virqfd: folded in",
       good_intel,
       [](HostFacts& f) {
         f.sys_modules = {"vfio", "vfio_iommu_type1", "vfio_pci"};
       },
       "vfio-virqfd",
       CheckStatus::skip,
       {"inside vfio"},
       {}},
      {"unknown release",
       good_intel,
       [](HostFacts& f) { f.kernel_release = "weird"; },
       "vfio-virqfd",
       CheckStatus::skip,
       {"'weird' not understood"},
       {}},
      {"no /dev/vfio/vfio with vfio loaded",
       good_intel,
       [](HostFacts& f) { f.dev_vfio = false; },
       "vfio-device",
       CheckStatus::fail,
       {"/dev/vfio/vfio is missing although vfio is loaded"},
       {"mknod /dev/vfio/vfio c 10 196"}},
      {"no /dev/vfio/vfio without vfio",
       good_intel,
       [](HostFacts& f) {
         f.dev_vfio = false;
         f.sys_modules.clear();
       },
       "vfio-device",
       CheckStatus::fail,
       {"the vfio module is not loaded"},
       {"load vfio"}},
      {"no /dev/kvm, VT-x off",
       good_intel,
       [](HostFacts& f) {
         f.dev_kvm = false;
         f.cpuinfo = "vendor_id\t: GenuineIntel\nflags\t\t: fpu vme\n";
       },
       "kvm",
       CheckStatus::fail,
       {"lack vmx"},
       {"enable VT-x in the firmware setup", "modprobe kvm_intel"}},
      {"no /dev/kvm on AMD",
       good_amd_rhel,
       [](HostFacts& f) { f.dev_kvm = false; },
       "kvm",
       CheckStatus::fail,
       {"include svm"},
       {"modprobe kvm_amd"}},
      {"hugepages reserved",
       good_intel,
       [](HostFacts& f) {
         f.meminfo =
             "HugePages_Total:    1024\nHugePages_Free:      1000\nHugepagesize:       2048 kB\n";
       },
       "hugepages",
       CheckStatus::pass,
       {"1024 hugepages of 2048 kB reserved", "1000 free"},
       {}},
      {"kernel without hugetlbfs",
       good_intel,
       [](HostFacts& f) { f.meminfo = "MemTotal: 1 kB\n"; },
       "hugepages",
       CheckStatus::skip,
       {"no HugePages_Total"},
       {}},
      {"unknown CPU vendor",
       good_intel,
       [](HostFacts& f) { f.cpuinfo = "processor\t: 0\nvendor_id\t: CentaurHauls\n"; },
       "cpu",
       CheckStatus::warn,
       {"CentaurHauls", "neither Intel nor AMD"},
       {"enable the platform's IOMMU"}},
  };
  return table;
}

TEST(ReadinessEval, Scenarios) {
  for (const Scenario& s : scenarios()) {
    HostFacts f = s.base();
    s.change(f);
    auto checks = evaluate_readiness(f);
    expect_well_formed(checks, s.name);
    const Check& c = find(checks, s.id);
    EXPECT_EQ(c.status, s.status) << s.name << ": " << c.evidence;
    for (const char* part : s.evidence)
      EXPECT_TRUE(has(c.evidence, part)) << s.name << ": evidence: " << c.evidence;
    for (const char* part : s.fix) EXPECT_TRUE(has(c.fix, part)) << s.name << ": fix: " << c.fix;
  }
}

TEST(ReadinessEval, NoProcAtAllSkipsWithEvidence) {
  HostFacts f;  // nothing readable: a tree with an empty sys/ only
  auto checks = evaluate_readiness(f);
  expect_well_formed(checks, "empty");
  for (const char* id : {"cpu", "iommu-cmdline", "interrupt-remapping", "unsafe-interrupts",
                         "acs-override", "vfio-virqfd", "hugepages"}) {
    EXPECT_EQ(find(checks, id).status, CheckStatus::skip) << id;
  }
  EXPECT_TRUE(has(find(checks, "cpu").evidence, "cannot read /proc/cpuinfo"));
  EXPECT_TRUE(has(find(checks, "cpu").fix, "mount -t proc proc /proc"));
  EXPECT_TRUE(has(find(checks, "iommu-cmdline").evidence, "cannot read /proc/cmdline"));
  EXPECT_TRUE(has(find(checks, "hugepages").evidence, "cannot read /proc/meminfo"));
  EXPECT_TRUE(has(find(checks, "vfio-virqfd").evidence, "kernel release unknown"));
  EXPECT_EQ(find(checks, "iommu").status, CheckStatus::fail);
  EXPECT_TRUE(has(find(checks, "iommu").evidence, "cannot read /proc/cmdline to tell why"));
  EXPECT_EQ(find(checks, "bootloader").status, CheckStatus::warn);
}

TEST(ReadinessEval, VmLooksLikeThisMachine) {
  // The build machine: a KVM guest, no IOMMU, no /lib/modules, no boot loader files, kernel 6.18.
  HostFacts f;
  f.cpuinfo = kGuestCpu;
  f.cmdline = "console=ttyS0 quiet reboot=k panic=1 nomodule -- --init-arg\n";
  f.kernel_release = "6.18.44-fc-v445";
  f.interrupts = kPlainInterrupts;
  f.meminfo = kMeminfo;
  f.os_release = "ID=debian\n";
  f.dev_kvm = true;
  f.dev_iommu = true;
  auto checks = evaluate_readiness(f);
  expect_well_formed(checks, "vm");
  EXPECT_EQ(find(checks, "iommu").status, CheckStatus::fail);
  EXPECT_TRUE(has(find(checks, "iommu").fix, "give the VM an IOMMU"));
  EXPECT_EQ(find(checks, "vfio-virqfd").status, CheckStatus::skip);
  EXPECT_EQ(find(checks, "bootloader").status, CheckStatus::warn);
  EXPECT_TRUE(has(find(checks, "iommu-cmdline").fix, "booted directly by its hypervisor"));
  EXPECT_TRUE(
      has(find(checks, "vfio-modules").fix, "no module tree at /lib/modules/6.18.44-fc-v445"));
  EXPECT_EQ(find(checks, "kvm").status, CheckStatus::pass);
  EXPECT_FALSE(summarize(checks).ready());
}

// ---------------------------------------------------------------------------
// On trees

std::string fixture(const std::string& name) {
  return std::string(PTAGENT_FIXTURES_DIR) + "/hosts/" + name;
}

TEST(ReadinessTree, Workstation) {
  Root root(fixture("workstation"));
  auto checks = check_readiness(root);
  expect_well_formed(checks, "workstation");
  EXPECT_TRUE(summarize(checks).ready());
  for (const auto& c : checks) EXPECT_NE(c.status, CheckStatus::fail) << c.id << ": " << c.evidence;
  EXPECT_EQ(find(checks, "iommu").status, CheckStatus::pass);
  EXPECT_EQ(find(checks, "vfio-modules").evidence,
            "vfio loaded, vfio_iommu_type1 loaded, vfio_pci loaded");
  EXPECT_TRUE(
      has(find(checks, "iommu-groups").evidence, "IOMMU groups under /sys/kernel/iommu_groups"));
}

TEST(ReadinessTree, ServerBuiltIn) {
  Root root(fixture("server"));
  auto checks = check_readiness(root);
  expect_well_formed(checks, "server");
  for (const auto& c : checks) {
    if (c.id == "iommufd") continue;  // 5.14: no /dev/iommu, optional
    EXPECT_EQ(c.status, CheckStatus::pass) << c.id << ": " << c.evidence;
  }
  EXPECT_EQ(find(checks, "iommufd").status, CheckStatus::skip);
  EXPECT_EQ(find(checks, "vfio-modules").evidence,
            "vfio built in, vfio_iommu_type1 built in, vfio_pci built in");
  EXPECT_TRUE(has(find(checks, "hugepages").evidence, "1024 hugepages"));
}

TEST(ReadinessTree, NoIommuFailsLikeThisMachine) {
  Root root(fixture("noiommu"));
  auto checks = check_readiness(root);
  expect_well_formed(checks, "noiommu");
  EXPECT_FALSE(summarize(checks).ready());
  const Check& iommu = find(checks, "iommu");
  EXPECT_EQ(iommu.status, CheckStatus::fail);
  EXPECT_TRUE(has(iommu.evidence, "virtual machine (hypervisor flag) without a virtual IOMMU"));
  EXPECT_TRUE(has(find(checks, "iommu-cmdline").fix, "GRUB_CMDLINE_LINUX_DEFAULT"));
  EXPECT_EQ(find(checks, "vfio-device").status, CheckStatus::fail);
}

TEST(ReadinessTree, RealRootIommuVerdictMatchesSysfs) {
  // Read-only on the real host: the IOMMU check must agree with what /sys shows.
  Root root("/");
  auto checks = check_readiness(root);
  expect_well_formed(checks, "real root");
  const bool on =
      !root.list("/sys/class/iommu").empty() && !root.list("/sys/kernel/iommu_groups").empty();
  const Check& iommu = find(checks, "iommu");
  EXPECT_EQ(iommu.status, on ? CheckStatus::pass : CheckStatus::fail) << iommu.evidence;
  if (!on) {
    EXPECT_FALSE(iommu.fix.empty());
  }
}

// A small host tree in a temp dir, removed at the end.
class TinyTree {
 public:
  TinyTree() {
    std::string tmpl = (fs::temp_directory_path() / "ptagent-readiness-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    fs::create_directories(dir_ / "sys");
  }
  ~TinyTree() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void write(const std::string& rel, const std::string& text) {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel, std::ios::binary) << text;
  }
  void mkdir(const std::string& rel) { fs::create_directories(dir_ / rel); }
  std::string dir() const { return dir_.string(); }

 private:
  fs::path dir_;
};

TEST(ReadinessTree, MissingProcFilesGiveSkipNotCrash) {
  TinyTree t;
  Root root(t.dir());
  auto checks = check_readiness(root);
  expect_well_formed(checks, "tiny");
  EXPECT_EQ(find(checks, "cpu").status, CheckStatus::skip);
  EXPECT_EQ(find(checks, "iommu-cmdline").status, CheckStatus::skip);
  EXPECT_EQ(find(checks, "hugepages").status, CheckStatus::skip);
}

TEST(ReadinessTree, GatherReadsBootModprobeAndModules) {
  TinyTree t;
  t.write("proc/cpuinfo", kIntelCpu);
  t.write("proc/cmdline", "ro intel_iommu=on\n");
  t.write("proc/sys/kernel/osrelease", "5.15.0-91-generic\n");
  t.write("etc/os-release", "ID=ubuntu\nID_LIKE=debian\n");
  t.write("etc/kernel/cmdline", "root=ZFS=rpool ro\n");
  t.write("etc/kernel/proxmox-boot-uuids", "1234\n");
  t.write("etc/default/grub", kDebianGrub);
  t.mkdir("sys/firmware/efi");
  t.mkdir("etc/initramfs-tools");
  t.write("etc/modprobe.d/vfio.conf",
          "# unsafe\noptions vfio-iommu-type1 allow_unsafe_interrupts=1\n");
  t.write("etc/modprobe.d/other.conf", "options kvm_intel nested=1\n");
  t.write("etc/modprobe.d/notes.txt", "options vfio_iommu_type1 allow_unsafe_interrupts=1\n");
  t.write("lib/modules/5.15.0-91-generic/modules.builtin", "kernel/drivers/vfio/vfio.ko\n");
  t.write("lib/modules/5.15.0-91-generic/modules.order", "kernel/drivers/vfio/pci/vfio-pci.ko\n");
  t.mkdir("sys/module/vfio_pci");
  t.mkdir("sys/class/iommu/dmar0");
  t.mkdir("sys/kernel/iommu_groups/0");
  t.mkdir("sys/kernel/iommu_groups/1");
  t.write("dev/kvm", "");
  Root root(t.dir());
  HostFacts f = gather_host_facts(root);
  EXPECT_TRUE(f.kernel_cmdline_file);
  EXPECT_TRUE(f.proxmox_boot);
  EXPECT_TRUE(f.uefi);
  EXPECT_TRUE(f.initramfs_tools);
  EXPECT_FALSE(f.dracut);
  EXPECT_TRUE(f.modules_dir);
  ASSERT_TRUE(f.modules_builtin);
  ASSERT_TRUE(f.modules_order);
  EXPECT_EQ(f.modprobe_unsafe, (std::vector<std::string>{"/etc/modprobe.d/vfio.conf"}));
  EXPECT_EQ(f.iommu_units, (std::vector<std::string>{"dmar0"}));
  EXPECT_EQ(f.iommu_groups, 2u);
  EXPECT_FALSE(f.dev_vfio);
  EXPECT_TRUE(f.dev_kvm);
  EXPECT_FALSE(f.unsafe_interrupts_param);

  auto checks = evaluate_readiness(f);
  EXPECT_TRUE(has(find(checks, "bootloader").evidence, "systemd-boot"));
  EXPECT_TRUE(has(find(checks, "bootloader").evidence, "proxmox-boot-tool refresh"));
  EXPECT_EQ(find(checks, "unsafe-interrupts").status, CheckStatus::warn);
  EXPECT_TRUE(has(find(checks, "unsafe-interrupts").fix, "/etc/modprobe.d/vfio.conf"));
  // vfio built in, vfio_pci "loaded", vfio_iommu_type1 missing.
  EXPECT_TRUE(has(find(checks, "vfio-modules").evidence, "vfio built in"));
  EXPECT_TRUE(has(find(checks, "vfio-modules").evidence, "built without vfio_iommu_type1"));
  EXPECT_EQ(find(checks, "vfio-virqfd").status, CheckStatus::skip);  // vfio_pci without virqfd
}

TEST(ReadinessTree, HostileReleaseDoesNotLeaveModulesDir) {
  TinyTree t;
  t.write("proc/sys/kernel/osrelease", "../../etc\n");
  t.write("etc/modules.builtin", "kernel/drivers/vfio/vfio.ko\n");
  Root root(t.dir());
  HostFacts f = gather_host_facts(root);
  EXPECT_FALSE(f.modules_dir);
  EXPECT_FALSE(f.modules_builtin);
  auto checks = evaluate_readiness(f);
  EXPECT_EQ(find(checks, "vfio-virqfd").status, CheckStatus::skip);
  EXPECT_EQ(find(checks, "vfio-modules").status, CheckStatus::fail);
}

}  // namespace

TEST(Readiness, IommufdIsOptional) {
  HostFacts f = good_intel();
  f.dev_iommu = true;
  Check c = find(evaluate_readiness(f), "iommufd");
  EXPECT_EQ(c.status, CheckStatus::pass);
  EXPECT_NE(c.evidence.find("/dev/iommu exists"), std::string::npos) << c.evidence;
  f.dev_iommu = false;
  c = find(evaluate_readiness(f), "iommufd");
  EXPECT_EQ(c.status, CheckStatus::skip);
  EXPECT_NE(c.evidence.find("no /dev/iommu"), std::string::npos) << c.evidence;
  // read from the host: the 6.8 host has it, the 6.1 workstation not
  EXPECT_TRUE(gather_host_facts(Root(test::fixture_host("cloud"))).dev_iommu);
  EXPECT_FALSE(gather_host_facts(Root(test::fixture_host("workstation"))).dev_iommu);
}
