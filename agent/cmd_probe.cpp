// ptagent probe: can this device be assigned alone? Static analysis, then libvirt's own live check
// (detach, reset, give it back).
#include <chrono>

#include "agent/commands.hpp"
#include "agent/device_args.hpp"
#include "agent/render.hpp"
#include "domain/effects.hpp"
#include "error.hpp"
#include "host/critical.hpp"
#include "host/vfio_host.hpp"
#include "ops/reset_probe.hpp"
#include "ops/rom_probe.hpp"
#include "pci/inventory.hpp"
#include "sysfs/root.hpp"
#include "util/join.hpp"
#include "virt/live_probe.hpp"

namespace ptagent::cli {

namespace {

std::string yes_no(bool b) {
  return b ? "yes" : "no";
}

}  // namespace

int cmd_probe(Context& ctx, const Args& args) {
  std::string device;
  bool no_live = false, keep = false;
  double timeout_s = 30;
  po::options_description desc("Options");
  desc.add_options()("device", po::value(&device), "the device to probe")(
      "no-live", po::bool_switch(&no_live), "static analysis only: change nothing")(
      "keep-detached", po::bool_switch(&keep),
      "leave the device on vfio-pci after a successful live check")(
      "timeout", po::value(&timeout_s), "seconds to wait for libvirtd per call (default 30)");
  po::positional_options_description pos;
  pos.add("device", 1);
  po::variables_map vm;
  const std::string details =
      "Static part (no changes): reset_method, FLR and PM reset from config space, whether a "
      "secondary bus\n"
      "reset is possible and who shares the bus, the IOMMU group verdict, host-critical status.\n"
      "Live part (libvirt's check): detach to vfio, reset, then give the device back to the driver "
      "it had.\n"
      "Before libvirt is asked, running domains whose live XML has the device as a <hostdev> (and "
      "processes\n"
      "holding its VFIO group open) are looked for: a held device is 'in use by running domain "
      "NAME'.\n"
      "Verdict: 'assignable alone' or 'assignable together with: …' (exit 0), 'not assignable: "
      "why' or\n"
      "'in use by …' (exit 1), 'not checked: why' (exit 3: libvirt could not run its check — "
      "libvirtd\n"
      "unreachable, or no node device for the device; the static analysis is shown).\n"
      "With --root, the live check needs an explicit --connect URI (it would act on this host's "
      "libvirtd).\n";
  if (!parse_options(ctx, command("probe"), desc, pos, args, vm, details)) return 0;
  if (device.empty())
    throw_usage("ptagent probe", "needs a DEVICE", "e.g. ptagent probe 0000:01:00.0");
  if (!(timeout_s > 0 && timeout_s <= 3600))
    throw_usage("--timeout", "must be between 0 and 3600 seconds");
  const DeviceSpec spec = parse_device_spec(device);

  const Root& root = ctx.root();
  Inventory inv = Inventory::scan(root, Naming::ids_only);
  const PciAddress addr = cli::resolve_one_device(inv, spec, "probe");
  const Device& dev = inv.get(addr);
  HostCritical critical = HostCritical::scan(root, inv);
  ResetAnalysis r = analyze_reset(inv, critical, addr, read_vfio_host(root));
  std::optional<virt::LiveProbe> live;
  std::optional<RomProbe> rom;  // with the live check only: it writes the `rom` attribute
  std::string live_skipped_because;
  std::string driver_after;
  if (no_live || ctx.global.dry_run) {
    live_skipped_because = no_live ? "--no-live" : "--dry-run";
  } else if (r.host_critical) {
    live_skipped_because = "the device is host-critical; a live check would take it from the host";
  } else {
    require_explicit_connect(ctx, "probe (its live check)");
    virt::LiveProbeRequest req;
    req.uri = ctx.global.connect;
    req.timeout = std::chrono::milliseconds(static_cast<long long>(timeout_s * 1000));
    req.keep_detached = keep;
    const std::string before = dev.driver.value_or("none");
    rom = probe_rom(root, ctx.effects().sysfs, addr);
    live = virt::run_live_probe(root, dev, req);
    Device after = read_device(root, addr);
    driver_after = after.driver.value_or("none");
    if (!keep && driver_after != before) {
      ctx.warn(addr.to_string() + " was on " + before + " and is now on " + driver_after);
    }
  }
  const virt::ProbeConclusion c = virt::conclude_probe(r, live);
  const virt::ProbeVerdict verdict = c.verdict;
  const std::string& reason = c.reason;
  const std::vector<PciAddress>& together = c.together_with;

  std::string verdict_line = virt::probe_verdict_name(verdict);
  if (verdict == virt::ProbeVerdict::together) verdict_line += ": " + join(together, " ");
  if (verdict == virt::ProbeVerdict::not_assignable || verdict == virt::ProbeVerdict::not_checked) {
    verdict_line += ": " + reason;
  }
  if (verdict == virt::ProbeVerdict::in_use) verdict_line = reason;
  const bool live_ran = live && live->outcome != virt::LiveOutcome::not_checked &&
                        live->outcome != virt::LiveOutcome::in_use;
  const bool live_failed = live && live->outcome == virt::LiveOutcome::refused;

  if (ctx.global.json) {
    nlohmann::json j;
    j["device"] = addr.to_string();
    j["static"] = {{"reset_methods", r.kernel_methods},
                   {"reset_method_file", r.kernel_methods_known},
                   {"flr", r.flr},
                   {"pm_reset", r.pm_reset},
                   {"on_root_bus", r.on_root_bus},
                   {"bus_sharers", nlohmann::json::array()},
                   {"bus_reset", r.bus_reset},
                   {"bus_reset_alone", r.bus_reset_alone},
                   {"bus_reset_shared", r.bus_reset_shared},
                   {"reset_by", reset_means_name(r.means)},
                   {"reset_passed_over", r.means_note},
                   {"group", verdict_json(r.group)},
                   {"host_critical",
                    r.host_critical ? nlohmann::json(*r.host_critical) : nlohmann::json(nullptr)},
                   {"health", health_json(r.health)}};
    for (const auto& s : r.bus_sharers) j["static"]["bus_sharers"].push_back(s.to_string());
    j["rom"] = rom ? nlohmann::json{{"result", rom_result_name(rom->result)},
                                    {"evidence", rom->evidence},
                                    {"advice", rom_advice(addr, dev.is_vga(), *rom)}}
                   : nlohmann::json(nullptr);
    j["live"] = {{"ran", live_ran}, {"steps", live ? live->steps : std::vector<std::string>{}}};
    if (!live) j["live"]["skipped_because"] = live_skipped_because;
    if (live && live->outcome == virt::LiveOutcome::not_checked)
      j["live"]["not_checked_because"] = live->why;
    if (live && live->outcome == virt::LiveOutcome::in_use) j["live"]["held_by"] = live->holders;
    if (live_failed) j["live"]["failure"] = live->why, j["live"]["failed_step"] = live->failed_step;
    if (live)
      j["live"]["driver_after"] = driver_after, j["live"]["left_detached"] = live->left_detached;
    j["verdict"] = virt::probe_verdict_key(verdict);
    nlohmann::json tw = nlohmann::json::array();
    for (const auto& t : together) tw.push_back(t.to_string());
    j["together_with"] = verdict == virt::ProbeVerdict::together ? tw : nlohmann::json::array();
    j["reason"] = reason;
    j["summary"] = verdict_line;
    ctx.out << j.dump(2) << "\n";
  } else {
    ctx.out << "Device:          " << addr.to_string() << " (" << dev.driver.value_or("no driver")
            << ")\n";
    ctx.out << "Reset methods:   "
            << (r.kernel_methods_known
                    ? (r.kernel_methods.empty() ? std::string("none") : join(r.kernel_methods, " "))
                    : std::string("none listed by the kernel"))
            << "\n";
    ctx.out << "FLR:             " << yes_no(r.flr) << "\n";
    ctx.out << "PM reset:        " << yes_no(r.pm_reset) << "\n";
    ctx.out << "Bus reset:       " << r.bus_reset << "\n";
    ctx.out << "Reset by:        " << reset_means_name(r.means);
    if (r.means == ResetMeans::none && r.bus_reset_shared) {
      ctx.out << " alone; a secondary bus reset together with " << join(r.bus_sharers, ", ");
    }
    ctx.out << "\n";
    if (!r.means_note.empty())
      ctx.out << "                 (passed over: " << r.means_note << ")\n";
    ctx.out << "IOMMU group:     " << r.group.explain() << "\n";
    ctx.out << "Host-critical:   " << r.host_critical.value_or("no") << "\n";
    for (const auto& f : r.health) {
      ctx.out << "Health:          " << severity_name(f.severity) << " [" << f.code
              << "]: " << f.evidence << "\n";
      if (!f.fix.empty()) ctx.out << "  fix:           " << f.fix << "\n";
    }
    if (rom) {
      ctx.out << "ROM:             " << rom_result_name(rom->result) << ": " << rom->evidence
              << "\n";
      const std::string advice = rom_advice(addr, dev.is_vga(), *rom);
      if (!advice.empty()) ctx.out << "  fix:           " << advice << "\n";
    }
    if (live_ran) {
      ctx.out << "Live check:      ";
      std::string steps = join(live->steps, ", ");
      ctx.out << (steps.empty() ? std::string("nothing changed") : steps);
      if (live_failed) ctx.out << "; " << live->failed_step << " refused: " << live->why;
      ctx.out << "\n                 now on " << driver_after
              << (live->left_detached ? " (kept detached)" : "") << "\n";
    } else if (live) {
      ctx.out << "Live check:      not run, nothing changed (" << live->why << ")\n";
    } else {
      ctx.out << "Live check:      skipped (" << live_skipped_because << ")\n";
    }
    ctx.out << "Verdict:         " << verdict_line << "\n";
    if ((verdict == virt::ProbeVerdict::alone || verdict == virt::ProbeVerdict::together) &&
        !reason.empty()) {
      ctx.out << "                 (" << reason << ")\n";
    }
  }
  switch (verdict) {
    case virt::ProbeVerdict::alone:
    case virt::ProbeVerdict::together:
      return 0;
    case virt::ProbeVerdict::not_checked:
      return 3;
    default:
      return 1;
  }
}

}  // namespace ptagent::cli
