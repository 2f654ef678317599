// The host's PCI topology drawn for a person: `groups --tree` (text like `lspci -tv`, with the
// IOMMU group, driver, host-critical mark and verdict of every function) and `groups --format
// dot` (Graphviz: the bridges as the tree, IOMMU groups as boxes around their members). The
// model is the core's (pci/topology, ops/group_report); only the drawing is here.
#pragma once

#include <string>

#include "ops/group_report.hpp"
#include "pci/topology.hpp"

namespace ptagent {
class Inventory;
}

namespace ptagent::cli {

struct TopologyPicture {
  const Inventory& inventory;  // names and drivers
  const Topology& topology;
  const HostAssessment& assessment;
};

// The text tree; with colour, ANSI SGR sequences around the verdicts and marks.
std::string render_tree(const TopologyPicture& picture, bool colour);
// A Graphviz digraph (`dot -Tsvg` draws it).
std::string render_dot(const TopologyPicture& picture);

// Colour only on a terminal, and never when NO_COLOR is set to anything but "" (no-color.org).
bool use_colour(bool terminal, const char* no_color);

// A string as a DOT quoted string's contents: backslashes and quotes escaped, control
// characters dropped.
std::string dot_escape(const std::string& text);

}  // namespace ptagent::cli
