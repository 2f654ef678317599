// One handler per subcommand; the table lives in commands.cpp.
#pragma once

#include "agent/cli.hpp"

namespace ptagent::cli {

int cmd_list(Context& ctx, const Args& args);
int cmd_show(Context& ctx, const Args& args);
int cmd_groups(Context& ctx, const Args& args);
int cmd_detach(Context& ctx, const Args& args);
int cmd_reattach(Context& ctx, const Args& args);
int cmd_reset(Context& ctx, const Args& args);
int cmd_probe(Context& ctx, const Args& args);
int cmd_attach(Context& ctx, const Args& args);
int cmd_detach_from(Context& ctx, const Args& args);
int cmd_hook(Context& ctx, const Args& args);
int cmd_check(Context& ctx, const Args& args);
int cmd_gen_xml(Context& ctx, const Args& args);
int cmd_sriov(Context& ctx, const Args& args);
int cmd_mdev(Context& ctx, const Args& args);
int cmd_bind(Context& ctx, const Args& args);
int cmd_restore(Context& ctx, const Args& args);
int cmd_setup(Context& ctx, const Args& args);
int cmd_plan(Context& ctx, const Args& args);
int cmd_doctor(Context& ctx, const Args& args);
int cmd_power(Context& ctx, const Args& args);
int cmd_reset_method(Context& ctx, const Args& args);
// `ptagent` with no command (not in the table): the host in a few lines and what to try next.
int cmd_summary(Context& ctx);

}  // namespace ptagent::cli
