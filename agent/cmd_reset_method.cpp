// ptagent reset-method: which resets the kernel uses for a device, and in which order.
#include <nlohmann/json.hpp>

#include "agent/commands.hpp"
#include "domain/effects.hpp"
#include "error.hpp"
#include "ops/reset_method.hpp"
#include "sysfs/root.hpp"
#include "util/join.hpp"

namespace ptagent::cli {

namespace {

using nlohmann::json;

const char* kDetails =
    "Without methods: what the device's reset_method lists (Linux 5.15+); the kernel tries them\n"
    "in that order and uses the first that works. With methods: the new list, e.g.\n"
    "'device_specific bus' for an AMD GPU with vendor-reset loaded, or 'bus' to leave out an\n"
    "FLR that hangs the device. --default gives the kernel's own list back; --none disables\n"
    "every reset (vfio-pci and libvirt then cannot reset it between guests). The kernel refuses\n"
    "a method the device does not support and changes nothing. The change lasts until reboot\n"
    "('ptagent setup reset-method DEVICE METHOD...' persists it).\n";

}  // namespace

int cmd_reset_method(Context& ctx, const Args& args) {
  po::options_description desc("Options");
  std::string device;
  std::vector<std::string> methods;
  bool restore_default = false, none = false;
  desc.add_options()("device", po::value(&device),
                     "the device: 0000:03:00.0, 03:00.0 or pci_0000_03_00_0")(
      "method", po::value(&methods)->multitoken(),
      "reset methods in order: device_specific, acpi, flr, af_flr, pm, bus, cxl_bus")(
      "default", po::bool_switch(&restore_default), "give the kernel's default list back")(
      "none", po::bool_switch(&none), "disable every reset method");
  po::positional_options_description pos;
  pos.add("device", 1).add("method", -1);
  po::variables_map vm;
  if (!parse_options(ctx, command("reset-method"), desc, pos, args, vm, kDetails)) return 0;
  if (device.empty())
    throw_usage("ptagent reset-method", "needs a device",
                "e.g. ptagent reset-method 0000:03:00.0 device_specific bus");
  if (static_cast<int>(!methods.empty()) + static_cast<int>(restore_default) +
          static_cast<int>(none) >
      1)
    throw_usage("reset-method " + device, "methods, --default and --none exclude each other",
                "give one of them");
  const PciAddress address = parse_pci_address(device);
  const std::vector<std::string> wanted = parse_reset_methods(methods);
  const bool change = !wanted.empty() || restore_default || none;
  const ResetMethodChange kind = restore_default ? ResetMethodChange::restore_default
                                 : none          ? ResetMethodChange::disable_all
                                                 : ResetMethodChange::set;
  const Root& root = ctx.root();
  if (!change) {
    const std::vector<std::string> now = read_reset_methods(root, address);
    if (ctx.global.json) {
      ctx.out << json{{"device", address.to_string()}, {"reset_methods", now}}.dump(2) << "\n";
    } else {
      ctx.out << address.to_string() << ": "
              << (now.empty() ? std::string("(every reset disabled)") : join(now, " ")) << "\n";
    }
    return 0;
  }
  const ResetMethodPlan plan = plan_reset_method(root, address, kind, wanted);
  if (ctx.global.dry_run) {
    if (ctx.global.json) {
      ctx.out << json{{"device", address.to_string()},
                      {"dry_run", true},
                      {"before", plan.before},
                      {"write", plan.value()}}
                     .dump(2)
              << "\n";
    } else {
      ctx.out << "Would write '" << plan.value() << "' to " << address.to_string()
              << "'s reset_method (now '" << join(plan.before, " ")
              << "'; dry run, nothing changed)\n";
    }
    return 0;
  }
  const std::vector<std::string> after = apply_reset_method(root, ctx.effects().sysfs, plan);
  if (none) ctx.warn(address.to_string() + ": every reset is disabled; vfio-pci cannot reset it");
  if (ctx.global.json) {
    ctx.out << json{{"device", address.to_string()},
                    {"before", plan.before},
                    {"reset_methods", after}}
                   .dump(2)
            << "\n";
    return 0;
  }
  ctx.out << address.to_string() << ": reset_method "
          << (plan.before.empty() ? std::string("(none)") : join(plan.before, " ")) << " -> "
          << (after.empty() ? std::string("(none)") : join(after, " ")) << "\n"
          << "This lasts until the next reboot"
          << (after.empty() || restore_default ? std::string(".")
                                               : "; from every boot: ptagent setup reset-method " +
                                                     address.to_string() + " " + join(after, " "))
          << "\n";
  return 0;
}

}  // namespace ptagent::cli
