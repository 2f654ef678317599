// One change ptagent made to the host, as the journal records it (ops/journal.hpp).
#pragma once

#include <optional>
#include <string>

#include "pci/address.hpp"

namespace ptagent {

enum class ChangeKind { bind, mdev, sriov };
enum class ChangeState { pending, done };  // pending: recorded, the change may be half-done

struct Change {
  std::string id;  // unique within the journal
  ChangeKind kind = ChangeKind::bind;
  ChangeState state = ChangeState::pending;
  std::string owner;  // "cli" or "domain:<uuid>"
  std::string time;   // ISO 8601, UTC
  // bind: the device and what it had before
  std::optional<PciAddress> address;
  std::optional<std::string> original_driver;
  std::optional<std::string> original_override;
  std::string new_driver;  // "vfio-pci"
  // mdev: the device the change created
  std::string mdev_uuid;
  std::string mdev_parent;
  std::string mdev_type;
  // sriov: the PF and its count before the change
  unsigned previous_numvfs = 0;
};

std::string change_kind_name(ChangeKind kind);  // "bind", "mdev", "sriov"

// A new entry, recorded before its change is made: pending, and stamped when the journal writes
// it (Journal::update).
Change pending_change(std::string id, ChangeKind kind, std::string owner);

}  // namespace ptagent
