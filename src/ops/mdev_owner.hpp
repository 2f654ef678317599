// Who owns a mediated device: mdevctl when it has a persistent definition of it
// (/etc/mdevctl.d/<parent>/<uuid>), ptagent when its journal recorded the create.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ptagent {

class Root;
struct Change;
struct Mdev;

enum class MdevOwner { ptagent, mdevctl, unknown };
std::string mdev_owner_name(MdevOwner owner);  // "ptagent", "mdevctl", "unknown"
// The parent under which mdevctl defines this UUID, if any.
std::optional<std::string> mdevctl_parent_of(const Root& root, const std::string& uuid);
// mdevctl when it defines the device, ptagent when the journal has it, else unknown.
MdevOwner mdev_owner(const Root& root, const Mdev& mdev, const std::vector<Change>& journal);

}  // namespace ptagent
