#include "pci/topology.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <tuple>

#include "error.hpp"
#include "pci/inventory.hpp"

namespace ptagent {

std::string RootBus::name() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04x:%02x", domain, bus);
  return buf;
}

Topology Topology::of(const Inventory& inventory) {
  Topology t;
  const auto& devices = inventory.devices();  // sorted by address
  t.nodes_.reserve(devices.size());
  for (const auto& d : devices) {
    TopologyNode n;
    n.address = d.address;
    n.iommu_group = d.iommu_group;
    n.bridge = d.is_bridge;
    t.nodes_.push_back(std::move(n));
  }
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const auto& d = devices[i];
    std::optional<std::size_t> up;
    if (d.upstream) up = t.index(*d.upstream);
    if (up && *up != i) {
      t.nodes_[i].parent = up;
      t.nodes_[*up].children.push_back(i);  // i ascends: children stay in address order
    } else {
      auto root = std::find_if(t.roots_.begin(), t.roots_.end(), [&](const RootBus& r) {
        return r.domain == d.address.domain && r.bus == d.address.bus;
      });
      if (root == t.roots_.end()) {
        t.roots_.push_back(RootBus{d.address.domain, d.address.bus, {}});
        root = t.roots_.end() - 1;
      }
      root->devices.push_back(i);
    }
    if (d.iommu_group) t.groups_[*d.iommu_group].push_back(i);
  }
  std::sort(t.roots_.begin(), t.roots_.end(), [](const RootBus& a, const RootBus& b) {
    return std::tie(a.domain, a.bus) < std::tie(b.domain, b.bus);
  });
  // Depths and bus ranges, top down then bottom up.
  std::function<void(std::size_t, unsigned)> walk = [&](std::size_t i, unsigned depth) {
    TopologyNode& n = t.nodes_[i];
    n.depth = depth;
    for (std::size_t c : n.children) {
      walk(c, depth + 1);
      const TopologyNode& child = t.nodes_[c];
      const std::uint8_t lo = child.address.bus;
      const std::uint8_t hi = child.last_bus ? std::max(*child.last_bus, lo) : lo;
      n.first_bus = n.first_bus ? std::min(*n.first_bus, lo) : lo;
      n.last_bus = n.last_bus ? std::max(*n.last_bus, hi) : hi;
    }
  };
  for (const auto& r : t.roots_) {
    for (std::size_t i : r.devices) walk(i, 0);
  }
  return t;
}

std::optional<std::size_t> Topology::index(const PciAddress& address) const {
  auto it =
      std::lower_bound(nodes_.begin(), nodes_.end(), address,
                       [](const TopologyNode& n, const PciAddress& a) { return n.address < a; });
  if (it == nodes_.end() || it->address != address) return std::nullopt;
  return static_cast<std::size_t>(it - nodes_.begin());
}

const TopologyNode& Topology::node(const PciAddress& address) const {
  if (auto i = index(address)) return nodes_[*i];
  throw_not_found(address.to_string(), "no such PCI device");
}

std::vector<std::size_t> Topology::preorder() const {
  std::vector<std::size_t> out;
  out.reserve(nodes_.size());
  std::function<void(std::size_t)> visit = [&](std::size_t i) {
    out.push_back(i);
    for (std::size_t c : nodes_[i].children) visit(c);
  };
  for (const auto& r : roots_) {
    for (std::size_t i : r.devices) visit(i);
  }
  return out;
}

}  // namespace ptagent
