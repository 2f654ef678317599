// pci/topology: the PCI tree from the devices' upstream links, the bus ranges below bridges, the
// drawing order and the IOMMU groups, on the simulated hosts.
#include "pci/topology.hpp"

#include <gtest/gtest.h>

#include "error.hpp"
#include "pci/inventory.hpp"
#include "support/pci_address.hpp"
#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::A;
using ptagent::testing::fixture_root;

namespace {

std::vector<PciAddress> addresses(const Topology& t, const std::vector<std::size_t>& idx) {
  std::vector<PciAddress> out;
  for (std::size_t i : idx) out.push_back(t.nodes()[i].address);
  return out;
}

TEST(Topology, WorkstationBridgesAndTheirFunctions) {
  Root root = fixture_root("workstation");
  const Topology t = Topology::of(Inventory::scan(root, Naming::ids_only));
  ASSERT_EQ(t.root_buses().size(), 1u);
  EXPECT_EQ(t.root_buses()[0].name(), "0000:00");
  EXPECT_EQ(addresses(t, t.root_buses()[0].devices),
            (std::vector<PciAddress>{A("00:00.0"), A("00:01.0"), A("00:02.0"), A("00:14.0"),
                                     A("00:17.0"), A("00:1d.0"), A("00:1f.0"), A("00:1f.3"),
                                     A("00:1f.4"), A("00:1f.6")}));
  const TopologyNode& port = t.node(A("00:01.0"));
  EXPECT_TRUE(port.bridge);
  EXPECT_EQ(addresses(t, port.children), (std::vector<PciAddress>{A("01:00.0"), A("01:00.1")}));
  EXPECT_EQ(port.first_bus, 1);
  EXPECT_EQ(port.last_bus, 1);
  const TopologyNode& gpu = t.node(A("01:00.0"));
  EXPECT_EQ(gpu.depth, 1u);
  EXPECT_EQ(t.nodes()[*gpu.parent].address, A("00:01.0"));
  EXPECT_FALSE(gpu.first_bus);
  EXPECT_EQ(gpu.iommu_group, 1u);
  EXPECT_EQ(addresses(t, t.groups().at(1)),
            (std::vector<PciAddress>{A("00:01.0"), A("01:00.0"), A("01:00.1")}));
  // Drawing order: a bridge, then what is below it, then its next sibling.
  const auto order = addresses(t, t.preorder());
  ASSERT_EQ(order.size(), t.nodes().size());
  EXPECT_EQ(order[1], A("00:01.0"));
  EXPECT_EQ(order[2], A("01:00.0"));
  EXPECT_EQ(order[3], A("01:00.1"));
  EXPECT_EQ(order[4], A("00:02.0"));
}

// Two levels of bridges: the root port's buses run to the last bus below the PCI bridge; VFs
// hang beside their PF under the same port.
TEST(Topology, ServerNestedBridgeRangesAndVfs) {
  Root root = fixture_root("server");
  const Topology t = Topology::of(Inventory::scan(root, Naming::ids_only));
  const TopologyNode& port = t.node(A("00:03.1"));
  EXPECT_EQ(addresses(t, port.children), (std::vector<PciAddress>{A("02:00.0")}));
  EXPECT_EQ(port.first_bus, 2);
  EXPECT_EQ(port.last_bus, 3);
  const TopologyNode& pci_bridge = t.node(A("02:00.0"));
  EXPECT_EQ(pci_bridge.first_bus, 3);
  EXPECT_EQ(pci_bridge.last_bus, 3);
  EXPECT_EQ(t.node(A("03:01.0")).depth, 2u);
  EXPECT_EQ(t.node(A("01:10.6")).parent, t.index(A("00:01.1")));
  EXPECT_EQ(t.node(A("00:01.1")).children.size(), 6u);  // two PFs, four VFs
  EXPECT_EQ(t.groups().size(), 14u);
}

TEST(Topology, NoIommuHasNoGroupsButATree) {
  Root root = fixture_root("noiommu");
  const Topology t = Topology::of(Inventory::scan(root, Naming::ids_only));
  EXPECT_TRUE(t.groups().empty());
  ASSERT_EQ(t.root_buses().size(), 1u);
  EXPECT_EQ(t.root_buses()[0].devices.size(), t.nodes().size());
  EXPECT_FALSE(t.node(A("00:02.0")).iommu_group);
  EXPECT_THROW(t.node(A("00:09.0")), Error);
  EXPECT_FALSE(t.index(A("00:09.0")));
}

}  // namespace
