// Every change ptagent makes to the kernel goes through a SysfsWriter: the real one writes sysfs,
// the test double (tests/support/kernel_double.hpp) emulates the kernel's semantics.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace ptagent {

class Root;

class SysfsWriter {
 public:
  virtual ~SysfsWriter() = default;
  // Writes value to an absolute host path ("/sys/bus/pci/drivers_probe") in one write(2), as sysfs
  // requires. Returns 0 on success or the errno the kernel gave (EBUSY, ENODEV, ETIMEDOUT when the
  // bounded write did not finish in time, ...). Never throws for a kernel refusal.
  virtual int write(const std::string& path, std::string_view value) = 0;
};

// Writes through Root::open_in_root (no symlink at the last component, never outside the root),
// each write bounded by `timeout` (a write stuck in the kernel gives ETIMEDOUT, not a hang).
class RealSysfsWriter final : public SysfsWriter {
 public:
  explicit RealSysfsWriter(const Root& root,
                           std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  int write(const std::string& path, std::string_view value) override;

 private:
  const Root& root_;
  std::chrono::milliseconds timeout_;
};

}  // namespace ptagent
