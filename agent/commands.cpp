#include "agent/commands.hpp"

namespace ptagent::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"list", "[--class CLASS] [--vendor ID] [--driver NAME] [--json]",
       "list PCI functions with driver, IOMMU group, SR-IOV, mdev, reset and host-critical status",
       cmd_list},
      {"show", "DEVICE [--json]", "everything about one device, its IOMMU group and what to do",
       cmd_show},
      {"groups", "[--json]", "every IOMMU group with its members and a viability verdict",
       cmd_groups},
  };
  return table;
}

}  // namespace ptagent::cli
