// ptagent bind / restore with the sysfs writer given, so tests can run them against the kernel
// double; cmd_bind / cmd_restore (commands.hpp) use the real writer.
#pragma once

#include "agent/cli.hpp"

namespace ptagent {
class SysfsWriter;
}

namespace ptagent::cli {

int run_bind(Context& ctx, const Args& args, SysfsWriter& writer);
int run_restore(Context& ctx, const Args& args, SysfsWriter& writer);

}  // namespace ptagent::cli
