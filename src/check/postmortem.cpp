// GCC 12 with -fsanitize=address warns maybe-uninitialized inside libstdc++'s <regex> (a
// std::function moved in _NFA::_M_insert_subexpr_end): a false positive in the library, not here.
// Set before any include so the headers' own lines are covered.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "check/postmortem.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <regex>

#include "host/device_findings.hpp"
#include "pci/health.hpp"
#include "sysfs/host_paths.hpp"
#include "util/fd.hpp"

namespace ptagent {

namespace {

bool binary_line(std::string_view line) {
  std::size_t control = 0;
  for (const char ch : line) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) return true;
    if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) ++control;
  }
  return control * 8 > line.size();
}

// "04:00.0" (the IOMMU drivers', QEMU's host= short form) is in PCI domain 0000.
std::optional<PciAddress> full_form(const std::string& a) {
  return try_parse_pci_address(a.size() == 7 ? "0000:" + a : a);
}

std::optional<PciAddress> address_in(const std::string& text, const std::regex& re) {
  std::smatch m;
  if (!std::regex_search(text, m, re)) return std::nullopt;
  return full_form(m[1].str());
}

const std::regex& full_address() {
  static const std::regex re(R"(\b([0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])\b)");
  return re;
}

// The device a line names: a full address (kernel "vfio-pci 0000:04:00.0: …", QEMU "vfio
// 0000:04:00.0: …"), else the bus:slot.fn the IOMMU drivers print ("[04:00.0]", "device=04:00.0").
std::optional<PciAddress> device_of(const std::string& line) {
  if (auto a = address_in(line, full_address())) return a;
  static const std::regex short_re(R"((?:\[|device=)([0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])\b)");
  return address_in(line, short_re);
}

std::string dev_name(const std::optional<PciAddress>& a) {
  return a ? a->to_string() : std::string("the device");
}

std::string dev_arg(const std::optional<PciAddress>& a) {
  return a ? a->to_string() : std::string("DEVICE");
}

std::string reset_fix(const std::optional<PciAddress>& a) {
  const std::string dir = pci_device_dir(dev_arg(a));
  return "'ptagent probe " + dev_arg(a) +
         "' shows how the device can be reset; try another method ('cat " + dir +
         "/reset_method', then e.g. 'echo bus > " + dir +
         "/reset_method'; AMD GPUs need vendor-reset and 'device_specific'); the device comes "
         "back only after a power-cycle of the host";
}

std::string dma_fault_fix(const std::optional<PciAddress>& a) {
  return "usually the device was not reset cleanly before the guest took it, or the guest's "
         "driver is at fault: 'ptagent probe " +
         dev_arg(a) +
         "' checks its reset; a device the firmware also uses (an RMRR in 'dmesg | grep -i "
         "rmrr') cannot be assigned safely; faults already at host boot point at the firmware";
}

std::string power_fix(const std::optional<PciAddress>& a) {
  return revive_fix(dev_arg(a)) + "; then " + keep_powered_fix(dev_arg(a));
}

}  // namespace

LogLines split_log_lines(std::string_view text) {
  LogLines out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.size() > kMaxLogLine) {
      line = line.substr(0, kMaxLogLine);
      ++out.cut;
    }
    if (binary_line(line)) {
      ++out.binary_skipped;
      continue;
    }
    out.lines.emplace_back(line);
  }
  return out;
}

std::optional<LogFinding> match_log_line(std::string_view line_view, std::string_view source,
                                         const std::string& kernel_release) {
  // Most lines are none of these: a plain search first, the regexes only after.
  static constexpr std::string_view kKeys[] = {
      "is not viable", "can't reserve", "not ready", "power state", "power transition",
      "denylist",      "INTx",          "intx",      "INTX",        "pci_irq_handler",
      "DMAR:",         "IO_PAGE_FAULT"};
  if (std::none_of(std::begin(kKeys), std::end(kKeys),
                   [&](std::string_view k) { return line_view.find(k) != std::string_view::npos; }))
    return std::nullopt;
  const std::string line(line_view.substr(0, kMaxLogLine));
  auto has = [&](const char* s) { return line.find(s) != std::string::npos; };
  std::smatch m;
  LogFinding f;
  f.line = line;
  f.source = std::string(source);
  f.device = device_of(line);
  const std::string dev = dev_name(f.device);

  if (has("is not viable")) {
    // QEMU 7.2 hw/vfio/common.c vfio_get_group(); QEMU < 2.1: "vfio: error, group N is not viable"
    static const std::regex re(R"(group (\d+) is not viable)");
    if (!std::regex_search(line, m, re)) return std::nullopt;
    f.group = static_cast<unsigned>(std::stoul(m[1].str()));
    const std::string g = m[1].str();
    f.code = "group-not-viable";
    f.cause = "IOMMU group " + g +
              " is not viable: a device in it is still bound to a host driver, so VFIO cannot "
              "give the group to QEMU";
    f.fix = "bind every endpoint of group " + g +
            " to vfio-pci or give them all to the guest: 'ptagent show " + dev_arg(f.device) +
            "' lists the members, 'ptagent bind --group " + dev_arg(f.device) +
            "' binds them; or let ptagent's hook prepare the domain ('ptagent hook install')";
    return f;
  }
  if (has("can't reserve")) {
    // Linux 6.1 drivers/pci/pci.c __pci_request_region(): "BAR %d: can't reserve %pR"
    static const std::regex re(R"(BAR (\d+): can't reserve (\[[^\]]*\]))");
    if (!std::regex_search(line, m, re)) return std::nullopt;
    f.code = "bar-reserve";
    f.cause = "the kernel could not reserve BAR " + m[1].str() + " " + m[2].str() + " of " + dev +
              ": another driver holds the range, usually the boot framebuffer (BOOTFB, efifb, "
              "simple-framebuffer) of the GPU the host booted on";
    f.fix = framebuffer_fix(kernel_release);
    return f;
  }
  if (has("not ready") && has("; giving up")) {
    // Linux 6.1 drivers/pci/pci.c pci_dev_wait(): "not ready %dms after %s; giving up"
    static const std::regex re(R"(not ready (\d+)ms after ([^;]+); giving up)");
    if (!std::regex_search(line, m, re)) return std::nullopt;
    f.code = "reset-timeout";
    f.cause = dev + " did not answer " + m[1].str() + " ms after its " + m[2].str() +
              ": the reset left it dead (a reset the device does not really support, or the "
              "AMD reset bug)";
    f.fix = reset_fix(f.device);
    return f;
  }
  if (has("Unable to change power state from") && has("device inaccessible")) {
    // Linux 6.1 drivers/pci/pci.c pci_power_up() / pci_set_low_power_state()
    static const std::regex re(R"(Unable to change power state from (\w+) to (\w+))");
    if (!std::regex_search(line, m, re)) return std::nullopt;
    f.code = "power-up-failed";
    f.cause = dev + " could not be brought from " + m[1].str() + " to " + m[2].str() +
              ": it no longer answers (its config space reads all ones, lspci: rev ff)";
    f.fix = power_fix(f.device);
    return f;
  }
  if (has("(config space inaccessible)")) {
    // Linux < 5.19 drivers/pci/pci.c pci_raw_set_power_state() (the seed-002 host's kernel)
    static const std::regex re(R"(can't change power state from (\w+) to (\w+))");
    if (!std::regex_search(line, m, re)) return std::nullopt;
    f.code = "config-inaccessible";
    f.cause = dev + " could not be brought from " + m[1].str() + " to " + m[2].str() +
              ": its config space is inaccessible (reads all ones, lspci: rev ff), it had lost "
              "power";
    f.fix = power_fix(f.device);
    return f;
  }
  if (has("invalid power transition")) {
    // Linux 6.1 drivers/pci/pci.c pci_set_low_power_state(): "invalid power transition (from %s to
    // %s)"
    static const std::regex re(R"(invalid power transition \(from (\w+) to (\w+)\))");
    if (!std::regex_search(line, m, re)) return std::nullopt;
    f.code = "invalid-power-transition";
    f.cause = "the kernel found " + dev + " in " + m[1].str() + " when it moved it to " +
              m[2].str() + ": the device had lost power while it idled";
    f.fix = keep_powered_fix(dev_arg(f.device));
    return f;
  }
  if (has("Refused to change power state")) {
    // Linux 6.1 drivers/pci/pci.c pci_set_low_power_state() / pci_power_up()
    f.code = "power-refused";
    f.cause = dev +
              " refused a power-state change: its power management does not do what the "
              "kernel asks";
    f.fix = keep_powered_fix(dev_arg(f.device));
    return f;
  }
  if (has("exists in vfio-pci device denylist")) {
    // Linux 6.1 drivers/vfio/pci/vfio_pci.c vfio_pci_is_denylisted()
    f.code = "vfio-denylist";
    f.cause = dev +
              " is in vfio-pci's device denylist (known errata a guest could exploit): "
              "vfio-pci refused to take it";
    f.fix = denylist_fix();
    return f;
  }
  {
    std::string lower = line;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower.find("failed to setup intx") != std::string::npos) {
      // QEMU 7.2 hw/vfio/pci.c vfio_intx_enable(): "failed to setup INTx fd"
      f.code = "intx-setup-failed";
      f.cause = "QEMU could not set up the legacy interrupt (INTx) of " + dev +
                " through VFIO: the interrupt line is shared with a host device and cannot be "
                "masked, or the pin is invalid";
      f.fix = "'ptagent show " + dev_arg(f.device) +
              "' (an invalid interrupt pin is a finding there); a shared line (see "
              "/proc/interrupts): move the card to another slot, or let the guest's driver use "
              "MSI";
      return f;
    }
  }
  if (has("pci_irq_handler: Assertion")) {
    // QEMU 7.2 hw/pci/pci.c pci_irq_handler(): assert(0 <= irq_num && irq_num < PCI_NUM_PINS)
    f.code = "intx-pin-invalid";
    f.cause =
        "QEMU aborted: a passed-through device raised an interrupt on a pin outside "
        "INTA-INTD; its config space is garbled (seed 002: a device that lost power reads "
        "all ones, interrupt pin 0xff)";
    f.fix = f.device ? garbled_config_fix(f.device->to_string())
                     : "'ptagent show' each device of the domain: the one with the finding "
                       "intx-pin-invalid or config-inaccessible is the cause; " +
                           garbled_config_fix("DEVICE");
    return f;
  }
  if (has("DMAR:") && (has("Request device [") || has("DRHD: handling fault status reg"))) {
    // Linux 6.1 drivers/iommu/intel/dmar.c dmar_fault_do_one(), dmar_fault()
    f.code = "dmar-fault";
    static const std::regex re(R"(fault addr (0x[0-9a-fA-F]+|[0-9a-fA-F]+))");
    const std::string addr = std::regex_search(line, m, re) ? " at " + m[1].str() : "";
    f.cause = f.device ? "Intel VT-d blocked a DMA of " + dev + addr +
                             ", outside what the IOMMU maps for it"
                       : "Intel VT-d blocked a DMA (the DMAR line after this one names the "
                         "device)";
    f.fix = dma_fault_fix(f.device);
    return f;
  }
  if (has("IO_PAGE_FAULT")) {
    // Linux 6.1 drivers/iommu/amd/iommu.c amd_iommu_report_page_fault()
    f.code = "amd-vi-page-fault";
    static const std::regex re(R"(address=(0x[0-9a-fA-F]+))");
    const std::string addr = std::regex_search(line, m, re) ? " at " + m[1].str() : "";
    f.cause = "the AMD IOMMU blocked a DMA of " + dev + addr + ", outside what it maps for it";
    f.fix = dma_fault_fix(f.device);
    return f;
  }
  return std::nullopt;
}

QemuRun since_last_start(std::string_view log) {
  QemuRun run{log, std::nullopt};
  static constexpr std::string_view kMark = ": starting up";
  std::size_t at = log.rfind(kMark);
  while (at != std::string_view::npos) {
    const std::size_t bol = at == 0 ? 0 : log.rfind('\n', at - 1);
    const std::size_t start = bol == std::string_view::npos ? 0 : (at == 0 ? 0 : bol + 1);
    const std::string_view stamp = log.substr(start, at - start);
    if (parse_libvirt_time(stamp)) {
      run.started = std::string(stamp);
      const std::size_t eol = log.find('\n', at);
      run.text = eol == std::string_view::npos ? std::string_view{} : log.substr(eol + 1);
      return run;
    }
    if (at == 0) break;
    at = log.rfind(kMark, at - 1);
  }
  return run;
}

std::optional<std::int64_t> parse_libvirt_time(std::string_view stamp) {
  if (stamp.size() > 64) return std::nullopt;
  const std::string s(stamp);
  std::tm tm{};
  int ms = 0;
  char sign = '+';
  int off = 0;
  int used = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d %2d:%2d:%2d.%3d%c%4d%n", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &sign, &off, &used) != 9 ||
      static_cast<std::size_t>(used) != s.size() || (sign != '+' && sign != '-'))
    return std::nullopt;
  if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::int64_t t = timegm(&tm);
  const std::int64_t offset = (off / 100) * 3600 + (off % 100) * 60;
  return sign == '+' ? t - offset : t + offset;
}

std::vector<PciAddress> qemu_log_devices(std::string_view text) {
  static const std::regex re(
      R"(host(?:=|"\s*:\s*")((?:[0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]))");
  std::vector<PciAddress> out;
  for (const auto& line : split_log_lines(text).lines) {
    if (line.find("host") == std::string::npos) continue;
    for (std::sregex_iterator it(line.begin(), line.end(), re), end; it != end; ++it) {
      auto a = full_form((*it)[1].str());
      if (a && std::find(out.begin(), out.end(), *a) == out.end()) out.push_back(*a);
    }
  }
  return out;
}

std::vector<KmsgRecord> parse_kmsg(std::string_view text) {
  std::vector<KmsgRecord> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || line.front() == ' ') continue;  // a continuation (KEY=value)
    const std::size_t semi = line.find(';');
    if (semi == std::string_view::npos || semi > 64) continue;
    const std::string header(line.substr(0, semi));
    unsigned long long prio = 0, seq = 0, usec = 0;
    if (std::sscanf(header.c_str(), "%llu,%llu,%llu", &prio, &seq, &usec) != 3) continue;
    out.push_back({usec, std::string(line.substr(semi + 1))});
  }
  return out;
}

std::optional<std::int64_t> boot_time(const Root& root) {
  const auto stat = root.read(kProcStat, 1u << 20);
  if (!stat) return std::nullopt;
  const std::size_t at = stat->find("\nbtime ");
  if (at == std::string::npos) return std::nullopt;
  long long t = 0;
  if (std::sscanf(stat->c_str() + at + 7, "%lld", &t) != 1 || t <= 0) return std::nullopt;
  return t;
}

LogRead read_log(const Root& root, const std::string& path, std::size_t max_bytes) {
  LogRead r;
  r.path = path;
  Fd fd(root.open_in_root(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    r.error = std::strerror(-fd.get());
    return r;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    r.error = std::strerror(errno);
    return r;
  }
  if (S_ISDIR(st.st_mode)) {
    r.error = "is a directory";
    return r;
  }
  std::string out;
  char buf[8192];
  if (S_ISREG(st.st_mode)) {
    const auto size = static_cast<std::size_t>(st.st_size);
    if (size > max_bytes) {
      if (::lseek(fd.get(), static_cast<off_t>(size - max_bytes), SEEK_SET) < 0) {
        r.error = std::strerror(errno);
        return r;
      }
      r.truncated = true;
    }
    while (out.size() < max_bytes) {
      const ssize_t n = ::read(fd.get(), buf, std::min(sizeof buf, max_bytes - out.size()));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        r.error = std::strerror(errno);
        return r;
      }
      if (n == 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    if (r.truncated) {
      const std::size_t nl = out.find('\n');
      out.erase(0, nl == std::string::npos ? out.size() : nl + 1);
    }
    r.text = std::move(out);
    return r;
  }
  // /dev/kmsg: one record a read, EAGAIN at the end, EPIPE when records were overwritten. Any
  // other device is read no further than 16 times the bound, keeping the newest text.
  std::size_t total = 0;
  while (total < 16 * max_bytes) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EPIPE)) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0) {
      if (total == 0) {
        r.error = std::strerror(errno);
        return r;
      }
      break;
    }
    if (n == 0) break;
    if (buf[n - 1] != '\n' && S_ISCHR(st.st_mode)) {
      out.append(buf, static_cast<std::size_t>(n));
      out.push_back('\n');
    } else {
      out.append(buf, static_cast<std::size_t>(n));
    }
    total += static_cast<std::size_t>(n);
    if (out.size() > 2 * max_bytes) {
      out.erase(0, out.size() - max_bytes);
      r.truncated = true;
    }
  }
  if (out.size() > max_bytes) {
    out.erase(0, out.size() - max_bytes);
    r.truncated = true;
  }
  if (r.truncated) {
    const std::size_t nl = out.find('\n');
    out.erase(0, nl == std::string::npos ? out.size() : nl + 1);
  }
  r.text = std::move(out);
  return r;
}

namespace {

void note_lines(const LogLines& l, const std::string& what, std::vector<std::string>& notes) {
  if (l.binary_skipped)
    notes.push_back(what + ": " + std::to_string(l.binary_skipped) + " binary line(s) skipped");
  if (l.cut)
    notes.push_back(what + ": " + std::to_string(l.cut) + " line(s) longer than " +
                    std::to_string(kMaxLogLine) + " bytes cut");
}

void add_finding(DoctorReport& r, LogFinding f) {
  for (const auto& g : r.findings)
    if (g.code == f.code && g.device == f.device && g.source == f.source) return;  // repeats
  if (f.device && std::find(r.named.begin(), r.named.end(), *f.device) == r.named.end())
    r.named.push_back(*f.device);
  r.findings.push_back(std::move(f));
}

void keep_last(std::vector<std::string>& last, const std::vector<std::string>& lines) {
  const std::size_t from = lines.size() > 10 ? lines.size() - 10 : 0;
  last.assign(lines.begin() + static_cast<std::ptrdiff_t>(from), lines.end());
}

}  // namespace

DoctorReport diagnose(const DoctorInput& in) {
  DoctorReport r;
  std::vector<std::string> qemu_lines, kernel_lines;
  if (in.qemu) {
    if (!in.qemu->text) {
      r.notes.push_back("QEMU log " + in.qemu->path + ": " + in.qemu->error);
    } else {
      const QemuRun run = since_last_start(*in.qemu->text);
      r.started = run.started;
      if (in.qemu->truncated)
        r.notes.push_back("QEMU log " + in.qemu->path + ": only its last " +
                          std::to_string(kMaxLogBytes >> 20) + " MiB read");
      if (!run.started)
        r.notes.push_back("QEMU log " + in.qemu->path +
                          ": no 'starting up' line, the whole text was read");
      r.named = qemu_log_devices(run.text);
      LogLines l = split_log_lines(run.text);
      note_lines(l, "QEMU log", r.notes);
      for (const auto& line : l.lines)
        if (auto f = match_log_line(line, "qemu log", in.kernel_release))
          add_finding(r, std::move(*f));
      qemu_lines = std::move(l.lines);
    }
  }

  if (!in.kmsg.text) {
    r.notes.push_back("kernel log " + in.kmsg.path + ": " + in.kmsg.error);
  } else {
    if (in.kmsg.truncated)
      r.notes.push_back("kernel log " + in.kmsg.path + ": only its last " +
                        std::to_string(kMaxLogBytes >> 20) + " MiB read");
    std::vector<KmsgRecord> records = parse_kmsg(*in.kmsg.text);
    const bool plain = records.empty();  // not kmsg records: dmesg's text, one line each
    if (plain) {
      for (auto& line : split_log_lines(*in.kmsg.text).lines) records.push_back({0, line});
    }
    std::optional<std::uint64_t> since;
    if (!plain && r.started && in.boot_time) {
      if (const auto t = parse_libvirt_time(*r.started); t && *t >= *in.boot_time) {
        const auto start_us = static_cast<std::uint64_t>(*t - *in.boot_time) * 1000000u;
        since = start_us > 1000000u ? start_us - 1000000u : 0;  // a second of slack
        r.kernel_since_start = true;
      }
    }
    LogLines all;
    for (const auto& rec : records) {
      if (since && rec.usec < *since) continue;
      LogLines l = split_log_lines(rec.message);
      all.binary_skipped += l.binary_skipped;
      all.cut += l.cut;
      for (auto& line : l.lines) all.lines.push_back(std::move(line));
    }
    note_lines(all, "kernel log", r.notes);
    // A domain whose devices and start time are both unknown: no kernel line is evidence for it.
    const bool unrelated = in.qemu && in.devices.empty() && !r.kernel_since_start;
    if (unrelated)
      r.notes.push_back("kernel log " + in.kmsg.path +
                        ": not used, neither the domain's devices nor the time of its start are "
                        "known");
    for (const auto& line : all.lines) {
      if (unrelated) break;
      auto f = match_log_line(line, "kernel log", in.kernel_release);
      if (!f) continue;
      if (!in.devices.empty()) {
        if (f->device) {
          if (std::find(in.devices.begin(), in.devices.end(), *f->device) == in.devices.end())
            continue;
        } else if (!r.kernel_since_start) {
          continue;  // a line naming no device, from any time: not evidence for these devices
        }
      }
      add_finding(r, std::move(*f));
    }
    kernel_lines = std::move(all.lines);
  }
  if (r.findings.empty()) keep_last(r.last_lines, qemu_lines.empty() ? kernel_lines : qemu_lines);
  return r;
}

}  // namespace ptagent
