// doctor's log matching: any QEMU log or kernel log text gives findings, never a crash, and
// every finding's line is one of the input's lines (cut to kMaxLogLine).
#include "check/postmortem.hpp"
#include "fuzz_check.hpp"

using namespace ptagent;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz_text(data, size);
  const QemuRun run = since_last_start(text);
  FUZZ_CHECK(run.text.size() <= size, "the run grew");
  (void)qemu_log_devices(run.text);
  for (const auto& r : parse_kmsg(text)) FUZZ_CHECK(r.message.size() <= size, r.message);
  const LogLines lines = split_log_lines(text);
  for (const auto& line : lines.lines) {
    FUZZ_CHECK(line.size() <= kMaxLogLine, line);
    if (auto f = match_log_line(line, "qemu log", "6.1.0"))
      FUZZ_CHECK(f->line == line && !f->code.empty() && !f->fix.empty(), f->line);
  }
  DoctorInput in;
  in.qemu = LogRead{"q", std::string(text), "", false};
  in.kmsg = LogRead{"k", std::string(text), "", false};
  in.boot_time = 1;
  (void)diagnose(in);
  return 0;
}
