// Inventory with names: kept in its own file so that only the CLI links libpci.
#include "pci/ids.hpp"
#include "pci/inventory.hpp"
#include "pci/modalias.hpp"

namespace ptagent {

void name_device(Device& d, const IdNames& names, const ModuleAliases* aliases) {
  d.class_name = names.class_name(d.class_code);
  d.vendor_name = names.vendor(d.vendor_id);
  d.device_name = names.device(d.vendor_id, d.device_id);
  if (d.subsys_vendor_id != 0 || d.subsys_device_id != 0) {
    d.subsys_name = names.subsystem(d.vendor_id, d.device_id, d.subsys_vendor_id, d.subsys_device_id);
  }
  if (aliases && !d.modalias.empty()) d.modules = aliases->match(d.modalias);
}

Inventory Inventory::scan(const Root& root, Naming naming) {
  Inventory inv = scan(root);
  if (naming == Naming::with_names) {
    IdNames names;
    ModuleAliases aliases = ModuleAliases::load(root);
    for (auto& d : inv.devices_) name_device(d, names, &aliases);
  }
  return inv;
}

}  // namespace ptagent
