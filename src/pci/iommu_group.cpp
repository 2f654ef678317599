#include "pci/iommu_group.hpp"

#include <algorithm>

#include "pci/inventory.hpp"

namespace ptagent {

std::vector<PciAddress> GroupVerdict::companions() const {
  std::vector<PciAddress> out;
  for (const auto& m : members) {
    if (m.state != MemberState::requested && m.state != MemberState::bridge) out.push_back(m.address);
  }
  return out;
}

std::vector<PciAddress> GroupVerdict::blockers() const {
  std::vector<PciAddress> out;
  for (const auto& m : members) {
    if (m.state == MemberState::host_driver) out.push_back(m.address);
  }
  return out;
}

std::string GroupVerdict::explain() const {
  if (!group) return "no IOMMU group: the IOMMU is off or the device is not behind one";
  if (viable) {
    auto others = companions();
    if (others.empty()) return "viable: alone in IOMMU group " + std::to_string(*group);
    return "viable: the other endpoints of group " + std::to_string(*group) +
           " are on vfio-pci or have no driver";
  }
  std::string list;
  for (const auto& m : members) {
    if (m.state != MemberState::host_driver) continue;
    if (!list.empty()) list += ", ";
    list += m.address.to_string() + " (" + m.driver.value_or("?") + ")";
  }
  return "not viable: group " + std::to_string(*group) + " also holds " + list +
         "; assign them to the same guest or bind them to vfio-pci first";
}

std::string member_state_name(MemberState state) {
  switch (state) {
    case MemberState::requested: return "requested";
    case MemberState::bridge: return "bridge";
    case MemberState::vfio_bound: return "vfio";
    case MemberState::no_driver: return "no-driver";
    case MemberState::host_driver: return "host-driver";
  }
  return "?";
}

GroupVerdict assess_group(const Inventory& inventory, const PciAddress& device,
                          std::span<const PciAddress> assigned) {
  GroupVerdict v;
  const Device& dev = inventory.get(device);
  v.group = dev.iommu_group;
  if (!v.group) return v;
  v.viable = true;
  for (const auto& a : inventory.group_members(*v.group)) {
    const Device& m = inventory.get(a);
    GroupMember gm{a, m.driver, MemberState::no_driver};
    if (a == device || std::find(assigned.begin(), assigned.end(), a) != assigned.end()) {
      gm.state = MemberState::requested;
    } else if (m.is_bridge) {
      gm.state = MemberState::bridge;
    } else if (m.on_vfio()) {
      gm.state = MemberState::vfio_bound;
    } else if (m.driver) {
      gm.state = MemberState::host_driver;
      v.viable = false;
    }
    v.members.push_back(std::move(gm));
  }
  return v;
}

}  // namespace ptagent
