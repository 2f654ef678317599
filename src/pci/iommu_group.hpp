// IOMMU group viability: can these devices go to one guest without breaking isolation?
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pci/address.hpp"

namespace ptagent {

class Inventory;

enum class MemberState {
  requested,    // one of the devices being assigned
  bridge,       // bridges and root ports do not count
  vfio_bound,   // bound to vfio-pci or pci-stub: fine
  no_driver,    // no host driver: fine
  host_driver,  // bound to a host driver: blocks the group
};

struct GroupMember {
  PciAddress address;
  std::optional<std::string> driver;
  MemberState state = MemberState::no_driver;
};

struct GroupVerdict {
  std::optional<unsigned> group;  // nullopt: the device has no IOMMU group
  bool viable = false;
  std::vector<GroupMember> members;
  // Endpoints other than the requested ones (must be co-assigned or left on vfio/no driver).
  std::vector<PciAddress> companions() const;
  // Endpoints still on a host driver: each must be co-assigned or bound to vfio-pci first.
  std::vector<PciAddress> blockers() const;
  // One sentence: "viable" or what to do.
  std::string explain() const;
};

// Verdict for the group of `device`, counting `assigned` (devices going to the same guest,
// `device` included) as requested.
GroupVerdict assess_group(const Inventory& inventory, const PciAddress& device,
                          std::span<const PciAddress> assigned);

std::string member_state_name(MemberState state);

}  // namespace ptagent
