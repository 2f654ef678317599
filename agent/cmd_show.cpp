// ptagent show: everything about one device and what to do to assign it.
#include "agent/commands.hpp"
#include "agent/render.hpp"
#include "error.hpp"
#include "host/critical.hpp"
#include "pci/inventory.hpp"

namespace ptagent::cli {

int cmd_show(Context& ctx, const Args& args) {
  po::options_description desc("Options");
  std::string device;
  desc.add_options()("device", po::value(&device), "the device: 0000:01:00.0, 01:00.0, pci_0000_01_00_0 or a sysfs path");
  po::positional_options_description pos;
  pos.add("device", 1);
  po::variables_map vm;
  if (!parse_options(ctx, command("show"), desc, pos, args, vm)) return 0;
  if (device.empty()) throw_usage("ptagent show", "needs a DEVICE", "e.g. ptagent show 0000:01:00.0");
  const PciAddress addr = parse_pci_address(device);

  const Root& root = ctx.root();
  Inventory inv = Inventory::scan(root, Naming::with_names);
  const Device& d = inv.get(addr);
  HostCritical critical = HostCritical::scan(root, inv);
  const PciAddress self[] = {addr};
  GroupVerdict verdict = assess_group(inv, addr, self);

  if (ctx.global.json) {
    nlohmann::json j = device_json(d, critical.reason(addr));
    j["group"] = verdict_json(verdict);
    ctx.out << j.dump(2) << "\n";
    return 0;
  }

  auto line = [&](const std::string& key, const std::string& value) {
    std::string k = key + ":";
    k.resize(18, ' ');
    ctx.out << k << value << "\n";
  };
  line("Address", d.address.to_string() + "  (libvirt node device " + d.address.nodedev_name() + ")");
  line("Class", d.class_name + " [" + hex(d.class_code, 6) + "]");
  line("Device", display_name(d) + " [" + id_pair(d) + "] (rev " + hex(d.revision, 2) + ")");
  line("Subsystem", (d.subsys_name.empty() ? std::string("-") : d.subsys_name) + " [" +
                        hex(d.subsys_vendor_id, 4) + ":" + hex(d.subsys_device_id, 4) + "]");
  line("Driver in use", d.driver.value_or("none"));
  if (d.driver_override) line("Driver override", *d.driver_override);
  std::string mods;
  for (const auto& m : d.modules) mods += (mods.empty() ? "" : ", ") + m;
  line("Kernel modules", mods.empty() ? "-" : mods);
  line("IOMMU group", d.iommu_group ? std::to_string(*d.iommu_group) : "none");
  line("NUMA node", std::to_string(d.numa_node));
  if (d.boot_vga) line("Boot VGA", *d.boot_vga ? "yes" : "no");
  line("Reset methods", reset_summary(d));
  line("FLR", d.config.pcie_flr || d.config.af_flr ? "yes" : "no");
  line("Kind", d.is_bridge ? "bridge" : "endpoint");
  if (d.upstream) line("Upstream bridge", d.upstream->to_string());
  line("SR-IOV", sriov_role(d));
  if (d.sriov && !d.sriov->vfs.empty()) {
    std::string vfs;
    for (const auto& v : d.sriov->vfs) vfs += (vfs.empty() ? "" : " ") + v.to_string();
    line("VFs", vfs);
  }
  if (d.mdev) {
    std::string types;
    for (const auto& t : d.mdev->types) types += (types.empty() ? "" : " ") + t;
    line("mdev types", types);
  }
  line("Host-critical", critical.reason(addr).value_or("no"));
  line("sysfs", d.sysfs_path);
  for (const auto& p : d.problems) ctx.warn(d.address.to_string() + ": " + p);

  ctx.out << "\nIOMMU group members:\n";
  if (!verdict.group) {
    ctx.out << "  (none: the device has no IOMMU group)\n";
  } else {
    Table t({"ADDRESS", "DRIVER", "STATE", "NAME"});
    for (const auto& m : verdict.members) {
      const Device& md = inv.get(m.address);
      t.add({m.address.to_string(), m.driver.value_or("-"), member_state_name(m.state), display_name(md)});
    }
    t.print(ctx.out, "  ");
  }
  ctx.out << "\nVerdict: " << verdict.explain() << "\n";
  if (auto why = critical.reason(addr)) {
    ctx.out << "Refused for passthrough unless forced: " << d.address.to_string() << " " << *why << "\n";
  } else if (!verdict.group) {
    ctx.out << "To do: enable the IOMMU (run 'ptagent check' for the exact steps on this host).\n";
  } else if (!verdict.viable) {
    std::string all = d.address.to_string();
    for (const auto& b : verdict.blockers()) all += " " + b.to_string();
    ctx.out << "To do: assign all of " << all << " to the same guest (e.g. 'ptagent gen-xml " << all
            << "'), or bind the others to vfio-pci first ('ptagent bind --group " << d.address.to_string()
            << "').\n";
  }
  return 0;
}

}  // namespace ptagent::cli
