// ptagent probe: can this device be assigned alone? Static analysis, then libvirt's own live check
// (detach, reset, give it back).
#include <chrono>

#include "agent/commands.hpp"
#include "agent/render.hpp"
#include "error.hpp"
#include "host/critical.hpp"
#include "ops/reset_probe.hpp"
#include "pci/inventory.hpp"
#include "sysfs/root.hpp"
#include "virt/nodedev_ops.hpp"

namespace ptagent::cli {

namespace {

std::string join(const std::vector<PciAddress>& list, const char* sep = ", ") {
  std::string out;
  for (const auto& a : list) out += (out.empty() ? "" : sep) + a.to_string();
  return out;
}

std::string yes_no(bool b) { return b ? "yes" : "no"; }

struct LiveResult {
  bool ran = false;
  std::string skipped_because;
  std::vector<std::string> steps;
  std::optional<std::string> failure;  // the translated libvirt refusal
  std::string failed_step;
  bool left_detached = false;
  std::string driver_after;
};

}  // namespace

int cmd_probe(Context& ctx, const Args& args) {
  std::string device;
  bool no_live = false, keep = false;
  double timeout_s = 30;
  po::options_description desc("Options");
  desc.add_options()("device", po::value(&device), "the device to probe")(
      "no-live", po::bool_switch(&no_live), "static analysis only: change nothing")(
      "keep-detached", po::bool_switch(&keep), "leave the device on vfio-pci after a successful live check")(
      "timeout", po::value(&timeout_s), "seconds to wait for libvirtd per call (default 30)");
  po::positional_options_description pos;
  pos.add("device", 1);
  po::variables_map vm;
  const std::string details =
      "Static part (no changes): reset_method, FLR and PM reset from config space, whether a secondary bus\n"
      "reset is possible and who shares the bus, the IOMMU group verdict, host-critical status.\n"
      "Live part (libvirt's check): detach to vfio, reset, then give the device back to the driver it had.\n"
      "Verdict: 'assignable alone' or 'assignable together with: …' (exit 0), 'not assignable: why' (exit 1).\n";
  if (!parse_options(ctx, command("probe"), desc, pos, args, vm, details)) return 0;
  if (device.empty()) throw_usage("ptagent probe", "needs a DEVICE", "e.g. ptagent probe 0000:01:00.0");
  if (!(timeout_s > 0 && timeout_s <= 3600)) throw_usage("--timeout", "must be between 0 and 3600 seconds");
  const PciAddress addr = parse_pci_address(device);

  const Root& root = ctx.root();
  Inventory inv = Inventory::scan(root, Naming::ids_only);
  const Device& dev = inv.get(addr);
  HostCritical critical = HostCritical::scan(root, inv);
  ResetAnalysis r = analyze_reset(inv, critical, addr);
  Assignability verdict = r.verdict;
  std::string reason = r.reason;
  std::vector<PciAddress> together = r.together_with;

  LiveResult live;
  if (no_live || ctx.global.dry_run) {
    live.skipped_because = no_live ? "--no-live" : "--dry-run";
  } else if (r.host_critical) {
    live.skipped_because = "the device is host-critical; a live check would take it from the host";
  } else {
    live.ran = true;
    const std::string before = dev.driver.value_or("none");
    virt::Connection conn = virt::Connection::open(ctx.global.connect,
                                                   std::chrono::milliseconds(static_cast<long long>(timeout_s * 1000)));
    bool detached = false;
    std::optional<Error> wedged;  // stop everything after giving the device back: reboot needed
    try {
      if (!dev.on_vfio()) {
        virt::detach_one(conn, addr);
        detached = true;
        live.steps.push_back("detached from " + before + " to vfio");
      }
      live.failed_step = "reset";
      virt::reset_one(conn, addr);
      live.steps.push_back("reset");
      virt::check_not_wedged(root, addr);
      live.failed_step.clear();
    } catch (const Error& e) {
      if (virt::is_wedged_error(e)) {
        wedged = e;
      } else {
        if (live.failed_step.empty()) live.failed_step = "detach";
        live.failure = e.cause() + (e.hint().empty() ? "" : " — " + e.hint());
      }
    }
    if (wedged) {
      // A failed step leaves the device where it was: give it back first, then report.
      std::string undone = "; nothing was changed";
      if (detached) {
        try {
          virt::reattach_one(conn, addr);
          undone = "; rolled back: given back to its host driver (it was on " + before + ")";
        } catch (const Error& re) {
          undone = std::string("; giving it back failed too: ") + re.what();
        }
      }
      throw Error(wedged->kind(), wedged->object(), wedged->cause() + undone, wedged->hint());
    }
    if (detached && !keep) {
      virt::reattach_one(conn, addr);
      live.steps.push_back("reattached to its host driver");
    } else if (detached) {
      live.left_detached = true;
    }
    Device after = read_device(root, addr);
    live.driver_after = after.driver.value_or("none");
    if (!keep && live.driver_after != before) {
      ctx.warn(addr.to_string() + " was on " + before + " and is now on " + live.driver_after);
    }
    if (live.failure) {
      if (live.failed_step == "reset" && verdict == Assignability::together) {
        reason += "; libvirt could not reset it alone, as expected";
      } else {
        verdict = Assignability::not_assignable;
        reason = "libvirt refused the " + live.failed_step + ": " + *live.failure;
      }
    }
  }

  std::string verdict_line = assignability_name(verdict);
  if (verdict == Assignability::together) verdict_line += ": " + join(together, " ");
  if (verdict == Assignability::not_assignable) verdict_line += ": " + reason;

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
                   {"host_critical", r.host_critical ? nlohmann::json(*r.host_critical) : nlohmann::json(nullptr)}};
    for (const auto& s : r.bus_sharers) j["static"]["bus_sharers"].push_back(s.to_string());
    j["live"] = {{"ran", live.ran}, {"steps", live.steps}};
    if (!live.ran) j["live"]["skipped_because"] = live.skipped_because;
    if (live.failure) j["live"]["failure"] = *live.failure, j["live"]["failed_step"] = live.failed_step;
    if (live.ran) j["live"]["driver_after"] = live.driver_after, j["live"]["left_detached"] = live.left_detached;
    j["verdict"] = verdict == Assignability::alone ? "alone" : verdict == Assignability::together ? "together" : "not_assignable";
    nlohmann::json tw = nlohmann::json::array();
    for (const auto& t : together) tw.push_back(t.to_string());
    j["together_with"] = verdict == Assignability::together ? tw : nlohmann::json::array();
    j["reason"] = reason;
    j["summary"] = verdict_line;
    ctx.out << j.dump(2) << "\n";
  } else {
    ctx.out << "Device:          " << addr.to_string() << " (" << dev.driver.value_or("no driver") << ")\n";
    ctx.out << "Reset methods:   "
            << (r.kernel_methods_known ? (r.kernel_methods.empty() ? std::string("none") : join_words(r.kernel_methods))
                                       : std::string("none listed by the kernel"))
            << "\n";
    ctx.out << "FLR:             " << yes_no(r.flr) << "\n";
    ctx.out << "PM reset:        " << yes_no(r.pm_reset) << "\n";
    ctx.out << "Bus reset:       " << r.bus_reset << "\n";
    ctx.out << "Reset by:        " << reset_means_name(r.means);
    if (r.means == ResetMeans::none && r.bus_reset_shared) {
      ctx.out << " alone; a secondary bus reset together with " << join(r.bus_sharers);
    }
    ctx.out << "\n";
    if (!r.means_note.empty()) ctx.out << "                 (passed over: " << r.means_note << ")\n";
    ctx.out << "IOMMU group:     " << r.group.explain() << "\n";
    ctx.out << "Host-critical:   " << r.host_critical.value_or("no") << "\n";
    if (live.ran) {
      ctx.out << "Live check:      ";
      std::string steps;
      for (const auto& s : live.steps) steps += (steps.empty() ? "" : ", ") + s;
      ctx.out << (steps.empty() ? std::string("nothing changed") : steps);
      if (live.failure) ctx.out << "; " << live.failed_step << " refused: " << *live.failure;
      ctx.out << "\n                 now on " << live.driver_after << (live.left_detached ? " (kept detached)" : "") << "\n";
    } else {
      ctx.out << "Live check:      skipped (" << live.skipped_because << ")\n";
    }
    ctx.out << "Verdict:         " << verdict_line << "\n";
    if (verdict != Assignability::not_assignable && !reason.empty()) ctx.out << "                 (" << reason << ")\n";
  }
  return verdict == Assignability::not_assignable ? 1 : 0;
}

}  // namespace ptagent::cli
