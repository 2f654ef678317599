#include "ops/mdev_owner.hpp"

#include "ops/change.hpp"
#include "ops/mdev.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/root.hpp"

namespace ptagent {

std::string mdev_owner_name(MdevOwner owner) {
  switch (owner) {
    case MdevOwner::ptagent:
      return "ptagent";
    case MdevOwner::mdevctl:
      return "mdevctl";
    case MdevOwner::unknown:
      break;
  }
  return "unknown";
}

std::optional<std::string> mdevctl_parent_of(const Root& root, const std::string& uuid) {
  for (const auto& parent : root.list(kMdevctlDir)) {
    if (root.exists(mdevctl_file(parent, uuid))) return parent;
  }
  return std::nullopt;
}

MdevOwner mdev_owner(const Root& root, const Mdev& mdev, const std::vector<Change>& journal) {
  if (!mdev.parent.empty() && root.exists(mdevctl_file(mdev.parent, mdev.uuid))) {
    return MdevOwner::mdevctl;
  }
  for (const auto& c : journal) {
    if (c.kind == ChangeKind::mdev && c.mdev_uuid == mdev.uuid) return MdevOwner::ptagent;
  }
  return MdevOwner::unknown;
}

}  // namespace ptagent
