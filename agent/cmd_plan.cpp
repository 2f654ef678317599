// ptagent plan DEVICE…: one ordered list of what this host still needs before the devices can go
// to a guest, each step with the command that does it; nothing is done. The steps and their
// verdicts are the core's (check/passthrough_plan over check_readiness and analyze_reset); only
// the commands are spelled here.
#include <nlohmann/json.hpp>

#include "agent/commands.hpp"
#include "agent/device_args.hpp"
#include "check/passthrough_plan.hpp"
#include "check/readiness.hpp"
#include "error.hpp"
#include "host/critical.hpp"
#include "pci/inventory.hpp"
#include "util/join.hpp"

namespace ptagent::cli {

namespace {

const char* kDetails =
    "The steps, in order: each readiness check that FAILs (with check's fix; 'ptagent setup\n"
    "iommu' or 'ptagent setup modules' where ptagent can make the change), a device that cannot\n"
    "be passed through at all (why, and what to do), the IOMMU group companions that go to the\n"
    "same guest, how each device is reset ('ptagent probe' runs libvirt's live check), binding to\n"
    "vfio-pci now and, optionally, at every boot, the <hostdev> XML and the attach. Nothing is\n"
    "changed. Exit status: 0 when the devices can be passed through once the steps are done, 1 "
    "when\n"
    "a device cannot be (a refused step).\n";

struct Spelled {
  std::string what;     // one line
  std::string command;  // empty: nothing ptagent runs for it (the fix says what to do)
};

std::string list(const std::vector<PciAddress>& devices) {
  return join(devices, " ");
}

Spelled spell(const PlanStep& s, const std::string& domain) {
  const std::string devs = list(s.devices);
  switch (s.kind) {
    case PlanStepKind::host_check: {
      std::string command;
      if (s.check_id == "iommu-cmdline") command = "ptagent setup iommu";
      if (s.check_id == "vfio-modules" || s.check_id == "vfio-device")
        command = "ptagent setup modules";
      return {"fix the host (check " + s.check_id + "): " + s.text, command};
    }
    case PlanStepKind::refused:
      return {(s.text.rfind(devs, 0) == 0 ? "cannot be passed through: " + s.text
                                          : devs + " cannot be passed through: " + s.text),
              "ptagent show " + devs};
    case PlanStepKind::companions:
      return {"add the companions: " + s.text, "ptagent groups --tree"};
    case PlanStepKind::reset:
      return {devs + ": " + s.text, "ptagent probe " + devs};
    case PlanStepKind::bind_now:
      return {s.done ? "bind to vfio-pci: nothing to do, " + s.text
                     : "bind to vfio-pci (until reboot; or let libvirt do it with managed "
                       "<hostdev>s): " +
                           s.text,
              s.done ? std::string() : "ptagent bind " + devs};
    case PlanStepKind::bind_at_boot:
      return {"bind at boot, " + s.text, s.done ? std::string() : "ptagent setup bind " + devs};
    case PlanStepKind::hostdev:
      return {s.text, "ptagent gen-xml " + devs};
    case PlanStepKind::attach:
      return {s.text, "ptagent attach " + domain + " " + devs};
  }
  return {"?", {}};
}

}  // namespace

int cmd_plan(Context& ctx, const Args& args) {
  std::vector<std::string> devices;
  std::string domain = "DOMAIN";
  po::options_description desc("Options");
  desc.add_options()("device", po::value(&devices)->multitoken(), "the devices for one guest")(
      "domain", po::value(&domain)->value_name("NAME"),
      "the guest, for the attach line (default: DOMAIN)");
  po::positional_options_description pos;
  pos.add("device", -1);
  po::variables_map vm;
  if (!parse_options(ctx, command("plan"), desc, pos, args, vm, kDetails)) return 0;
  if (devices.empty())
    throw_usage("ptagent plan", "needs a DEVICE", "e.g. ptagent plan 0000:01:00.0");
  if (domain.empty()) throw_usage("--domain", "needs a domain name");

  const Root& root = ctx.root();
  Inventory inv = Inventory::scan(root, Naming::ids_only);
  const std::vector<PciAddress> addrs = resolve_devices(inv, devices, GroupExpansion::none);
  HostCritical critical = HostCritical::scan(root, inv);
  const PassthroughPlan plan =
      plan_passthrough(check_readiness(root), inv, critical, addrs, boot_vfio_devices(root));
  bool refused = false;
  for (const auto& s : plan.steps) refused = refused || s.kind == PlanStepKind::refused;

  if (ctx.global.json) {
    nlohmann::ordered_json steps = nlohmann::ordered_json::array();
    int n = 0;
    for (const auto& s : plan.steps) {
      const Spelled sp = spell(s, domain);
      nlohmann::ordered_json devs = nlohmann::ordered_json::array();
      for (const auto& d : s.devices) devs.push_back(d.to_string());
      steps.push_back(
          {{"step", ++n},
           {"kind", plan_step_key(s.kind)},
           {"check", s.check_id.empty() ? nlohmann::ordered_json(nullptr)
                                        : nlohmann::ordered_json(s.check_id)},
           {"what", sp.what},
           {"command", sp.command.empty() ? nlohmann::ordered_json(nullptr)
                                          : nlohmann::ordered_json(sp.command)},
           {"fix", s.fix.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s.fix)},
           {"devices", devs},
           {"done", s.done}});
    }
    nlohmann::ordered_json req = nlohmann::ordered_json::array(),
                           unit = nlohmann::ordered_json::array();
    for (const auto& d : plan.requested) req.push_back(d.to_string());
    for (const auto& d : plan.unit) unit.push_back(d.to_string());
    nlohmann::ordered_json j;
    j["devices"] = req;
    j["unit"] = unit;
    j["possible"] = plan.possible;
    j["steps"] = steps;
    ctx.out << j.dump(2) << "\n";
    return refused ? 1 : 0;
  }

  ctx.out << "Plan for " << list(plan.requested) << " (nothing is done here):\n";
  int n = 0;
  for (const auto& s : plan.steps) {
    const Spelled sp = spell(s, domain);
    ctx.out << "\n" << ++n << ". " << sp.what << "\n";
    if (!s.fix.empty()) ctx.out << "   fix: " << s.fix << "\n";
    if (!sp.command.empty()) ctx.out << "   $ " << sp.command << "\n";
  }
  ctx.out << "\n"
          << (refused ? "Not possible: a device above cannot be passed through."
              : plan.possible
                  ? "Possible: follow the steps (ptagent's commands check again before they act)."
                  : "Possible once the host is fixed (the first steps); then run the plan again.")
          << "\n";
  return refused ? 1 : 0;
}

}  // namespace ptagent::cli
