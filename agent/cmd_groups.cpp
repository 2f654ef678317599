// ptagent groups: every IOMMU group, its members, bridges and infrastructure marked, the verdict
// of each device and of the group (the unit of assignment). The verdicts are the core's
// (analyze_reset): the same ones show and probe give.
#include "agent/commands.hpp"
#include "agent/render.hpp"
#include "error.hpp"
#include "host/critical.hpp"
#include "ops/reset_probe.hpp"
#include "pci/inventory.hpp"
#include "util/join.hpp"

namespace ptagent::cli {

namespace {

struct GroupView {
  unsigned id = 0;
  std::vector<PciAddress> members;
  std::vector<ResetAnalysis> analyses;  // one per member, same order
  std::vector<PciAddress> endpoints;    // the unit of assignment
  std::string verdict;                  // one line
  bool viable = false;                  // every endpoint is on vfio-pci or has no driver
};

// The group's line: the unit, whether it is ready, or why it cannot go.
void summarize(const Inventory& inv, GroupView& g) {
  bool infrastructure = false;
  const ResetAnalysis* refused = nullptr;
  const ResetAnalysis* first = nullptr;
  for (const auto& r : g.analyses) {
    if (r.infrastructure != Infrastructure::none) {
      infrastructure = infrastructure || r.infrastructure != Infrastructure::bus_bridge;
      continue;
    }
    if (!first) first = &r;
    g.endpoints.push_back(r.address);
    // The root cause first: a device refused for itself rather than for a companion.
    if (r.verdict == Assignability::not_assignable &&
        (!refused || (refused->reason.rfind("it would have to", 0) == 0 &&
                      r.reason.rfind("it would have to", 0) != 0))) {
      refused = &r;
    }
  }
  if (!first) {
    g.verdict =
        infrastructure ? "host infrastructure only: it stays with the host" : "bridges only";
    return;
  }
  g.viable = first->group.all_on_vfio();
  if (refused) {
    const std::string who = refused->address.to_string();
    g.verdict =
        "not assignable: " +
        (refused->reason.rfind(who, 0) == 0 ? refused->reason : who + ": " + refused->reason);
    return;
  }
  if (g.endpoints.size() == 1) {
    g.verdict = g.endpoints.front().to_string() + " " +
                verdict_summary(first->verdict, first->together_with, first->reason);
    return;
  }
  g.verdict = together_phrase(g.endpoints);
  std::vector<PciAddress> host;
  for (const auto& e : g.endpoints) {
    const Device& d = inv.get(e);
    if (d.driver && !d.on_vfio()) host.push_back(e);
  }
  if (g.viable) {
    g.verdict += "; viable: every endpoint is on vfio-pci or has no driver";
  } else {
    std::string list;
    for (const auto& h : host)
      list += (list.empty() ? "" : ", ") + h.to_string() + " (" + *inv.get(h).driver + ")";
    g.verdict += "; not viable yet: " + list + (host.size() == 1 ? " is" : " are") +
                 " on a host driver ('ptagent bind --group " + g.endpoints.front().to_string() +
                 "' binds the group, or give them to libvirt as managed hostdevs)";
  }
}

std::string cell(const ResetAnalysis& r) {
  if (r.infrastructure == Infrastructure::bus_bridge) return "-";
  if (r.infrastructure != Infrastructure::none) return "infrastructure";
  switch (r.verdict) {
    case Assignability::alone:
      return "alone";
    case Assignability::together:
      return "together with " + join(r.together_with, " ");
    case Assignability::not_assignable:
      return "not assignable";
  }
  return "?";
}

}  // namespace

int cmd_groups(Context& ctx, const Args& args) {
  po::options_description desc("Options");
  po::variables_map vm;
  if (!parse_options(ctx, command("groups"), desc, {}, args, vm)) return 0;

  // Full detail: the verdicts need what probe and show read (config space for the reset means).
  const Root& root = ctx.root();
  Inventory inv = Inventory::scan(root, Naming::with_names);
  HostCritical critical = HostCritical::scan(root, inv);
  std::vector<GroupView> views;
  for (const auto& [id, members] : inv.groups()) {
    GroupView g;
    g.id = id;
    g.members = members;
    for (const auto& a : members) g.analyses.push_back(analyze_reset(inv, critical, a));
    summarize(inv, g);
    views.push_back(std::move(g));
  }

  if (ctx.global.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& g : views) {
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
                     {"verdict", g.verdict}});
    }
    ctx.out << out.dump(2) << "\n";
    return 0;
  }

  if (views.empty()) {
    ctx.out << "No IOMMU groups: the IOMMU is off or missing on this host (run 'ptagent check').\n";
    return 0;
  }
  for (const auto& g : views) {
    ctx.out << "IOMMU group " << g.id << "\n";
    Table t({"ADDRESS", "KIND", "CLASS", "ID", "DRIVER", "VERDICT", "NAME"});
    for (std::size_t i = 0; i < g.members.size(); ++i) {
      const Device& d = inv.get(g.members[i]);
      t.add({d.address.to_string(), kind_label(d), hex(d.class_code >> 8, 4), d.ids(),
             d.driver.value_or("-"), cell(g.analyses[i]), display_name(d)});
    }
    t.print(ctx.out, "  ");
    ctx.out << "  verdict: " << g.verdict << "\n\n";
  }
  return 0;
}

}  // namespace ptagent::cli
