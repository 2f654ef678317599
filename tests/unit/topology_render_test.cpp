// agent/topology_render: the text tree (columns, marks, colour only when asked) and the DOT text
// (clusters per IOMMU group, tree edges, marks, legend, escaping) drawn from the core's model.
#include "agent/topology_render.hpp"

#include <gtest/gtest.h>

#include "host/critical.hpp"
#include "pci/inventory.hpp"
#include "support/temp_host.hpp"

using namespace ptagent;
using namespace ptagent::cli;
using ptagent::testing::fixture_root;

namespace {

struct Drawn {
  explicit Drawn(const std::string& name)
      : root(fixture_root(name)),
        inv(Inventory::scan(root, Naming::with_names)),
        critical(HostCritical::scan(root, inv)),
        assessment(assess_host(inv, critical)),
        topology(Topology::of(inv)) {}
  TopologyPicture picture() const { return {inv, topology, assessment}; }
  Root root;
  Inventory inv;
  HostCritical critical;
  HostAssessment assessment;
  Topology topology;
};

std::string line_of(const std::string& text, const std::string& needle) {
  const auto at = text.find(needle);
  if (at == std::string::npos) return {};
  const auto start = text.rfind('\n', at) + 1;
  return text.substr(start, text.find('\n', at) - start);
}

TEST(TopologyRender, ColourOnlyOnATerminalWithoutNoColor) {
  EXPECT_TRUE(use_colour(true, nullptr));
  EXPECT_TRUE(use_colour(true, ""));
  EXPECT_FALSE(use_colour(true, "1"));
  EXPECT_FALSE(use_colour(false, nullptr));
}

TEST(TopologyRender, TreeRowsAndMarks) {
  const Drawn d("workstation");
  const std::string plain = render_tree(d.picture(), false);
  EXPECT_EQ(plain.find('\033'), std::string::npos);
  EXPECT_EQ(plain.rfind("DEVICE", 0), 0u);
  EXPECT_NE(plain.find("\nroot bus 0000:00\n"), std::string::npos);
  const std::string port = line_of(plain, "-0000:00:01.0");
  EXPECT_EQ(port.rfind("+-0000:00:01.0-[01] ", 0), 0u) << port;
  const std::string audio = line_of(plain, "\\-0000:01:00.1");
  EXPECT_EQ(audio.rfind("|  \\-0000:01:00.1", 0), 0u) << audio;
  EXPECT_NE(audio.find("snd_hda_intel"), std::string::npos);
  EXPECT_NE(audio.find("together with 0000:01:00.0"), std::string::npos);
  const std::string nvme = line_of(plain, "-0000:02:00.0");
  EXPECT_EQ(nvme.rfind("|  \\-0000:02:00.0 !", 0), 0u) << nvme;  // 00:1f.x follow its port
  EXPECT_NE(nvme.find("not assignable"), std::string::npos);
  EXPECT_NE(plain.find("! host-critical: 0000:00:02.0 is the boot VGA device"), std::string::npos);
  // Every row's columns line up: GROUP starts at the same place.
  const auto header_group = plain.find("GROUP");
  EXPECT_EQ(port.substr(header_group, 2), "1 ");
  EXPECT_EQ(nvme.substr(header_group, 2), "6 ");

  const std::string colour = render_tree(d.picture(), true);
  EXPECT_NE(colour.find("\033[31mnot assignable"), std::string::npos);
  EXPECT_NE(colour.find("\033[1;31m!\033[0m"), std::string::npos);
  EXPECT_NE(colour.find("\033[32malone"), std::string::npos);
}

TEST(TopologyRender, DotClustersEdgesMarksAndLegend) {
  const Drawn d("server");
  const std::string dot = render_dot(d.picture());
  EXPECT_EQ(dot.find("digraph ptagent {"), dot.find("digraph"));
  EXPECT_NE(dot.find("subgraph cluster_group_5 {"), std::string::npos);
  EXPECT_NE(dot.find("\"0000:00:03.1\" -> \"0000:02:00.0\";"), std::string::npos);
  EXPECT_NE(dot.find("\"0000:02:00.0\" -> \"0000:03:01.0\";"), std::string::npos);
  EXPECT_NE(dot.find("\"bus 0000:00\" -> \"0000:00:01.1\";"), std::string::npos);
  EXPECT_NE(dot.find("NOT VIABLE: 0000:01:00.0"), std::string::npos);     // default-route NIC
  EXPECT_NE(dot.find("not viable yet"), std::string::npos);               // behind the PCI bridge
  EXPECT_NE(dot.find("viable: ready for one guest"), std::string::npos);  // VF on vfio-pci
  EXPECT_NE(dot.find("subgraph cluster_legend {"), std::string::npos);
  EXPECT_NE(dot.find("HOST-CRITICAL"), std::string::npos);
  // Every opened brace is closed.
  EXPECT_EQ(std::count(dot.begin(), dot.end(), '{'), std::count(dot.begin(), dot.end(), '}'));
}

TEST(TopologyRender, DotEscapesQuotesAndBackslashes) {
  EXPECT_EQ(dot_escape("a \"b\" \\c"), "a \\\"b\\\" \\\\c");
  EXPECT_EQ(dot_escape("x\ny\tz"), "xyz");
}

TEST(TopologyRender, NoIommuTreeHasNoGroups) {
  const Drawn d("noiommu");
  const std::string plain = render_tree(d.picture(), false);
  const std::string disk = line_of(plain, "0000:00:02.0");
  EXPECT_NE(disk.find(" - "), std::string::npos) << disk;
  EXPECT_EQ(render_dot(d.picture()).find("cluster_group"), std::string::npos);
}

}  // namespace
