// Inventory with names: kept in its own file so that only the CLI links libpci.
#include "pci/ids.hpp"
#include "pci/inventory.hpp"
#include "pci/modalias.hpp"

namespace ptagent {

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
