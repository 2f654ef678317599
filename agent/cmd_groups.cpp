// ptagent groups: every IOMMU group, its members, bridges and infrastructure marked, the verdict
// of each device and of the group (the unit of assignment). The verdicts are the core's
// (ops/group_report over analyze_reset): the same ones show and probe give. --tree and
// --format dot|svg draw the same verdicts on the PCI tree (agent/topology_render).
#include <cstdlib>

#include "agent/commands.hpp"
#include "agent/render.hpp"
#include "agent/topology_render.hpp"
#include "error.hpp"
#include "host/critical.hpp"
#include "host/vfio_host.hpp"
#include "ops/group_report.hpp"
#include "pci/inventory.hpp"
#include "pci/topology.hpp"
#include "setup/command_runner.hpp"

namespace ptagent::cli {

namespace {

const char* kDetails =
    "Formats (--format): table (the default: one table per IOMMU group), tree (the same as\n"
    "--tree: the PCI tree like 'lspci -tv', each function with its IOMMU group, driver,\n"
    "host-critical mark '!' and verdict; coloured on a terminal unless NO_COLOR is set), dot\n"
    "(Graphviz: bridges as the tree, IOMMU groups as boxes around their members, host-critical\n"
    "devices and groups that are not viable marked, a legend) and svg (the dot drawing rendered\n"
    "by Graphviz's 'dot -Tsvg'; needs the graphviz package). --json prints the groups as JSON.\n";

// Where `dot` is looked for: the caller's PATH, else the system's.
std::string dot_search_path() {
  if (const char* path = std::getenv("PATH"); path && *path) return path;
  return "/usr/local/bin:/usr/bin:/bin";
}

std::string render_svg(const std::string& dot) {
  ProcessRunner runner(dot_search_path());
  const FilterResult r = runner.filter({"dot", "-Tsvg"}, dot);
  if (r.exit_code == 127 && r.output.empty()) {
    throw_failed("groups --format svg", "Graphviz's 'dot' is not installed (" + r.errors + ")",
                 "install it ('apt-get install graphviz'), or print the DOT text with "
                 "'--format dot' and draw it elsewhere");
  }
  if (r.exit_code != 0) {
    throw_failed("groups --format svg",
                 "'dot -Tsvg' failed (exit " + std::to_string(r.exit_code) + "): " + r.errors,
                 "print the DOT text with '--format dot' and report the problem");
  }
  return r.output;
}

}  // namespace

int cmd_groups(Context& ctx, const Args& args) {
  po::options_description desc("Options");
  bool tree = false;
  std::string format = "table";
  desc.add_options()("tree", po::bool_switch(&tree),
                     "draw the PCI tree with groups, drivers, marks and verdicts")(
      "format", po::value(&format)->value_name("FORMAT"), "table (default), tree, dot or svg");
  po::variables_map vm;
  if (!parse_options(ctx, command("groups"), desc, {}, args, vm, kDetails)) return 0;
  if (format != "table" && format != "tree" && format != "dot" && format != "svg") {
    throw_usage("--format " + format, "is not a format of groups",
                "use table, tree, dot or svg (run 'ptagent groups --help')");
  }
  if (tree && vm.count("format") && format != "tree") {
    throw_usage("--tree with --format " + format, "asks for two formats",
                "use one of them ('--tree' is '--format tree')");
  }
  if (tree) format = "tree";
  if (ctx.global.json && format != "table") {
    throw_usage("--json with --format " + format, "asks for two formats",
                "use --json for the groups as JSON, or --format " + format + " without --json");
  }

  // Full detail: the verdicts need what probe and show read (config space for the reset means).
  const Root& root = ctx.root();
  Inventory inv = Inventory::scan(root, Naming::with_names);
  HostCritical critical = HostCritical::scan(root, inv);

  if (format != "table") {
    const HostAssessment assessment = assess_host(inv, critical, read_vfio_host(root));
    const Topology topology = Topology::of(inv);
    const TopologyPicture picture{inv, topology, assessment};
    if (format == "tree") {
      ctx.out << render_tree(picture, use_colour(ctx.terminal, std::getenv("NO_COLOR")));
    } else if (format == "dot") {
      ctx.out << render_dot(picture);
    } else {
      ctx.out << render_svg(render_dot(picture));
    }
    return 0;
  }

  const std::vector<GroupReport> groups = report_groups(inv, critical, read_vfio_host(root));
  if (ctx.global.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& g : groups) {
      nlohmann::json jm = nlohmann::json::array();
      for (std::size_t i = 0; i < g.members.size(); ++i) {
        const Device& d = inv.get(g.members[i]);
        const ResetAnalysis& r = g.analyses[i];
        const bool endpoint = r.infrastructure == Infrastructure::none;
        nlohmann::json needs = nlohmann::json::array();
        if (r.verdict == Assignability::together) {
          for (const auto& t : r.together_with) needs.push_back(t.to_string());
        }
        jm.push_back(
            {{"address", d.address.to_string()},
             {"class", "0x" + hex(d.class_code, 6)},
             {"class_name", d.class_name},
             {"vendor_id", "0x" + hex(d.vendor_id, 4)},
             {"device_id", "0x" + hex(d.device_id, 4)},
             {"name", display_name(d)},
             {"driver", d.driver ? nlohmann::json(*d.driver) : nlohmann::json(nullptr)},
             {"bridge", d.is_bridge},
             {"infrastructure", endpoint ? nlohmann::json(nullptr)
                                         : nlohmann::json(infrastructure_name(r.infrastructure))},
             {"viable_alone", endpoint ? nlohmann::json(r.verdict == Assignability::alone)
                                       : nlohmann::json(nullptr)},
             {"verdict", verdict_key(r.verdict)},
             {"reason", r.reason},
             {"needs", needs}});
      }
      nlohmann::json ends = nlohmann::json::array();
      for (const auto& e : g.endpoints) ends.push_back(e.to_string());
      out.push_back({{"group", g.id},
                     {"members", jm},
                     {"assign_together", ends},
                     {"viable", g.viable},
                     {"verdict", group_verdict_line(inv, g)}});
    }
    ctx.out << out.dump(2) << "\n";
    return 0;
  }

  if (groups.empty()) {
    ctx.out << "No IOMMU groups: the IOMMU is off or missing on this host (run 'ptagent check').\n";
    return 0;
  }
  for (const auto& g : groups) {
    ctx.out << "IOMMU group " << g.id << "\n";
    Table t({"ADDRESS", "KIND", "CLASS", "ID", "DRIVER", "VERDICT", "NAME"});
    for (std::size_t i = 0; i < g.members.size(); ++i) {
      const Device& d = inv.get(g.members[i]);
      t.add({d.address.to_string(), kind_label(d), hex(d.class_code >> 8, 4), d.ids(),
             d.driver.value_or("-"), verdict_cell(g.analyses[i]), display_name(d)});
    }
    t.print(ctx.out, "  ");
    ctx.out << "  verdict: " << group_verdict_line(inv, g) << "\n\n";
  }
  return 0;
}

}  // namespace ptagent::cli
