// After a guest failed to start: what the QEMU log and the kernel log say, matched against the
// lines ptagent knows (tests/fixtures/logs/SOURCES.md names where each comes from) and turned
// into a cause and a fix. Reads through a Root, bounded; prints nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pci/address.hpp"
#include "sysfs/root.hpp"

namespace ptagent {

inline constexpr std::size_t kMaxLogBytes = 4u << 20;  // only the last 4 MiB of a log is read
inline constexpr std::size_t kMaxLogLine = 4096;       // a longer line is cut there

struct LogFinding {
  std::string code;                  // stable: "group-not-viable", "bar-reserve", ...
  std::string cause;                 // plain words
  std::string fix;                   // what to do
  std::string line;                  // the line that matched (cut to kMaxLogLine)
  std::string source;                // "qemu log" or "kernel log"
  std::optional<PciAddress> device;  // the device the line names
  std::optional<unsigned> group;     // the IOMMU group it names
};

struct LogLines {
  std::vector<std::string> lines;
  std::size_t binary_skipped = 0;  // lines with NULs or mostly control bytes
  std::size_t cut = 0;             // lines longer than kMaxLogLine
};
LogLines split_log_lines(std::string_view text);

// The finding one line gives, if it is a known one. `kernel_release` picks the framebuffer fix.
std::optional<LogFinding> match_log_line(std::string_view line, std::string_view source,
                                         const std::string& kernel_release = {});

// A libvirt QEMU log after its last "starting up" line (libvirt writes one, with a timestamp,
// at each start); the whole text when there is none.
struct QemuRun {
  std::string_view text;
  std::optional<std::string> started;  // "2026-12-04 19:32:54.123+0000"
};
QemuRun since_last_start(std::string_view qemu_log);
// Seconds since the epoch of libvirt's timestamp ("2026-12-04 19:32:54.123+0000"), or nullopt.
std::optional<std::int64_t> parse_libvirt_time(std::string_view stamp);
// The host devices the QEMU command line names (-device vfio-pci,host=0000:04:00.0,…).
std::vector<PciAddress> qemu_log_devices(std::string_view text);

// /dev/kmsg records ("prio,seq,usec,flags;message"; continuation lines start with a space).
struct KmsgRecord {
  std::uint64_t usec = 0;  // since boot
  std::string message;
};
std::vector<KmsgRecord> parse_kmsg(std::string_view text);
// "btime N" of /proc/stat: when the host booted, seconds since the epoch.
std::optional<std::int64_t> boot_time(const Root& root);

// A log read: the text, or why not. Regular files: the last `max_bytes` (the first partial
// line dropped). A character device (/dev/kmsg): read non-blocking until it has nothing more or
// `max_bytes` were read.
struct LogRead {
  std::string path;  // as given
  std::optional<std::string> text;
  std::string error;       // when text is nullopt: "no such file", "permission denied", ...
  bool truncated = false;  // only the tail was read
};
LogRead read_log(const Root& root, const std::string& path, std::size_t max_bytes = kMaxLogBytes);

struct DoctorInput {
  std::optional<LogRead> qemu;  // the domain's QEMU log (none for a device)
  LogRead kmsg;
  // Kernel lines are kept when they name one of these (the devices and their group companions);
  // empty: every kernel line is kept.
  std::vector<PciAddress> devices;
  std::optional<std::int64_t> boot_time;  // /proc/stat btime, to keep kernel lines since the start
  std::string kernel_release;
};

struct DoctorReport {
  std::optional<std::string> started;   // the last start libvirt logged
  bool kernel_since_start = false;      // kernel lines were filtered to the time since it
  std::vector<LogFinding> findings;     // QEMU log first, then the kernel's, each in log order
  std::vector<PciAddress> named;        // devices the QEMU command line and the findings name
  std::vector<std::string> last_lines;  // the last lines read (up to 10), when nothing matched
  std::vector<std::string> notes;       // what could not be read or was skipped
};
DoctorReport diagnose(const DoctorInput& input);

}  // namespace ptagent
