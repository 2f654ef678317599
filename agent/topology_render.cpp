#include "agent/topology_render.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <sstream>
#include <vector>

#include "agent/render.hpp"
#include "pci/inventory.hpp"

namespace ptagent::cli {

namespace {

// ANSI SGR: the few the tree uses.
constexpr const char* kReset = "\033[0m";
constexpr const char* kBold = "\033[1m";
constexpr const char* kDim = "\033[2m";
constexpr const char* kRed = "\033[31m";
constexpr const char* kGreen = "\033[32m";
constexpr const char* kYellow = "\033[33m";
constexpr const char* kCyan = "\033[36m";
constexpr const char* kBoldRed = "\033[1;31m";

std::string paint(const std::string& text, const char* sgr, bool colour) {
  if (!colour || text.empty()) return text;
  return std::string(sgr) + text + kReset;
}

std::string two_hex(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02x", v);
  return buf;
}

// "[01]" or "[02-03]": the buses below a bridge, as lspci -t writes them.
std::string bus_range(const TopologyNode& n) {
  if (!n.first_bus) return {};
  std::string r = "[" + two_hex(*n.first_bus);
  if (n.last_bus && *n.last_bus != *n.first_bus) r += "-" + two_hex(*n.last_bus);
  return r + "]";
}

const char* verdict_colour(const ResetAnalysis& r) {
  if (r.infrastructure != Infrastructure::none) return kDim;
  switch (r.verdict) {
    case Assignability::alone:
      return kGreen;
    case Assignability::together:
      return kYellow;
    case Assignability::not_assignable:
      return kRed;
  }
  return kDim;
}

std::string group_text(const TopologyNode& n) {
  return n.iommu_group ? std::to_string(*n.iommu_group) : "-";
}

// Words of `text` on lines of at most `width` characters (a longer word gets a line of its own).
std::vector<std::string> wrap(const std::string& text, std::size_t width) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string word, line;
  while (in >> word) {
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

// The verdict cell, with a bridge named as one (the tree has no KIND column).
std::string tree_verdict(const ResetAnalysis& r) {
  return r.infrastructure == Infrastructure::bus_bridge ? "bridge" : verdict_cell(r);
}

}  // namespace

bool use_colour(bool terminal, const char* no_color) {
  return terminal && (no_color == nullptr || *no_color == '\0');
}

std::string render_tree(const TopologyPicture& p, bool colour) {
  const Topology& t = p.topology;
  const auto& nodes = t.nodes();
  struct Row {
    std::size_t node;
    std::string tree;  // the tree lines, the address and the bridge's buses
  };
  std::vector<Row> rows;
  // prefix: what the levels above draw on this line ("|  " while an ancestor has siblings
  // still to come).
  std::function<void(std::size_t, const std::string&, bool)> visit =
      [&](std::size_t i, const std::string& prefix, bool last) {
        const TopologyNode& n = nodes[i];
        std::string label = prefix + (last ? "\\-" : "+-") + n.address.to_string();
        if (const std::string buses = bus_range(n); !buses.empty()) label += "-" + buses;
        rows.push_back({i, std::move(label)});
        const std::string below = prefix + (last ? "   " : "|  ");
        for (std::size_t c = 0; c < n.children.size(); ++c)
          visit(n.children[c], below, c + 1 == n.children.size());
      };

  std::ostringstream out;
  if (nodes.empty()) {
    out << "No PCI functions on this host.\n";
    return out.str();
  }
  std::vector<std::vector<Row>> per_bus;
  for (const auto& bus : t.root_buses()) {
    rows.clear();
    for (std::size_t d = 0; d < bus.devices.size(); ++d)
      visit(bus.devices[d], "", d + 1 == bus.devices.size());
    per_bus.push_back(rows);
  }

  // Column widths over every row (marks included), then each cell padded before it is painted.
  std::size_t w_tree = std::string("DEVICE").size(), w_group = std::string("GROUP").size(),
              w_driver = std::string("DRIVER").size(), w_verdict = std::string("VERDICT").size();
  for (const auto& bus_rows : per_bus) {
    for (const auto& r : bus_rows) {
      const Device& d = p.inventory.get(nodes[r.node].address);
      const ResetAnalysis& a = p.assessment.analysis(d.address);
      w_tree = std::max(w_tree, r.tree.size() + (a.host_critical ? 2 : 0));
      w_group = std::max(w_group, group_text(nodes[r.node]).size());
      w_driver = std::max(w_driver, d.driver.value_or("-").size());
      w_verdict = std::max(w_verdict, tree_verdict(a).size());
    }
  }
  auto pad = [](std::string s, std::size_t w) {
    s.resize(std::max(w, s.size()), ' ');
    return s;
  };
  out << pad("DEVICE", w_tree) << "  " << pad("GROUP", w_group) << "  " << pad("DRIVER", w_driver)
      << "  " << pad("VERDICT", w_verdict) << "  NAME\n";
  std::vector<std::pair<PciAddress, std::string>> critical;
  const auto& buses = t.root_buses();
  for (std::size_t b = 0; b < buses.size(); ++b) {
    out << paint("root bus " + buses[b].name(), kBold, colour) << "\n";
    for (const auto& r : per_bus[b]) {
      const TopologyNode& n = nodes[r.node];
      const Device& d = p.inventory.get(n.address);
      const ResetAnalysis& a = p.assessment.analysis(d.address);
      std::string tree = r.tree;
      std::size_t tree_width = tree.size();
      if (a.host_critical) {
        tree += " " + paint("!", kBoldRed, colour);
        tree_width += 2;
        critical.emplace_back(d.address, *a.host_critical);
      }
      tree.append(w_tree - tree_width, ' ');
      const std::string verdict = tree_verdict(a);
      out << tree << "  " << paint(pad(group_text(n), w_group), kCyan, colour && n.iommu_group)
          << "  " << pad(d.driver.value_or("-"), w_driver) << "  "
          << paint(pad(verdict, w_verdict), verdict_colour(a), colour) << "  " << display_name(d)
          << "\n";
    }
  }
  for (std::size_t i = 0; i < critical.size(); ++i) {
    out << (i == 0 ? "\n" + paint("!", kBoldRed, colour) + " host-critical: " : "                 ")
        << critical[i].first.to_string() << " " << critical[i].second << "\n";
  }
  if (t.groups().empty())
    out << "\nNo IOMMU groups: the IOMMU is off or missing on this host (run 'ptagent check').\n";
  out << "\nEach IOMMU group's verdict: 'ptagent groups'; one device: 'ptagent show DEVICE'.\n";
  return out.str();
}

std::string dot_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) {
      out += c;
    }
  }
  return out;
}

namespace {

// A DOT label of several centred lines, each escaped.
std::string dot_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += (out.empty() ? "" : "\\n") + dot_escape(l);
  return out;
}

const char* fill_of(const ResetAnalysis& r) {
  if (r.infrastructure != Infrastructure::none) return "#e4e4e4";
  switch (r.verdict) {
    case Assignability::alone:
      return "#c6efc6";
    case Assignability::together:
      return "#fdf0b0";
    case Assignability::not_assignable:
      return "#f6c4c4";
  }
  return "#ffffff";
}

// The box of an IOMMU group: its colour, line style and the words on it.
struct GroupStyle {
  const char* colour;
  const char* style;
  const char* pen;
  std::string words;
};

GroupStyle group_style(const Inventory& inv, const GroupReport& g) {
  switch (g.outcome) {
    case GroupOutcome::ready:
      return {"#1a8a1a", "rounded", "2", "viable: ready for one guest"};
    case GroupOutcome::needs_binding: {
      std::string who;
      for (const auto& a : g.on_host_driver) who += (who.empty() ? "" : ", ") + *inv.get(a).driver;
      return {"#d07a00", "rounded,dashed", "2",
              "not viable yet: on host drivers (" + who + "); bind " +
                  (g.endpoints.size() == 1 ? "it" : "the group") + " or use managed"};
    }
    case GroupOutcome::refused: {
      // A host-critical root cause says why on its own box.
      const ResetAnalysis& r = g.analyses[*g.refused];
      return {"#c01818", "rounded,bold", "3",
              "NOT VIABLE: " + (r.host_critical ? r.address.to_string() + " is host-critical"
                                                : refusal_line(r))};
    }
    case GroupOutcome::infrastructure_only:
      return {"#808080", "rounded", "1", "host infrastructure"};
    case GroupOutcome::bridges_only:
      return {"#808080", "rounded", "1", "bridges only"};
  }
  return {"#808080", "rounded", "1", ""};
}

std::string node_id(const PciAddress& a) {
  return "\"" + a.to_string() + "\"";
}

}  // namespace

std::string render_dot(const TopologyPicture& p) {
  const Topology& t = p.topology;
  const auto& nodes = t.nodes();
  std::ostringstream out;
  out << "// ptagent groups --format dot: the PCI tree (bridges to the functions below them) with\n"
         "// IOMMU groups as boxes around their members. Draw it: ... | dot -Tsvg -o host.svg\n"
         "digraph ptagent {\n"
         "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=12, nodesep=0.2, ranksep=0.6,\n"
         "         labelloc=t, label=\""
      << (t.groups().empty() ? "PCI topology (no IOMMU groups: the IOMMU is off or missing)"
                             : "PCI topology and IOMMU groups")
      << "\"];\n"
         "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10,\n"
         "        fillcolor=\"#ffffff\"];\n"
         "  edge [arrowhead=none, color=\"#606060\"];\n";

  auto node_line = [&](std::size_t i, const std::string& indent) {
    const TopologyNode& n = nodes[i];
    const Device& d = p.inventory.get(n.address);
    const ResetAnalysis& a = p.assessment.analysis(n.address);
    std::vector<std::string> lines{n.address.to_string() + "  " + d.driver.value_or("no driver")};
    for (const auto& l : wrap(display_name(d), 48)) lines.push_back(l);
    lines.push_back(tree_verdict(a));
    std::string extra;
    if (a.host_critical) {
      lines.push_back("HOST-CRITICAL:");
      std::string reasons = *a.host_critical;
      for (std::size_t at = 0; (at = reasons.find("; ", at)) != std::string::npos;)
        reasons.replace(at, 2, "\n");
      std::istringstream parts(reasons);
      for (std::string part; std::getline(parts, part);)
        for (const auto& l : wrap(part, 48)) lines.push_back(l);
      extra = ", color=\"#c01818\", penwidth=3";
    }
    out << indent << node_id(n.address) << " [label=\"" << dot_lines(lines) << "\", fillcolor=\""
        << fill_of(a) << "\"" << (n.bridge ? ", shape=box, style=\"filled\"" : "") << extra
        << "];\n";
  };

  for (const auto& bus : t.root_buses()) {
    out << "  \"bus " << bus.name() << "\" [label=\"root bus\\n"
        << bus.name() << "\", shape=ellipse, fillcolor=\"#d8d8f0\"];\n";
  }
  std::vector<bool> drawn(nodes.size(), false);
  for (const auto& [id, members] : t.groups()) {
    const GroupReport* g = p.assessment.group(id);
    out << "  subgraph cluster_group_" << id << " {\n";
    if (g) {
      const GroupStyle s = group_style(p.inventory, *g);
      std::vector<std::string> lines{"IOMMU group " + std::to_string(id)};
      for (const auto& l : wrap(s.words, 56)) lines.push_back(l);
      out << "    label=\"" << dot_lines(lines) << "\"; color=\"" << s.colour << "\"; fontcolor=\""
          << s.colour << "\"; style=\"" << s.style << "\"; penwidth=" << s.pen << ";\n";
    } else {
      out << "    label=\"IOMMU group " << id << "\";\n";
    }
    for (std::size_t i : members) {
      node_line(i, "    ");
      drawn[i] = true;
    }
    out << "  }\n";
  }
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (!drawn[i]) node_line(i, "  ");
  }
  for (const auto& bus : t.root_buses()) {
    for (std::size_t i : bus.devices)
      out << "  \"bus " << bus.name() << "\" -> " << node_id(nodes[i].address) << ";\n";
  }
  for (std::size_t i : t.preorder()) {
    for (std::size_t c : nodes[i].children)
      out << "  " << node_id(nodes[i].address) << " -> " << node_id(nodes[c].address) << ";\n";
  }

  // The legend: one sample of each kind of node and, where there are groups, of each box.
  out << R"dot(  subgraph cluster_legend {
    label="Legend"; style="rounded"; color="#404040"; fontcolor="#404040";
    node [fontsize=9];
    legend_alone [label="assignable alone", fillcolor="#c6efc6"];
    legend_together [label="assignable together with\nits group or bus", fillcolor="#fdf0b0"];
    legend_refused [label="not assignable", fillcolor="#f6c4c4"];
    legend_infra [label="bridge or host\ninfrastructure", fillcolor="#e4e4e4", style="filled"];
    legend_critical [label="HOST-CRITICAL\n(the host needs it)", fillcolor="#f6c4c4", color="#c01818", penwidth=3];
    legend_alone -> legend_together -> legend_refused -> legend_infra -> legend_critical [style=invis];
)dot";
  if (!t.groups().empty()) {
    out << R"dot(    subgraph cluster_legend_ready {
      label="IOMMU group: viable"; color="#1a8a1a"; fontcolor="#1a8a1a"; style="rounded"; penwidth=2;
      legend_ready [label="its members", shape=plaintext, style=""];
    }
    subgraph cluster_legend_bind {
      label="IOMMU group: not viable yet\n(bind it first)"; color="#d07a00"; fontcolor="#d07a00";
      style="rounded,dashed"; penwidth=2;
      legend_bind [label="its members", shape=plaintext, style=""];
    }
    subgraph cluster_legend_refused {
      label="IOMMU group: NOT VIABLE"; color="#c01818"; fontcolor="#c01818"; style="rounded,bold";
      penwidth=3;
      legend_not_viable [label="its members", shape=plaintext, style=""];
    }
)dot";
  }
  out << "  }\n}\n";
  return out.str();
}

}  // namespace ptagent::cli
