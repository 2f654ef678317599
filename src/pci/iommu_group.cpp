#include "pci/iommu_group.hpp"

#include <algorithm>

#include "pci/inventory.hpp"
#include "util/join.hpp"

namespace ptagent {

namespace {

std::string listed(const std::vector<GroupMember>& members, MemberState state) {
  std::string list;
  for (const auto& m : members) {
    if (m.state != state) continue;
    if (!list.empty()) list += ", ";
    list += m.address.to_string() + " (" + m.driver.value_or("?") + ")";
  }
  return list;
}

bool host_driver(const GroupMember& m) {
  return m.driver && !m.on_vfio;
}

bool is_endpoint(MemberState s) {
  return s != MemberState::bridge && s != MemberState::infrastructure;
}

}  // namespace

std::vector<PciAddress> GroupVerdict::companions() const {
  std::vector<PciAddress> out;
  for (const auto& m : members) {
    if (is_endpoint(m.state) && m.state != MemberState::requested) out.push_back(m.address);
  }
  return out;
}

std::vector<PciAddress> GroupVerdict::endpoints() const {
  std::vector<PciAddress> out;
  for (const auto& m : members) {
    if (is_endpoint(m.state)) out.push_back(m.address);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<PciAddress> GroupVerdict::blockers() const {
  std::vector<PciAddress> out;
  for (const auto& m : members) {
    if (m.state == MemberState::host_driver) out.push_back(m.address);
  }
  return out;
}

std::vector<PciAddress> GroupVerdict::stuck_infrastructure() const {
  std::vector<PciAddress> out;
  for (const auto& m : members) {
    if (m.state == MemberState::infrastructure && host_driver(m)) out.push_back(m.address);
  }
  return out;
}

bool GroupVerdict::all_on_vfio() const {
  if (!group || !stuck_infrastructure().empty()) return false;
  for (const auto& m : members) {
    if (is_endpoint(m.state) && host_driver(m)) return false;
  }
  return true;
}

std::string GroupVerdict::explain() const {
  if (!group) return "no IOMMU group: the IOMMU is off or the device is not behind one";
  const std::string g = "group " + std::to_string(*group);
  if (!stuck_infrastructure().empty()) {
    std::string list;
    for (const auto& m : members) {
      if (m.state == MemberState::infrastructure && host_driver(m)) {
        list += (list.empty() ? "" : ", ") + m.address.to_string() + " (" + *m.driver + ")";
      }
    }
    return "not viable: " + g + " also holds " + list +
           ", host infrastructure that stays with the host, so the group cannot be assigned";
  }
  if (viable) {
    auto others = companions();
    if (others.empty()) return "viable: alone in IOMMU " + g;
    std::string list = join(others, ", ");
    return "viable: the other endpoints of " + g + " (" + list +
           ") are on a VFIO driver or have no driver; they go to the same guest or to none";
  }
  return "not viable: " + g + " also holds " + listed(members, MemberState::host_driver) +
         "; assign them to the same guest or bind them to vfio-pci first";
}

std::string together_phrase(const std::vector<PciAddress>& endpoints) {
  if (endpoints.size() < 2) return "";
  std::string list = join(endpoints, ", ");
  return "assign together: " + list + " (one guest)";
}

std::string member_state_name(MemberState state) {
  switch (state) {
    case MemberState::requested:
      return "requested";
    case MemberState::bridge:
      return "bridge";
    case MemberState::infrastructure:
      return "infrastructure";
    case MemberState::vfio_bound:
      return "vfio";
    case MemberState::no_driver:
      return "no-driver";
    case MemberState::host_driver:
      return "host-driver";
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
    GroupMember gm{a, m.driver, MemberState::no_driver, m.on_vfio()};
    const Infrastructure infra = infrastructure_kind(m);
    if (infra == Infrastructure::bus_bridge) {
      gm.state = MemberState::bridge;  // pcieport does not hold DMA: the kernel allows it
    } else if (infra != Infrastructure::none) {
      gm.state = MemberState::infrastructure;
      if (m.driver && !m.on_vfio()) v.viable = false;
    } else if (a == device || std::find(assigned.begin(), assigned.end(), a) != assigned.end()) {
      gm.state = MemberState::requested;
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
