// One handler per subcommand; the table lives in commands.cpp.
#pragma once

#include "agent/cli.hpp"

namespace ptagent::cli {

int cmd_list(Context& ctx, const Args& args);
int cmd_show(Context& ctx, const Args& args);
int cmd_groups(Context& ctx, const Args& args);

}  // namespace ptagent::cli
