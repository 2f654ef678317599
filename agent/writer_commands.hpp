// The commands that write sysfs, with the SysfsWriter given: cmd_sriov / cmd_mdev pass the real
// writer, the tests pass the kernel double (tests/support/kernel_double.hpp).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "agent/cli.hpp"
#include "ops/wait.hpp"
#include "sysfs/sysfs_writer.hpp"

namespace ptagent::cli {

int sriov_command(Context& ctx, const Args& args, SysfsWriter& writer,
                  const WaitLimits& limits = {});
int mdev_command(Context& ctx, const Args& args, SysfsWriter& writer,
                 const WaitLimits& limits = {});

// The real writer on ctx.root(), made at the first write: --help and bad input never open the root.
class ContextWriter final : public SysfsWriter {
 public:
  explicit ContextWriter(Context& ctx) : ctx_(ctx) {}
  int write(const std::string& path, std::string_view value) override {
    if (!real_) real_ = std::make_unique<RealSysfsWriter>(ctx_.root());
    return real_->write(path, value);
  }

 private:
  Context& ctx_;
  std::unique_ptr<RealSysfsWriter> real_;
};

}  // namespace ptagent::cli
