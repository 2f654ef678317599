// The PCI tree of a host as `lspci -t` draws it: each root bus with the functions on it, each
// bridge with the functions on the buses below it (from the devices' upstream links), and the
// IOMMU group of every function. A model only: the CLI draws it (a text tree, Graphviz).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pci/address.hpp"

namespace ptagent {

class Inventory;

struct TopologyNode {
  PciAddress address;
  std::optional<unsigned> iommu_group;
  bool bridge = false;                // has a subordinate bus (a bridge or root port)
  std::optional<std::size_t> parent;  // the bridge above (index into Topology::nodes())
  std::vector<std::size_t> children;  // the functions directly below a bridge, in address order
  unsigned depth = 0;                 // 0 on a root bus
  // The bus numbers below a bridge as its descendants show them (secondary..subordinate);
  // nullopt for an endpoint or a bridge with nothing below it.
  std::optional<std::uint8_t> first_bus, last_bus;
};

// A bus with no bridge above it in this host ("0000:00").
struct RootBus {
  std::uint16_t domain = 0;
  std::uint8_t bus = 0;
  std::vector<std::size_t> devices;  // indexes into Topology::nodes(), in address order
  std::string name() const;          // "0000:00"
};

class Topology {
 public:
  // Every function of the inventory once. A function whose upstream bridge is not in the
  // inventory counts as being on a root bus (its own).
  static Topology of(const Inventory& inventory);

  const std::vector<TopologyNode>& nodes() const { return nodes_; }
  const std::vector<RootBus>& root_buses() const { return roots_; }
  // Throws Error(not_found) naming the address.
  const TopologyNode& node(const PciAddress& address) const;
  std::optional<std::size_t> index(const PciAddress& address) const;
  // Every node in drawing order: each root bus's functions, each followed by what is below it.
  std::vector<std::size_t> preorder() const;
  // IOMMU group -> its members (indexes, address order), for every group that has a function.
  const std::map<unsigned, std::vector<std::size_t>>& groups() const { return groups_; }

 private:
  std::vector<TopologyNode> nodes_;
  std::vector<RootBus> roots_;
  std::map<unsigned, std::vector<std::size_t>> groups_;
};

}  // namespace ptagent
