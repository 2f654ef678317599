// check/postmortem: the known log lines (tests/fixtures/logs, with their sources), the part of a
// QEMU log since its last start, kmsg records, bounded reads and bad input.
#include "check/postmortem.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "host/device_findings.hpp"
#include "pci/health.hpp"
#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::TempHost;

namespace {

struct Known {
  std::string code, source, line;
};

std::vector<Known> known_lines() {
  std::ifstream in(std::string(PTAGENT_FIXTURES_DIR) + "/logs/known_lines.tsv");
  std::vector<Known> out;
  std::string row;
  while (std::getline(in, row)) {
    if (row.empty() || row[0] == '#') continue;
    const auto a = row.find('\t'), b = row.find('\t', a + 1);
    out.push_back({row.substr(0, a), row.substr(a + 1, b - a - 1), row.substr(b + 1)});
  }
  return out;
}

std::string kmsg(std::uint64_t usec, const std::string& msg, unsigned seq = 1) {
  return "3," + std::to_string(seq) + "," + std::to_string(usec) + ",-;" + msg + "\n";
}

}  // namespace

TEST(Postmortem, EveryKnownLineGivesItsCodeWithACauseAndAFix) {
  const auto lines = known_lines();
  ASSERT_GE(lines.size(), 20u);
  for (const auto& k : lines) {
    SCOPED_TRACE(k.line);
    const auto f = match_log_line(k.line, k.source, "6.1.0-13-amd64");
    if (k.code == "-") {
      EXPECT_FALSE(f) << f->code;
      continue;
    }
    ASSERT_TRUE(f);
    EXPECT_EQ(f->code, k.code);
    EXPECT_FALSE(f->cause.empty());
    EXPECT_FALSE(f->fix.empty());
    EXPECT_EQ(f->line, k.line);
    EXPECT_EQ(f->source, k.source);
  }
}

TEST(Postmortem, NamesTheDeviceAndTheGroup) {
  auto f = match_log_line(
      "qemu-system-x86_64: -device vfio-pci,host=0000:01:00.0,id=hostdev0: vfio 0000:01:00.0: "
      "group 1 is not viable",
      "qemu log");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->device, parse_pci_address("0000:01:00.0"));
  EXPECT_EQ(f->group, 1u);
  EXPECT_NE(f->fix.find("ptagent bind --group 0000:01:00.0"), std::string::npos);
  // The IOMMU drivers print bus:slot.fn only.
  f = match_log_line(
      "DMAR: [DMA Read NO_PASID] Request device [04:00.0] fault addr 0xfffff000 "
      "[fault reason 0x06] PTE Read access is not set",
      "kernel log");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->device, parse_pci_address("0000:04:00.0"));
  EXPECT_NE(f->cause.find("0xfffff000"), std::string::npos);
  f = match_log_line(
      "AMD-Vi: Event logged [IO_PAGE_FAULT device=04:00.0 domain=0x000d "
      "address=0xfffffffdf8000000 flags=0x0000]",
      "kernel log");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->device, parse_pci_address("0000:04:00.0"));
  f = match_log_line("DMAR: DRHD: handling fault status reg 2", "kernel log");
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->device);
}

// The fixes are the device findings' own, not a second copy of the rule.
TEST(Postmortem, ReusesTheFindingsFixes) {
  auto f = match_log_line(
      "vfio-pci 0000:01:00.0: BAR 0: can't reserve [mem 0xe0000000-0xefffffff "
      "64bit pref]",
      "kernel log", "6.1.0-13-amd64");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->fix, framebuffer_fix("6.1.0-13-amd64"));
  f = match_log_line("vfio-pci 0000:01:00.0: BAR 0: can't reserve [mem 0xe0000000-0xe0ffffff]",
                     "kernel log", "5.10.0-20-amd64");
  EXPECT_EQ(f->fix, framebuffer_fix("5.10.0-20-amd64"));
  EXPECT_NE(f->fix.find("video=efifb:off"), std::string::npos);
  f = match_log_line(
      "vfio-pci 0000:3d:00.0: 8086:37c8 exists in vfio-pci device denylist, driver "
      "probing disallowed.",
      "kernel log");
  EXPECT_EQ(f->fix, denylist_fix());
  f = match_log_line(
      "vfio-pci 0000:04:00.3: Unable to change power state from D3cold to D0, device inaccessible",
      "kernel log");
  EXPECT_EQ(f->fix, revive_fix("0000:04:00.3") + "; then " + keep_powered_fix("0000:04:00.3"));
  f = match_log_line("vfio-pci 0000:04:00.0: invalid power transition (from D3cold to D3hot)",
                     "kernel log");
  EXPECT_EQ(f->fix, keep_powered_fix("0000:04:00.0"));
  f = match_log_line("vfio-pci 0000:04:00.0: pci_irq_handler: Assertion `x' failed.", "qemu log");
  EXPECT_EQ(f->fix, garbled_config_fix("0000:04:00.0"));
}

TEST(Postmortem, SplitsLinesSkippingBinaryAndCuttingLongOnes) {
  std::string text = "one\r\n\n";
  text += std::string("bin\0ary", 7) + "\n";
  text += std::string(20, '\x01') + "\n";
  text += std::string(kMaxLogLine + 100, 'x') + "\ntwo";
  const LogLines l = split_log_lines(text);
  ASSERT_EQ(l.lines.size(), 3u);
  EXPECT_EQ(l.lines[0], "one");
  EXPECT_EQ(l.lines[1].size(), kMaxLogLine);
  EXPECT_EQ(l.lines[2], "two");
  EXPECT_EQ(l.binary_skipped, 2u);
  EXPECT_EQ(l.cut, 1u);
  // UTF-8 is text.
  EXPECT_EQ(split_log_lines("vfio 0000:04:00.0: 组 13 不可用\n").lines.size(), 1u);
}

TEST(Postmortem, TakesTheQemuLogSinceTheLastStart) {
  const std::string log =
      "2026-12-04 18:00:00.000+0000: starting up libvirt version: 9.0.0\n"
      "old: group 1 is not viable\n"
      "2026-12-04 18:00:05.000+0000: shutting down, reason=failed\n"
      "2026-12-04 19:32:54.120+0000: starting up libvirt version: 9.0.0, qemu version: 7.2.0\n"
      "LC_ALL=C /usr/bin/qemu-system-x86_64 -name guest=apu -device "
      "'{\"driver\":\"vfio-pci\",\"host\":\"0000:04:00.0\",\"id\":\"hostdev0\"}' -device "
      "vfio-pci,host=04:00.3,id=hostdev1\n"
      "new line\n";
  const QemuRun run = since_last_start(log);
  ASSERT_TRUE(run.started);
  EXPECT_EQ(*run.started, "2026-12-04 19:32:54.120+0000");
  EXPECT_EQ(run.text.find("old"), std::string_view::npos);
  EXPECT_NE(run.text.find("new line"), std::string_view::npos);
  EXPECT_EQ(qemu_log_devices(run.text),
            (std::vector<PciAddress>{parse_pci_address("0000:04:00.0"),
                                     parse_pci_address("0000:04:00.3")}));
  // No start line (a log rotated away, a hand-made file): all of it.
  EXPECT_FALSE(since_last_start("x: starting up\nline\n").started);
  EXPECT_EQ(since_last_start("line\n").text, "line\n");
}

TEST(Postmortem, ParsesLibvirtsTimestamps) {
  EXPECT_EQ(parse_libvirt_time("1970-01-01 00:00:10.000+0000"), 10);
  EXPECT_EQ(parse_libvirt_time("1970-01-01 01:00:10.000+0100"), 10);
  EXPECT_EQ(parse_libvirt_time("2026-12-04 19:32:54.120+0000"), 1796412774);
  for (const char* bad : {"", "2026-12-04", "2026-13-04 19:32:54.120+0000",
                          "2026-12-04 19:32:54.120+0000 trailing", "x: starting up"})
    EXPECT_FALSE(parse_libvirt_time(bad)) << bad;
}

TEST(Postmortem, ParsesKmsgRecords) {
  const std::string text = kmsg(5000000, "first") + " SUBSYSTEM=pci\n DEVICE=+pci:0000:04:00.0\n" +
                           "garbage without header\n" + "6,2,x,-;bad usec\n" +
                           kmsg(7000000, "second; with a semicolon", 3);
  const auto r = parse_kmsg(text);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].usec, 5000000u);
  EXPECT_EQ(r[0].message, "first");
  EXPECT_EQ(r[1].message, "second; with a semicolon");
}

TEST(Postmortem, ReadsBootTime) {
  TempHost h = TempHost::empty();
  EXPECT_FALSE(boot_time(h.root()));
  h.put("/proc/stat", "cpu  1 2 3\nbtime 1796400000\nprocesses 5\n");
  EXPECT_EQ(boot_time(h.root()), 1796400000);
  h.put("/proc/stat", "btime garbage\n");
  EXPECT_FALSE(boot_time(h.root()));
}

TEST(Postmortem, ReadsOnlyTheTailOfAHugeLog) {
  TempHost h = TempHost::empty();
  std::string big(3000, 'a');
  big += "\nsecond line\nlast line\n";
  h.put("/var/log/x.log", big);
  LogRead r = read_log(h.root(), "/var/log/x.log", 20);
  ASSERT_TRUE(r.text);
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(*r.text, "last line\n");  // the partial first line dropped
  r = read_log(h.root(), "/var/log/x.log");
  EXPECT_FALSE(r.truncated);
  EXPECT_EQ(r.text->size(), big.size());
}

TEST(Postmortem, ReadErrorsAreSaidNotThrown) {
  TempHost h = TempHost::empty();
  LogRead r = read_log(h.root(), "/var/log/libvirt/qemu/none.log");
  EXPECT_FALSE(r.text);
  EXPECT_EQ(r.error, "No such file or directory");
  h.put("/var/log/d/x", "");
  r = read_log(h.root(), "/var/log/d");
  EXPECT_FALSE(r.text);
  EXPECT_EQ(r.error, "is a directory");
  if (::geteuid() != 0) {
    h.put("/dev/kmsg", "x");
    ::chmod(h.real("/dev/kmsg").c_str(), 0);
    r = read_log(h.root(), "/dev/kmsg");
    EXPECT_FALSE(r.text);
    EXPECT_EQ(r.error, "Permission denied");
  }
  // A character device that never ends: bounded, binary lines skipped.
  Root sys("/");
  r = read_log(sys, "/dev/zero", 1u << 16);
  ASSERT_TRUE(r.text);
  EXPECT_LE(r.text->size(), 1u << 16);
  EXPECT_TRUE(split_log_lines(*r.text).lines.empty());
}

TEST(Postmortem, DiagnoseKeepsKernelLinesSinceTheStartAboutTheDevices) {
  DoctorInput in;
  in.qemu = LogRead{"/q.log",
                    "2026-12-04 19:32:54.120+0000: starting up libvirt version: 9.0.0\n"
                    "-device vfio-pci,host=0000:04:00.0,id=hostdev0\n"
                    "kvm: ../hw/pci/pci.c:1487: pci_irq_handler: Assertion `0 <= irq_num && "
                    "irq_num < PCI_NUM_PINS' failed.\n"
                    "kvm: ../hw/pci/pci.c:1487: pci_irq_handler: Assertion `again' failed.\n",
                    "", false};
  in.boot_time = 1796412774 - 100;  // booted 100 s before the start
  std::string k;
  k += kmsg(50000000, "vfio-pci 0000:04:00.0: invalid power transition (from D3cold to D3hot)");
  k += kmsg(100500000,
            "vfio-pci 0000:04:00.6: can't change power state from D3hot to D0 (config "
            "space inaccessible)");
  k += kmsg(101000000, "vfio-pci 0000:09:00.0: not ready 65535ms after FLR; giving up");
  k += kmsg(102000000, "DMAR: DRHD: handling fault status reg 2");
  in.kmsg = LogRead{"/dev/kmsg", k, "", false};
  in.devices = {parse_pci_address("0000:04:00.0"), parse_pci_address("0000:04:00.6")};
  const DoctorReport r = diagnose(in);
  EXPECT_TRUE(r.kernel_since_start);
  ASSERT_EQ(r.findings.size(), 3u);
  EXPECT_EQ(r.findings[0].code, "intx-pin-invalid");     // once, the repeat folded
  EXPECT_EQ(r.findings[1].code, "config-inaccessible");  // the D3cold line was before the start
  EXPECT_EQ(r.findings[2].code, "dmar-fault");           // names no device, but since the start
  EXPECT_EQ(r.named, (std::vector<PciAddress>{parse_pci_address("0000:04:00.0"),
                                              parse_pci_address("0000:04:00.6")}));
  EXPECT_TRUE(r.last_lines.empty());
}

TEST(Postmortem, DiagnoseWithoutMatchesShowsTheLastLines) {
  DoctorInput in;
  std::string q;
  for (int i = 0; i < 30; ++i) q += "line " + std::to_string(i) + "\n";
  in.qemu = LogRead{"/q.log", q, "", true};
  in.kmsg = LogRead{"/dev/kmsg", std::nullopt, "Permission denied", false};
  const DoctorReport r = diagnose(in);
  EXPECT_TRUE(r.findings.empty());
  ASSERT_EQ(r.last_lines.size(), 10u);
  EXPECT_EQ(r.last_lines.back(), "line 29");
  EXPECT_FALSE(r.kernel_since_start);
  const std::string notes = ::testing::PrintToString(r.notes);
  EXPECT_NE(notes.find("kernel log /dev/kmsg: Permission denied"), std::string::npos) << notes;
  EXPECT_NE(notes.find("only its last 4 MiB read"), std::string::npos) << notes;
  EXPECT_NE(notes.find("no 'starting up' line"), std::string::npos) << notes;
}

TEST(Postmortem, DiagnoseReadsDmesgTextAndFiltersByDevice) {
  DoctorInput in;
  in.kmsg = LogRead{"dmesg.txt",
                    "[65452.491662] vfio-pci 0000:04:00.6: can't change power state from D3hot "
                    "to D0 (config space inaccessible)\n"
                    "[65452.5] DMAR: DRHD: handling fault status reg 2\n"
                    "[65453.530129] vfio-pci 0000:05:00.0: invalid power transition (from D3cold "
                    "to D3hot)\n",
                    "", false};
  in.devices = {parse_pci_address("0000:04:00.6")};
  const DoctorReport r = diagnose(in);
  ASSERT_EQ(r.findings.size(), 1u);  // no time window: a line naming no device is no evidence
  EXPECT_EQ(r.findings[0].device, parse_pci_address("0000:04:00.6"));
  in.devices.clear();  // nothing to filter by: every known line
  EXPECT_EQ(diagnose(in).findings.size(), 3u);
}
