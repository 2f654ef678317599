// plan_bind (PlanMode::execute) then bind_devices on that plan: what a bind command does.
#pragma once

#include "ops/vfio_bind.hpp"

namespace ptagent::testing {

inline BindPlan plan_and_bind(const Root& root, SysfsWriter& writer, Journal& journal,
                              const BindRequest& request) {
  return bind_devices(root, writer, journal, plan_bind(root, journal, request, PlanMode::execute));
}

}  // namespace ptagent::testing
