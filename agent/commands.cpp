#include "agent/commands.hpp"

namespace ptagent::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"list", "[--class CLASS] [--vendor ID] [--driver NAME] [--json]",
       "list PCI functions with driver, IOMMU group, SR-IOV, mdev, reset and host-critical status",
       cmd_list},
      {"show", "DEVICE [--json]", "everything about one device, its IOMMU group and what to do",
       cmd_show},
      {"groups", "[--tree] [--format table|tree|dot|svg] [--json]",
       "every IOMMU group with its members and a viability verdict; the PCI tree, a picture",
       cmd_groups},
      {"detach", "DEVICE… [--group] [--force] [--timeout S]",
       "detach devices from their host drivers to vfio through libvirt, then reset them",
       cmd_detach},
      {"reattach", "DEVICE… [--timeout S]",
       "give detached devices back to their host drivers through libvirt", cmd_reattach},
      {"reset", "DEVICE… [--force] [--timeout S]",
       "reset devices through libvirt (FLR, PM or bus reset)", cmd_reset},
      {"probe", "DEVICE [--no-live] [--keep-detached] [--json]",
       "can this device be assigned alone? static reset analysis plus libvirt's live check",
       cmd_probe},
      {"attach", "DOMAIN DEVICE… [--live] [--config] [--unmanaged] [--force]",
       "check, then add devices to a libvirt domain as <hostdev>", cmd_attach},
      {"detach-from", "DOMAIN DEVICE… [--live] [--config]",
       "remove devices from a libvirt domain and give unmanaged ones back to the host",
       cmd_detach_from},
      {"hook", "install|uninstall|status|config [--hooks-dir DIR] [--binary PATH]",
       "install libvirt's qemu hook (checks at prepare, mdevs and binding, undo at release)",
       cmd_hook},
      {"check", "[--json]",
       "host readiness for passthrough: each check with its evidence and the fix", cmd_check},
      {"gen-xml",
       "DEVICE… | --bus N --slot N --function N | --from-nodedev FILE|- | --mdev --parent DEV "
       "--type TYPE",
       "libvirt <hostdev> XML (or QEMU -device) for PCI functions and mdevs, checked by libvirt's "
       "schema",
       cmd_gen_xml},
      {"sriov", "PF [--vfs N] [--autoprobe yes|no] [--force] [--json]",
       "SR-IOV: a PF's VFs and who uses them; --vfs N changes the count safely", cmd_sriov},
      {"mdev", "types|list|create|remove [OPTIONS]",
       "mediated devices: list types and devices, create and remove them safely", cmd_mdev},
      {"bind", "DEVICE… [--driver vfio-pci] [--group] [--force] [--json]",
       "bind devices to vfio-pci through driver_override, recorded in the journal", cmd_bind},
      {"restore", "DEVICE…|--all [--json]",
       "give devices ptagent bound back to their original drivers; --all undoes the whole journal",
       cmd_restore},
      {"plan", "DEVICE… [--domain NAME] [--json]",
       "what this host still needs to pass the devices through, in order, each step with its "
       "command (nothing is done)",
       cmd_plan},
      {"doctor", "DOMAIN|DEVICE [--log FILE] [--kmsg FILE] [--json]",
       "after a failed start: what the QEMU and kernel logs say, each known line with its cause "
       "and fix",
       cmd_doctor},
      {"power", "DEVICE [--keep-on|--idle] [--json]",
       "a device's runtime power state; --keep-on keeps it and its bridge out of D3cold",
       cmd_power},
      {"reset-method", "DEVICE [METHOD…|--default|--none] [--json]",
       "which resets the kernel uses for a device, in order (reset_method); set or restore it",
       cmd_reset_method},
      {"setup", "iommu|modules|bind|sriov|mdev|power|reset-method|status|revert [OPTIONS]",
       "prepare the host at every boot (IOMMU parameters, vfio modules, devices on vfio-pci, VFs, "
       "mdevs, power, reset methods), diff first, undoable",
       cmd_setup},
  };
  return table;
}

}  // namespace ptagent::cli
