// `ptagent setup status`: what ptagent persisted, what is in effect on the running kernel, and
// the difference: "configured, not active until reboot", "active but not persisted".
#pragma once

#include <string>
#include <vector>

#include "setup/setup_plan.hpp"

namespace ptagent {

class Root;
class Inventory;

enum class SetupItemState { active, pending_reboot, not_persisted, drifted };
// "active", "configured, not active until reboot", "active but not persisted",
// "configured, but the running host differs (changed since boot?)".
const char* setup_item_state_text(SetupItemState state);
const char* setup_item_state_id(SetupItemState state);  // "active", "pending-reboot", …

struct SetupStatusLine {
  std::string item;   // "iommu", "modules", "bind:0000:01:00.0", "sriov:…", "mdev:…"
  std::string what;   // "intel_iommu=on iommu=pt", "vfio-pci by-id 10de:1b80"
  std::string where;  // the file(s) or mechanism holding it ("" when not persisted)
  SetupItemState state = SetupItemState::active;
  std::string evidence;  // what was seen now
};

std::vector<SetupStatusLine> setup_status(const Root& root, const SetupHost& host,
                                          const Inventory& inventory);

}  // namespace ptagent
