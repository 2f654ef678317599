// Mediated devices: parents and their types (/sys/class/mdev_bus), the devices
// (/sys/bus/mdev/devices), who owns them, and creating or removing one safely.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ops/mdev_owner.hpp"
#include "ops/vfio_holders.hpp"
#include "ops/wait.hpp"

namespace ptagent {

class Root;
class SysfsWriter;
class Journal;
struct Change;

struct MdevType {
  std::string id;           // the directory name: "i915-GVTg_V5_4"
  std::string name;         // the `name` file: "GVTg_V5_4" ("" when the driver has none)
  std::string description;  // the `description` file, as is
  std::string device_api;   // "vfio-pci", "vfio-ccw", "vfio-ap"
  std::optional<unsigned> available_instances;  // nullopt when unreadable
};

struct MdevParent {
  std::string name;             // "0000:00:02.0", "matrix", "0.0.26ab"
  std::string sysfs_path;       // canonical host path
  std::vector<MdevType> types;  // sorted by id
  const MdevType* find_type(std::string_view id) const;
};

struct Mdev {
  std::string uuid;  // lower case
  std::string parent;
  std::string type;
  std::optional<unsigned> iommu_group;
  std::string sysfs_path;  // canonical host path
};

// Every parent under /sys/class/mdev_bus, sorted by name.
std::vector<MdevParent> list_mdev_parents(const Root& root);
// One parent. The name is checked before it is used in a path (Error(usage)); a PCI address in any
// accepted form ("00:02.0") names a PCI parent. Throws Error(not_found) with "did you mean".
MdevParent read_mdev_parent(const Root& root, std::string_view name);
// Every mdev under /sys/bus/mdev/devices, sorted by parent then UUID.
std::vector<Mdev> list_mdevs(const Root& root);
// The device with this (canonical, lower-case) UUID, if it exists.
std::optional<Mdev> find_mdev(const Root& root, const std::string& uuid);

// Type and parent names come from the user and end up in sysfs paths: [A-Za-z0-9_.-] (and ':' in
// parent names), no leading '.', no "..". Throw Error(usage) naming the text.
void check_mdev_type_name(std::string_view name);
void check_mdev_parent_name(std::string_view name);

// Domains holding mdevs, as the caller found out (libvirt's status files): uuid -> reasons.
using MdevHolders = std::map<std::string, std::vector<std::string>>;
// Holders according to the journal: mdevs created for a domain (owner "domain:<uuid>").
MdevHolders journal_mdev_holders(const std::vector<Change>& changes);

struct MdevUse {
  std::vector<VfioHolder> open_by;   // processes with /dev/vfio/<group> of the mdev open
  std::vector<std::string> held_by;  // domains that use it
  bool in_use() const { return !open_by.empty() || !held_by.empty(); }
  std::string describe() const;  // "held open by pid 42 (qemu-system-x86); running domain w10"
};
MdevUse mdev_use(const Root& root, const Mdev& mdev, const MdevHolders& holders);

enum class MdevGuard { refuse, force };

struct MdevCreatePlan {
  std::string parent;
  std::string parent_path;  // canonical sysfs path of the parent
  std::string type;
  std::string uuid;
  bool uuid_given = false;
  bool reuse = false;  // a device with this UUID, parent and type exists already
  std::optional<unsigned> available_before;
};

// Checks a create: parent and type names, the parent exists (did you mean), the type exists on it,
// the UUID is well-formed (a random one when absent), an existing device with that UUID matches,
// mdevctl does not define the UUID, and available_instances > 0. Throws Error on each refusal.
MdevCreatePlan plan_mdev_create(const Root& root, std::string_view parent, std::string_view type,
                                std::optional<std::string_view> uuid);

// Journal entry (pending) first, then the write to create, then checks that
// /sys/bus/mdev/devices/<uuid> appeared and marks the entry done. A reused device is returned as
// is.
Mdev create_mdev(const Root& root, SysfsWriter& writer, Journal& journal,
                 const MdevCreatePlan& plan, const std::string& owner,
                 const WaitLimits& limits = {});

struct MdevRemovePlan {
  Mdev device;
  MdevOwner owner = MdevOwner::unknown;
  MdevUse use;
  std::vector<std::string> forced;  // what MdevGuard::force let through
};

// Checks a remove: the UUID, the device exists, mdevctl does not own it and nothing holds it
// (unless MdevGuard::force).
MdevRemovePlan plan_mdev_remove(const Root& root, std::string_view uuid,
                                const std::vector<Change>& journal, const MdevHolders& holders,
                                MdevGuard guard);

// Writes 1 to remove, waits (bounded) for the device to go, then drops its journal entries.
void remove_mdev(const Root& root, SysfsWriter& writer, Journal& journal,
                 const MdevRemovePlan& plan, const WaitLimits& limits = {});

// Removes the mdev a journal entry created (used by `ptagent restore`). Does nothing when it is
// gone; refuses when it is now another device, defined by mdevctl, or held open.
void undo_mdev_change(const Root& root, SysfsWriter& writer, const Change& change);

// The journal id of an mdev entry: "mdev:<uuid>".
std::string mdev_change_id(const std::string& uuid);

}  // namespace ptagent
