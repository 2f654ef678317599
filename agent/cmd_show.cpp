// ptagent show: everything about one device and what to do to assign it.
#include "agent/commands.hpp"
#include "agent/render.hpp"
#include "error.hpp"
#include "host/critical.hpp"
#include "host/vfio_host.hpp"
#include "ops/reset_probe.hpp"
#include "pci/inventory.hpp"
#include "pci/vfio_variant.hpp"
#include "util/join.hpp"

namespace ptagent::cli {

namespace {

void show_one(Context& ctx, const Inventory& inv, const HostCritical& critical,
              const VfioHost& host, const VfioAliases& aliases, const PciAddress& addr) {
  const Device& d = inv.get(addr);
  // The one verdict: the same analysis probe and groups show.
  const ResetAnalysis r = analyze_reset(inv, critical, addr, host);
  const GroupVerdict& verdict = r.group;

  auto line = [&](const std::string& key, const std::string& value) {
    std::string k = key + ":";
    k.resize(18, ' ');
    ctx.out << k << value << "\n";
  };
  line("Address",
       d.address.to_string() + "  (libvirt node device " + d.address.nodedev_name() + ")");
  line("Class", d.class_name + " [" + hex(d.class_code, 6) + "]");
  line("Device", display_name(d) + " [" + d.ids() + "] (rev " + hex(d.revision, 2) + ")");
  line("Subsystem", (d.subsys_name.empty() ? std::string("-") : d.subsys_name) + " [" +
                        hex(d.subsys_vendor_id, 4) + ":" + hex(d.subsys_device_id, 4) + "]");
  line("Driver in use", d.driver.value_or("none"));
  if (d.driver_override) line("Driver override", *d.driver_override);
  std::string mods = join(d.modules, ", ");
  line("Kernel modules", mods.empty() ? "-" : mods);
  // What `ptagent bind` would take (the best) and --driver accepts.
  if (const VfioChoice vc = vfio_choice(d, aliases); !vc.candidates.empty())
    line("VFIO drivers", vc.names());
  if (auto cdev = vfio_device_cdev(ctx.root(), d)) line("VFIO cdev", *cdev + " (iommufd)");
  line("IOMMU group", d.iommu_group ? std::to_string(*d.iommu_group) : "none");
  line("NUMA node", std::to_string(d.numa_node));
  if (d.boot_vga) line("Boot VGA", *d.boot_vga ? "yes" : "no");
  line("Reset methods", reset_summary(d));
  line("FLR", d.config.pcie_flr || d.config.af_flr ? "yes" : "no");
  line("Kind", kind_label(d));
  if (d.upstream) line("Upstream bridge", d.upstream->to_string());
  line("SR-IOV", sriov_role(d));
  if (d.sriov && !d.sriov->vfs.empty()) {
    std::string vfs = join(d.sriov->vfs, " ");
    line("VFs", vfs);
  }
  if (d.mdev) {
    std::string types = join(d.mdev->types, " ");
    line("mdev types", types);
  }
  line("Host-critical", r.host_critical.value_or("no"));
  if (d.power_state && *d.power_state != "D0") line("Power state", *d.power_state);
  for (const auto& f : r.health) {
    line("Health", severity_name(f.severity) + " [" + f.code + "]: " + f.evidence);
    if (!f.fix.empty()) line("  fix", f.fix);
  }
  line("sysfs", d.sysfs_path);
  for (const auto& p : d.problems) ctx.warn(d.address.to_string() + ": " + p);

  ctx.out << "\nIOMMU group members:\n";
  if (!verdict.group) {
    ctx.out << "  (none: the device has no IOMMU group)\n";
  } else {
    Table t({"ADDRESS", "DRIVER", "STATE", "NAME"});
    for (const auto& m : verdict.members) {
      const Device& md = inv.get(m.address);
      t.add({m.address.to_string(), m.driver.value_or("-"), member_state_name(m.state),
             display_name(md)});
    }
    t.print(ctx.out, "  ");
  }
  ctx.out << "\nGroup: " << verdict.explain() << "\n";
  if (const std::string unit = together_phrase(r.unit); !unit.empty())
    ctx.out << "Unit: " << unit << "\n";
  ctx.out << "Verdict: " << verdict_summary(r.verdict, r.together_with, r.reason) << "\n";
  if (r.verdict != Assignability::not_assignable && !r.reason.empty())
    ctx.out << "  (" << r.reason << ")\n";
  if (!r.advice.empty()) ctx.out << "To do: " << r.advice << ".\n";
}

}  // namespace

int cmd_show(Context& ctx, const Args& args) {
  po::options_description desc("Options");
  std::string device;
  desc.add_options()("device", po::value(&device),
                     "the device: 0000:01:00.0, 01:00.0, 01:00 (every function of the slot), "
                     "pci_0000_01_00_0 or a sysfs path");
  po::positional_options_description pos;
  pos.add("device", 1);
  po::variables_map vm;
  if (!parse_options(ctx, command("show"), desc, pos, args, vm)) return 0;
  if (device.empty())
    throw_usage("ptagent show", "needs a DEVICE", "e.g. ptagent show 0000:01:00.0");
  const DeviceSpec spec = parse_device_spec(device);

  const Root& root = ctx.root();
  Inventory inv = Inventory::scan(root, Naming::with_names);
  const std::vector<PciAddress> addrs = inv.expand(spec);  // a slot: every function present
  HostCritical critical = HostCritical::scan(root, inv);
  const VfioHost host = read_vfio_host(root);
  const VfioAliases aliases = VfioAliases::load(root);

  if (ctx.global.json) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& addr : addrs) {
      const ResetAnalysis r = analyze_reset(inv, critical, addr, host);
      nlohmann::json j = device_json(inv.get(addr), r.host_critical, &aliases);
      const auto cdev = vfio_device_cdev(root, inv.get(addr));
      j["vfio_cdev"] = cdev ? nlohmann::json(*cdev) : nlohmann::json(nullptr);
      j["group"] = verdict_json(r.group);
      j["assignability"] = assignability_json(r);
      all.push_back(std::move(j));
    }
    // One function: the object; a slot: an array with one object per function.
    ctx.out << (spec.whole_slot ? all : all.front()).dump(2) << "\n";
    return 0;
  }
  for (std::size_t i = 0; i < addrs.size(); ++i) {
    if (i) ctx.out << "\n";
    show_one(ctx, inv, critical, host, aliases, addrs[i]);
  }
  return 0;
}

}  // namespace ptagent::cli
