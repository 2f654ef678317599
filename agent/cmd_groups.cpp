// ptagent groups: every IOMMU group, its members, bridges marked, a verdict per device.
#include "agent/commands.hpp"
#include "agent/render.hpp"
#include "error.hpp"
#include "pci/inventory.hpp"

namespace ptagent::cli {

int cmd_groups(Context& ctx, const Args& args) {
  po::options_description desc("Options");
  po::variables_map vm;
  if (!parse_options(ctx, command("groups"), desc, {}, args, vm)) return 0;

  Inventory inv = Inventory::scan(ctx.root(), Naming::with_names, DeviceDetail::listing);
  auto groups = inv.groups();

  if (ctx.global.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [id, members] : groups) {
      nlohmann::json jm = nlohmann::json::array();
      for (const auto& a : members) {
        const Device& d = inv.get(a);
        const PciAddress self[] = {a};
        GroupVerdict v = assess_group(inv, a, self);
        nlohmann::json needs = nlohmann::json::array();
        for (const auto& b : v.blockers()) needs.push_back(b.to_string());
        jm.push_back({{"address", a.to_string()},
                      {"class", "0x" + hex(d.class_code, 6)},
                      {"class_name", d.class_name},
                      {"vendor_id", "0x" + hex(d.vendor_id, 4)},
                      {"device_id", "0x" + hex(d.device_id, 4)},
                      {"name", display_name(d)},
                      {"driver", d.driver ? nlohmann::json(*d.driver) : nlohmann::json(nullptr)},
                      {"bridge", d.is_bridge},
                      {"viable_alone", d.is_bridge ? nlohmann::json(nullptr) : nlohmann::json(v.viable)},
                      {"needs", needs}});
      }
      out.push_back({{"group", id}, {"members", jm}});
    }
    ctx.out << out.dump(2) << "\n";
    return 0;
  }

  if (groups.empty()) {
    ctx.out << "No IOMMU groups: the IOMMU is off or missing on this host (run 'ptagent check').\n";
    return 0;
  }
  for (const auto& [id, members] : groups) {
    ctx.out << "IOMMU group " << id << "\n";
    Table t({"ADDRESS", "KIND", "CLASS", "ID", "DRIVER", "VERDICT", "NAME"});
    std::vector<PciAddress> endpoints, host_bound;
    for (const auto& a : members) {
      const Device& d = inv.get(a);
      std::string verdict = "-";
      if (!d.is_bridge) {
        endpoints.push_back(a);
        if (d.driver && !d.on_vfio()) host_bound.push_back(a);
        const PciAddress self[] = {a};
        GroupVerdict v = assess_group(inv, a, self);
        if (v.viable) {
          verdict = "viable alone";
        } else {
          verdict = "needs";
          for (const auto& b : v.blockers()) verdict += " " + b.to_string();
        }
      }
      t.add({a.to_string(), d.is_bridge ? "bridge" : "endpoint", hex(d.class_code >> 8, 4), id_pair(d),
             d.driver.value_or("-"), verdict, display_name(d)});
    }
    t.print(ctx.out, "  ");
    if (endpoints.size() > 1 && !host_bound.empty()) {
      std::string all;
      for (const auto& e : endpoints) all += (all.empty() ? "" : ", ") + e.to_string();
      ctx.out << "  verdict: assign " << all << " together, or bind the others to vfio-pci first\n";
    } else if (endpoints.empty()) {
      ctx.out << "  verdict: bridges only\n";
    } else {
      ctx.out << "  verdict: each endpoint can be assigned on its own\n";
    }
    ctx.out << "\n";
  }
  return 0;
}

}  // namespace ptagent::cli
