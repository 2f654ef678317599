// Inventory with names: kept in its own file so that only the CLI links libpci.
#include <optional>
#include <thread>

#include "pci/ids.hpp"
#include "pci/inventory.hpp"
#include "pci/modalias.hpp"

namespace ptagent {

void name_device(Device& d, const IdNames& names, const ModuleAliases* aliases) {
  d.class_name = names.class_name(d.class_code);
  d.vendor_name = names.vendor(d.vendor_id);
  d.device_name = names.device(d.vendor_id, d.device_id);
  if (d.subsys_vendor_id != 0 || d.subsys_device_id != 0) {
    d.subsys_name =
        names.subsystem(d.vendor_id, d.device_id, d.subsys_vendor_id, d.subsys_device_id);
  }
  if (aliases && !d.modalias.empty()) d.modules = aliases->match(d.modalias);
}

Inventory Inventory::scan(const Root& root, Naming naming, DeviceDetail detail) {
  if (naming == Naming::ids_only) return scan(root, detail);
  // The PCI ID database (pci.ids, over a megabyte of text) is read on another thread while this
  // one scans sysfs.
  IdNames names;
  std::thread loader([&names] { names.preload(); });
  Inventory inv;
  try {
    inv = scan(root, detail);
  } catch (...) {
    loader.join();
    throw;
  }
  loader.join();
  // Modules come from modalias, which a listing does not read: no modules.alias to load then.
  std::optional<ModuleAliases> aliases;
  if (detail == DeviceDetail::full) aliases = ModuleAliases::load(root);
  for (auto& d : inv.devices_) name_device(d, names, aliases ? &*aliases : nullptr);
  return inv;
}

}  // namespace ptagent
