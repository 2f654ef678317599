// ptagent power: a device's runtime power state; --keep-on keeps it (and its bridge) out of
// D3cold, --idle gives the kernel its defaults back.
#include <nlohmann/json.hpp>

#include "agent/commands.hpp"
#include "domain/effects.hpp"
#include "error.hpp"
#include "ops/power.hpp"
#include "sysfs/root.hpp"

namespace ptagent::cli {

namespace {

using nlohmann::json;

const char* kDetails =
    "Without a mode: the device's power_state, d3cold_allowed, power/control and\n"
    "power/runtime_status, its upstream bridge's, and whether the kernel may cut its power.\n\n"
    "--keep-on writes d3cold_allowed=0 and power/control=on on the device and d3cold_allowed=0\n"
    "on its bridge: the fix for a device that does not come back from D3cold (lspci 'rev ff',\n"
    "\"can't change power state from D3hot to D0\"). --idle writes d3cold_allowed=1 and\n"
    "power/control=auto on the device (what vfio-pci sets for an unused device), leaving the\n"
    "bridge as it is. Only attributes whose value changes are written; a failed write puts\n"
    "back those already written. The change lasts until reboot ('ptagent setup power DEVICE'\n"
    "persists --keep-on). --dry-run lists the writes.\n";

json opt(const std::optional<std::string>& v) {
  return v ? json(*v) : json(nullptr);
}

json function_json(const PowerFunction& f) {
  return {{"address", f.address.to_string()},
          {"power_state", opt(f.power_state)},
          {"d3cold_allowed", f.d3cold_allowed ? json(*f.d3cold_allowed) : json(nullptr)},
          {"power_control", opt(f.power_control)},
          {"runtime_status", opt(f.runtime_status)}};
}

json state_json(const PowerState& s) {
  return {{"device", function_json(s.device)},
          {"bridge", s.bridge ? function_json(*s.bridge) : json(nullptr)},
          {"platform_d3cold", s.platform_d3cold},
          {"may_enter_d3cold", s.may_enter_d3cold()}};
}

json plan_json(const PowerPlan& p) {
  json writes = json::array();
  for (const auto& w : p.writes)
    writes.push_back({{"path", w.path}, {"value", w.value}, {"before", w.before}});
  return {{"device", p.address.to_string()},
          {"mode", p.mode == PowerMode::keep_on ? "keep-on" : "idle"},
          {"writes", writes}};
}

void print_function(std::ostream& out, const std::string& label, const PowerFunction& f) {
  auto v = [](const std::optional<std::string>& s) { return s.value_or("-"); };
  out << label << f.address.to_string() << ": power_state " << v(f.power_state)
      << ", d3cold_allowed "
      << (f.d3cold_allowed ? (*f.d3cold_allowed ? "1" : "0") : std::string("-"))
      << ", power/control " << v(f.power_control) << ", runtime_status " << v(f.runtime_status)
      << "\n";
}

void print_state(std::ostream& out, const PowerState& s) {
  print_function(out, "Device  ", s.device);
  if (s.bridge) print_function(out, "Bridge  ", *s.bridge);
  out << "Firmware can cut its power (ACPI _PR3): " << (s.platform_d3cold ? "yes" : "no") << "\n";
  out << "May enter D3cold now: " << (s.may_enter_d3cold() ? "yes" : "no") << "\n";
}

}  // namespace

int cmd_power(Context& ctx, const Args& args) {
  po::options_description desc("Options");
  std::string device;
  bool keep_on = false, idle = false;
  desc.add_options()("device", po::value(&device),
                     "the device: 0000:04:00.0, 04:00.0 or pci_0000_04_00_0")(
      "keep-on", po::bool_switch(&keep_on),
      "keep the device and its bridge powered (no D3cold, no runtime suspend)")(
      "idle", po::bool_switch(&idle),
      "let the kernel suspend it again when unused (d3cold_allowed=1, power/control=auto)");
  po::positional_options_description pos;
  pos.add("device", 1);
  po::variables_map vm;
  if (!parse_options(ctx, command("power"), desc, pos, args, vm, kDetails)) return 0;
  if (device.empty())
    throw_usage("ptagent power", "needs a device", "e.g. ptagent power 0000:04:00.0 --keep-on");
  if (keep_on && idle) throw_usage("--keep-on and --idle", "exclude each other", "give one");
  const PciAddress address = parse_pci_address(device);
  const Root& root = ctx.root();
  const PowerState state = read_power(root, address);
  if (!keep_on && !idle) {
    if (ctx.global.json) {
      ctx.out << state_json(state).dump(2) << "\n";
    } else {
      print_state(ctx.out, state);
    }
    return 0;
  }
  const PowerPlan plan = plan_power(state, keep_on ? PowerMode::keep_on : PowerMode::idle);
  if (ctx.global.dry_run) {
    if (ctx.global.json) {
      json j = plan_json(plan);
      j["dry_run"] = true;
      ctx.out << j.dump(2) << "\n";
    } else {
      ctx.out << "Would " << (keep_on ? "keep " : "idle ") << address.to_string()
              << (keep_on ? " powered" : "") << " (dry run, nothing changed):\n";
      if (plan.nothing_to_do()) ctx.out << "  nothing to do\n";
      for (const auto& w : plan.writes)
        ctx.out << "  write " << w.value << " to " << w.path << " (now " << w.before << ")\n";
    }
    return 0;
  }
  const PowerState now = apply_power(root, ctx.effects().sysfs, plan);
  if (ctx.global.json) {
    json j = state_json(now);
    j["changed"] = plan_json(plan)["writes"];
    ctx.out << j.dump(2) << "\n";
    return 0;
  }
  if (plan.nothing_to_do()) {
    ctx.out << address.to_string() << " is already "
            << (keep_on ? "kept powered" : "left to the kernel") << "; nothing to change\n";
  } else {
    for (const auto& w : plan.writes)
      ctx.out << "wrote " << w.value << " to " << w.path << " (was " << w.before << ")\n";
  }
  print_state(ctx.out, now);
  if (!plan.nothing_to_do()) {
    ctx.out << "This lasts until the next reboot; "
            << (keep_on ? "from every boot: ptagent setup power " + address.to_string()
                        : "if it was persisted: ptagent setup revert power:" + address.to_string())
            << "\n";
  }
  return 0;
}

}  // namespace ptagent::cli
