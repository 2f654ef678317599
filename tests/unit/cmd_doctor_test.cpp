// ptagent doctor: the seed-002 failure on its simulated host (tests/fixtures/hosts/apu, with a QEMU
// log and a kernel log put into a copy), a device's view, nothing matched, and the bad input.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "support/cli_runner.hpp"
#include "support/temp_host.hpp"

using ptagent::test::expect_cli_failures;
using ptagent::test::expect_golden;
using ptagent::test::run_cli;
using ptagent::testing::TempHost;

namespace {

// libvirt 9.0's QEMU log of a guest started twice; the second start is the one that failed
// (QEMU's assertion from seed 002).
const char* const kQemuLog =
    "2026-12-04 18:10:00.000+0000: starting up libvirt version: 9.0.0, package: 9.0.0-4 (Debian), "
    "qemu version: 7.2.0Debian 1:7.2+dfsg-7, kernel: 6.1.0-13-amd64, hostname: apu\n"
    "qemu-system-x86_64: -device vfio-pci,host=0000:01:00.0,id=hostdev0: vfio 0000:01:00.0: group "
    "2 is not viable\n"
    "2026-12-04 18:10:01.000+0000: shutting down, reason=failed\n"
    "2026-12-04 19:32:54.120+0000: starting up libvirt version: 9.0.0, package: 9.0.0-4 (Debian), "
    "qemu version: 7.2.0Debian 1:7.2+dfsg-7, kernel: 6.1.0-13-amd64, hostname: apu\n"
    "LC_ALL=C PATH=/usr/bin HOME=/var/lib/libvirt/qemu/domain-2-win10 /usr/bin/qemu-system-x86_64 "
    "-name guest=win10,debug-threads=on -machine pc-q35-7.2 -device "
    "'{\"driver\":\"vfio-pci\",\"host\":\"0000:04:00.3\",\"id\":\"hostdev0\",\"bus\":\"pci.5\"}' "
    "-device '{\"driver\":\"vfio-pci\",\"host\":\"0000:04:00.4\",\"id\":\"hostdev1\"}' -device "
    "'{\"driver\":\"vfio-pci\",\"host\":\"0000:04:00.6\",\"id\":\"hostdev2\"}'\n"
    "char device redirected to /dev/pts/3 (label charserial0)\n"
    "kvm: ../hw/pci/pci.c:1487: pci_irq_handler: Assertion `0 <= irq_num && irq_num < "
    "PCI_NUM_PINS' failed.\n"
    "2026-12-04 19:32:56.830+0000: shutting down, reason=crashed\n";

// The host booted 65450 s before that start; seed 002's dmesg lines at their times, one line
// from long before (filtered out) and one about a device the guest does not have.
const long long kBootTime = 1796412774 - 65450;

std::string kmsg_record(unsigned seq, const char* usec, const char* msg) {
  return std::string("3,") + std::to_string(seq) + "," + usec + ",-;" + msg + "\n";
}

std::string kernel_log() {
  std::string k;
  k += kmsg_record(1, "5000000",
                   "vfio-pci 0000:04:00.3: BAR 0: can't reserve [mem 0xfd000000-0xfd0fffff 64bit]");
  k += kmsg_record(2, "65452491635",
                   "ACPI Error: Aborting method \\M276 due to previous error (AE_AML_LOOP_TIMEOUT) "
                   "(20210730/psparse-529)");
  k += " SUBSYSTEM=acpi\n";
  k += kmsg_record(3, "65452491652", "acpi device:16: Failed to change power state to D0");
  k += kmsg_record(4, "65452491662",
                   "vfio-pci 0000:04:00.6: can't change power state from D3hot to D0 (config "
                   "space inaccessible)");
  k += " SUBSYSTEM=pci\n DEVICE=+pci:0000:04:00.6\n";
  k += kmsg_record(5, "65452492347",
                   "vfio-pci 0000:04:00.7: can't change power state from D3hot to D0 (config "
                   "space inaccessible)");
  k += kmsg_record(6, "65453530129",
                   "vfio-pci 0000:04:00.3: invalid power transition (from D3cold to D3hot)");
  k += kmsg_record(7, "65453530139",
                   "vfio-pci 0000:04:00.0: invalid power transition (from D3cold to D3hot)");
  return k;
}

TempHost seed_host() {
  TempHost h = TempHost::copy_of("apu");
  h.put("/var/log/libvirt/qemu/win10.log", kQemuLog);
  h.put("/dev/kmsg", kernel_log());
  h.put("/proc/stat", "cpu  1 2 3 4\nbtime " + std::to_string(kBootTime) + "\nprocesses 9\n");
  return h;
}

}  // namespace

TEST(Doctor, NamesTheSeed002Failure) {
  TempHost h = seed_host();
  auto text = run_cli({"--root", h.dir(), "doctor", "win10"});
  EXPECT_EQ(text.code, 0) << text.err;
  EXPECT_EQ(text.err, "");
  expect_golden("doctor/apu-win10.txt", text.out);
  auto json = run_cli({"--root", h.dir(), "--json", "doctor", "win10"});
  EXPECT_EQ(json.code, 0);
  expect_golden("doctor/apu-win10.json", json.out);
  const auto j = nlohmann::json::parse(json.out);
  std::vector<std::string> codes;
  for (const auto& f : j["findings"]) codes.push_back(f["code"]);
  // Not the first start's group, not the BAR line from boot, not 04:00.0 or 04:00.7.
  EXPECT_EQ(codes, (std::vector<std::string>{"intx-pin-invalid", "config-inaccessible",
                                             "invalid-power-transition"}));
  EXPECT_TRUE(j["kernel_since_start"]);
}

TEST(Doctor, ADeviceGetsTheKernelLinesNamingIt) {
  TempHost h = seed_host();
  auto r = run_cli({"--root", h.dir(), "doctor", "04:00.0"});
  EXPECT_EQ(r.code, 0) << r.err;
  expect_golden("doctor/apu-04_00.0.txt", r.out);
  // Another kernel log, as dmesg prints it.
  h.put("/tmp/dmesg.txt",
        "[  1.0] vfio-pci 0000:01:00.0: BAR 0: can't reserve [mem 0xe0000000-0xefffffff 64bit "
        "pref]\n");
  r = run_cli({"--root", h.dir(), "doctor", "0000:01:00.0", "--kmsg", h.real("/tmp/dmesg.txt")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("[bar-reserve]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("initcall_blacklist=sysfb_init"), std::string::npos) << r.out;
}

TEST(Doctor, NothingMatchedExitsThreeWithTheLastLines) {
  TempHost h = seed_host();
  h.put("/var/log/libvirt/qemu/quiet.log",
        "2026-12-04 19:32:54.120+0000: starting up libvirt version: 9.0.0\n"
        "qemu-system-x86_64: terminating on signal 15 from pid 1234 (/usr/sbin/libvirtd)\n");
  h.put("/dev/kmsg", "");
  auto r = run_cli({"--root", h.dir(), "doctor", "quiet"});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.out.find("Nothing in the logs matched a known failure."), std::string::npos);
  EXPECT_NE(r.out.find("  qemu-system-x86_64: terminating on signal 15"), std::string::npos);
}

TEST(Doctor, BadInput) {
  TempHost h = seed_host();
  expect_cli_failures(
      h.dir(), {
                   {{"doctor"}, 2, "needs a DOMAIN or a DEVICE"},
                   {{"doctor", "win10", "--bogus"}, 2, "--bogus"},
                   {{"doctor", "a/b"}, 2, "neither a PCI device nor a domain"},
                   {{"doctor", "nosuch"}, 1, "/var/log/libvirt/qemu/nosuch.log"},
                   {{"doctor", "win10", "--log", "/nonexistent/x.log"}, 1, "/nonexistent/x.log"},
               });
  // A huge binary log: only its tail is read, the binary lines are skipped; no crash.
  std::string junk;
  for (int i = 0; i < 6 * 1024; ++i) junk += std::string(1023, static_cast<char>(i % 7)) + "\n";
  h.put("/var/log/libvirt/qemu/junk.log", junk);
  auto r = run_cli({"--root", h.dir(), "doctor", "junk"});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.out.find("only its last 4 MiB read"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("binary line(s) skipped"), std::string::npos) << r.out;
  // Neither its devices nor its start known: the kernel's lines say nothing about it.
  EXPECT_NE(r.out.find("not used, neither the domain's devices"), std::string::npos) << r.out;
  // An unreadable kernel log is said, and the QEMU log still counts.
  if (::geteuid() != 0) {
    ::chmod(h.real("/dev/kmsg").c_str(), 0);
    r = run_cli({"--root", h.dir(), "doctor", "win10"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("Note: kernel log /dev/kmsg: Permission denied"), std::string::npos)
        << r.out;
  }
  r = run_cli({"--root", h.dir(), "doctor", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--kmsg"), std::string::npos);
}
