// IOMMU group viability. The group is the unit of assignment: its endpoints go to one guest
// together (or stay on the host), never to two guests. Bridges with a subordinate bus do not
// count as members; other host infrastructure (host and ISA bridges) can never be assigned, so a
// group where it is on a host driver cannot be assigned at all.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pci/address.hpp"

namespace ptagent {

class Inventory;

enum class MemberState {
  requested,       // one of the devices being assigned
  bridge,          // bridges and root ports (a subordinate bus) do not count
  infrastructure,  // host / ISA / other bridge without a subordinate bus: stays with the host
  vfio_bound,      // bound to a VFIO driver (vfio-pci or a variant) or pci-stub: fine
  no_driver,       // no host driver: fine
  host_driver,     // bound to a host driver: blocks the group
};

struct GroupMember {
  PciAddress address;
  std::optional<std::string> driver;
  MemberState state = MemberState::no_driver;
  bool on_vfio =
      false;  // the driver counts as assigned: a VFIO driver or pci-stub (Device::on_vfio)
};

struct GroupVerdict {
  std::optional<unsigned> group;  // nullopt: the device has no IOMMU group
  // The requested devices can go to one guest: every other endpoint is on a VFIO driver/pci-stub or
  // has no driver, and no infrastructure member is on a host driver.
  bool viable = false;
  std::vector<GroupMember> members;
  // Endpoints other than the requested ones: they go to the same guest or to none.
  std::vector<PciAddress> companions() const;
  // Every endpoint of the group, requested ones included (the unit of assignment), sorted.
  std::vector<PciAddress> endpoints() const;
  // Endpoints still on a host driver: each must be co-assigned or bound to vfio-pci first.
  std::vector<PciAddress> blockers() const;
  // Infrastructure members on a host driver: the group can never be assigned.
  std::vector<PciAddress> stuck_infrastructure() const;
  // Every endpoint (requested ones too) is on vfio-pci/pci-stub or has no driver: the group can
  // be handed to one guest as it is now.
  bool all_on_vfio() const;
  // One sentence: "viable" or what to do.
  std::string explain() const;
};

// Verdict for the group of `device`, counting `assigned` (devices going to the same guest,
// `device` included) as requested.
GroupVerdict assess_group(const Inventory& inventory, const PciAddress& device,
                          std::span<const PciAddress> assigned);

// "assign together: 0000:01:00.0, 0000:01:00.1 (one guest)" for a group of several endpoints;
// empty for a group of one.
std::string together_phrase(const std::vector<PciAddress>& endpoints);

std::string member_state_name(MemberState state);

}  // namespace ptagent
