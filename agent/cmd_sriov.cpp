// ptagent sriov: a PF's VFs and who uses them; with --vfs, change the count safely.
#include <nlohmann/json.hpp>

#include "agent/commands.hpp"
#include "agent/render.hpp"
#include "domain/effects.hpp"
#include "domain/holders.hpp"
#include "error.hpp"
#include "ops/journal.hpp"
#include "ops/sriov.hpp"
#include "sysfs/root.hpp"
#include "util/join.hpp"

namespace ptagent::cli {

namespace {

using nlohmann::json;

const char* kDetails =
    "Without --vfs: the PF's total and current VFs, and each VF's address, driver, IOMMU group\n"
    "and whether it is in use (bound to vfio-pci, its /dev/vfio/<group> open, or assigned to a\n"
    "running domain per libvirt's status files or ptagent's journal).\n\n"
    "With --vfs N: refuses N above sriov_totalvfs; goes through 0 between two non-zero counts\n"
    "(the kernel requires it, so every existing VF is removed and recreated); refuses while a VF\n"
    "that would be removed is in use, unless --force; records the previous count in the journal\n"
    "('ptagent restore' puts it back); waits up to 5 s for the new VFs and prints them.\n";

Autoprobe parse_autoprobe(const std::string& text) {
  if (text.empty()) return Autoprobe::unchanged;
  if (text == "yes" || text == "on" || text == "1") return Autoprobe::on;
  if (text == "no" || text == "off" || text == "0") return Autoprobe::off;
  throw_usage("--autoprobe " + text, "must be yes or no",
              "--autoprobe no leaves new VFs without a driver, ready for vfio-pci");
}

std::string in_use_text(const VfState& vf) {
  if (vf.in_use.empty()) return "no";
  std::string out = "yes: ";
  for (std::size_t i = 0; i < vf.in_use.size(); ++i) out += (i ? "; " : "") + vf.in_use[i];
  return out;
}

json state_json(const SriovState& st) {
  json vfs = json::array();
  for (const auto& vf : st.vfs) {
    vfs.push_back({{"index", vf.index},
                   {"address", vf.address.to_string()},
                   {"driver", vf.driver ? json(*vf.driver) : json(nullptr)},
                   {"iommu_group", vf.iommu_group ? json(*vf.iommu_group) : json(nullptr)},
                   {"in_use", !vf.in_use.empty()},
                   {"in_use_by", vf.in_use}});
  }
  return {{"pf", st.pf.to_string()},
          {"driver", st.pf_driver ? json(*st.pf_driver) : json(nullptr)},
          {"total_vfs", st.total_vfs},
          {"num_vfs", st.num_vfs},
          {"drivers_autoprobe", st.drivers_autoprobe ? json(*st.drivers_autoprobe) : json(nullptr)},
          {"vfs", vfs}};
}

void print_state(std::ostream& out, const SriovState& st) {
  auto line = [&](const std::string& key, const std::string& value) {
    std::string k = key + ":";
    k.resize(19, ' ');
    out << k << value << "\n";
  };
  line("PF", st.pf.to_string() + " (driver " + st.pf_driver.value_or("none") + ")");
  line("VFs", std::to_string(st.num_vfs) + " of " + std::to_string(st.total_vfs));
  line("Drivers autoprobe", st.drivers_autoprobe ? (*st.drivers_autoprobe ? "yes" : "no")
                                                 : "unknown (no sriov_drivers_autoprobe)");
  if (st.vfs.empty()) return;
  out << "\n";
  Table t({"INDEX", "VF", "DRIVER", "GROUP", "IN USE"});
  for (const auto& vf : st.vfs) {
    t.add({std::to_string(vf.index), vf.address.to_string(), vf.driver.value_or("-"),
           vf.iommu_group ? std::to_string(*vf.iommu_group) : "-", in_use_text(vf)});
  }
  t.print(out);
}

std::string join_addresses(const std::vector<VfState>& vfs) {
  std::string out = join(vfs, " ", [](const auto& vf) { return vf.address.to_string(); });
  return out;
}

void print_plan(std::ostream& out, const SriovPlan& plan, const WaitLimits& limits) {
  const std::string pf = plan.pf.to_string();
  if (plan.from == plan.to) {
    out << "Would keep " << pf << " at " << plan.to << " VFs (dry run, nothing changed):\n";
  } else {
    out << "Would change " << pf << " from " << plan.from << " to " << plan.to
        << " VFs (dry run, nothing changed):\n";
  }
  if (plan.nothing_to_do()) out << "  nothing to do\n";
  out << (plan.writes.empty() ? ""
                              : "  record " + std::to_string(plan.from) +
                                    " VFs in the journal for 'ptagent restore'\n");
  if (plan.autoprobe)
    out << "  write " << (*plan.autoprobe ? 1 : 0) << " to sriov_drivers_autoprobe\n";
  for (unsigned w : plan.writes) {
    out << "  write " << w << " to sriov_numvfs";
    if (w == 0 && !plan.destroyed.empty())
      out << " (removes " << join_addresses(plan.destroyed) << ")";
    out << "\n";
  }
  if (!plan.writes.empty() && plan.to > 0) {
    out << "  wait up to " << limits.timeout.count() << " ms for virtfn0..virtfn" << plan.to - 1
        << "\n";
  }
}

json plan_json(const SriovPlan& plan) {
  json destroyed = json::array();
  for (const auto& vf : plan.destroyed) destroyed.push_back(vf.address.to_string());
  return {{"dry_run", true},
          {"pf", plan.pf.to_string()},
          {"from", plan.from},
          {"to", plan.to},
          {"total_vfs", plan.total},
          {"autoprobe", plan.autoprobe ? json(*plan.autoprobe) : json(nullptr)},
          {"numvfs_writes", plan.writes},
          {"removes", destroyed},
          {"forced", plan.forced}};
}

// Who holds each function (the journal, libvirt's status files); unreadable status files warned
// about.
PciHolders collect_holders(Context& ctx, const Root& root) {
  const domain::DeviceHolders holders = domain::DeviceHolders::read(root);
  for (const auto& p : holders.problems())
    ctx.warn("libvirt status file " + p + " (ignored for the in-use check)");
  return holders.pci_reasons();
}

}  // namespace

int cmd_sriov(Context& ctx, const Args& args) {
  SysfsWriter& writer = ctx.effects().sysfs;
  const WaitLimits& limits = ctx.effects().settle;
  po::options_description desc("Options");
  std::string device, vfs, autoprobe;
  bool force = false;
  desc.add_options()("device", po::value(&device),
                     "the PF: 0000:01:00.0, 01:00.0 or pci_0000_01_00_0")(
      "vfs", po::value(&vfs), "set the number of VFs to N (0 removes them all)")(
      "autoprobe", po::value(&autoprobe),
      "yes|no: write sriov_drivers_autoprobe first (no: new VFs stay driverless)")(
      "force", po::bool_switch(&force), "remove VFs even when they are in use");
  po::positional_options_description pos;
  pos.add("device", 1);
  po::variables_map vm;
  if (!parse_options(ctx, command("sriov"), desc, pos, args, vm, kDetails)) return 0;
  if (device.empty())
    throw_usage("ptagent sriov", "needs a PF", "e.g. ptagent sriov 0000:01:00.0 --vfs 4");
  const PciAddress pf = parse_pci_address(device);
  const bool change = vm.count("vfs") > 0 || !autoprobe.empty();
  std::optional<unsigned> requested;
  if (vm.count("vfs")) requested = parse_vf_count(vfs);
  const Autoprobe ap = parse_autoprobe(autoprobe);
  if (vm.count("autoprobe") && autoprobe.empty()) throw_usage("--autoprobe", "must be yes or no");
  if (force && !requested) throw_usage("--force", "only applies with --vfs");

  const Root& root = ctx.root();
  const SriovState st = read_sriov(root, pf, collect_holders(ctx, root));
  if (!change) {
    if (ctx.global.json) {
      ctx.out << state_json(st).dump(2) << "\n";
    } else {
      print_state(ctx.out, st);
    }
    return 0;
  }

  const SriovPlan plan =
      plan_sriov(st, requested.value_or(st.num_vfs), ap, force ? VfInUse::force : VfInUse::refuse);
  for (const auto& f : plan.forced) ctx.warn("--force: removing a VF in use: " + f);
  if (ctx.global.dry_run) {
    if (ctx.global.json) {
      ctx.out << plan_json(plan).dump(2) << "\n";
    } else {
      print_plan(ctx.out, plan, limits);
    }
    return 0;
  }
  Journal journal = ctx.journal();
  apply_sriov(root, writer, journal, plan, "cli", limits);
  const SriovState now = read_sriov(root, pf, collect_holders(ctx, root));
  if (ctx.global.json) {
    json j = state_json(now);
    j["changed"] = {{"from", plan.from}, {"to", plan.to}};
    ctx.out << j.dump(2) << "\n";
    return 0;
  }
  if (plan.writes.empty()) {
    ctx.out << pf.to_string() << " already has " << plan.to << " VFs; nothing to change\n";
  } else {
    ctx.out << pf.to_string() << ": " << plan.from << " -> " << plan.to << " VFs\n";
  }
  if (plan.autoprobe)
    ctx.out << "sriov_drivers_autoprobe set to " << (*plan.autoprobe ? 1 : 0) << "\n";
  ctx.out << "\n";
  print_state(ctx.out, now);
  return 0;
}

}  // namespace ptagent::cli
