#include "agent/device_args.hpp"

#include <algorithm>

#include "error.hpp"
#include "host/critical.hpp"
#include "pci/inventory.hpp"
#include "util/join.hpp"

namespace ptagent::cli {

std::vector<PciAddress> resolve_devices(const Inventory& inv, const std::vector<std::string>& args,
                                        GroupExpansion expansion) {
  std::vector<PciAddress> out;
  auto add = [&](const PciAddress& a) {
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  };
  // Parse everything first so a malformed argument is reported before a missing device.
  std::vector<DeviceSpec> specs;
  for (const auto& arg : args) specs.push_back(parse_device_spec(arg));
  for (const auto& spec : specs) {
    for (const auto& a : inv.expand(spec)) {
      add(a);
      if (expansion == GroupExpansion::whole_group) {
        const Device& d = inv.get(a);
        if (!d.iommu_group) {
          throw_refused(a.to_string(), "has no IOMMU group, so --group has nothing to expand",
                        "enable the IOMMU first (run 'ptagent check')");
        }
        for (const auto& m : inv.group_members(*d.iommu_group)) {
          if (!is_infrastructure(inv.get(m))) add(m);
        }
      }
    }
  }
  if (out.empty())
    throw_usage("DEVICE", "no device given", "name at least one device, e.g. 0000:01:00.0");
  return out;
}

PciAddress resolve_one_device(const Inventory& inv, const DeviceSpec& spec,
                              const std::string& command) {
  const auto all = inv.expand(spec);
  if (all.size() == 1) return all.front();
  std::string list = join(all, " ");
  throw_usage("PCI slot " + spec.address.to_string().substr(0, 10),
              "holds " + std::to_string(all.size()) + " functions (" + list + "); " + command +
                  " takes one",
              "name the function, e.g. ptagent " + command + " " + all.front().to_string());
}

void guard_host_critical(const HostCritical& critical, const std::vector<PciAddress>& devices,
                         Force force, const std::string& operation) {
  if (force == Force::yes) return;
  for (const auto& a : devices) {
    if (auto why = critical.reason(a)) {
      throw_refused(a.to_string(), *why + ": refusing to " + operation + " it",
                    "passing it through would take it away from the host; add --force only if you "
                    "are sure the host does not need it");
    }
  }
}

}  // namespace ptagent::cli
