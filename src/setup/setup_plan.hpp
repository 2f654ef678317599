// Planning `ptagent setup`: what each step would write (every file's content before and after)
// and run, computed from the host and ptagent's state, before anything changes. Every file ptagent
// owns is rendered from the new state, so a second run with the same request plans nothing and a
// revert plans exactly the inverse.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "host/host_text.hpp"
#include "ops/vfio_bind.hpp"
#include "pci/address.hpp"
#include "setup/boot_target.hpp"
#include "setup/initramfs_tool.hpp"
#include "setup/kernel_cmdline.hpp"
#include "setup/setup_state.hpp"

namespace ptagent {

class Root;
class Inventory;

struct FileEdit {
  std::string path;
  std::optional<std::string> before;  // nullopt: the file does not exist
  std::optional<std::string> after;   // nullopt: the file is removed
  bool foreign = false;               // a file ptagent does not own: backed up first
};

struct SetupCommand {
  std::vector<std::string> argv;
  std::vector<std::string> undo;  // run when a later step fails ("" = nothing to undo)
  bool regenerates = false;  // rebuilds boot files from configuration: run again after a rollback
  // A failure is reported and changes nothing done (udevadm control --reload with no udevd
  // running: udevd reads the rules when it starts).
  bool best_effort = false;
};

struct SetupPlan {
  std::vector<std::string> changes;    // every change, named ("add intel_iommu=on to …")
  std::vector<std::string> notes;      // what was left alone and why, what to do next
  std::vector<FileEdit> files;         // only files whose content changes; the state file last
  std::vector<SetupCommand> commands;  // item commands first, then each regeneration once
  bool empty() const { return files.empty() && commands.empty(); }
};

// The host as setup sees it, read once.
struct SetupHost {
  BootTarget boot;
  InitramfsTool initramfs = InitramfsTool::none;
  CpuVendor vendor = CpuVendor::other;
  std::optional<KernelVersion> kernel;   // the running kernel
  std::vector<KernelVersion> installed;  // /lib/modules/*
  bool mdevctl = false;
  SetupState state;
};
SetupHost read_setup_host(const Root& root);

// setup iommu: the IOMMU parameters for this CPU on the next boot's command line.
SetupPlan plan_setup_iommu(const Root& root, const SetupHost& host, Conflicts conflicts);

// setup modules: vfio, vfio_iommu_type1, vfio_pci (vfio_virqfd only when every installed kernel
// is older than 6.2) through /etc/modules-load.d/ptagent.conf; with Initramfs::include also into
// the initramfs.
enum class ModulesInitramfs { leave, include };
SetupPlan plan_setup_modules(const Root& root, const SetupHost& host, ModulesInitramfs initramfs);
// The module list for the host's kernels.
std::vector<std::string> boot_vfio_modules(const SetupHost& host);

struct SetupBindRequest {
  std::vector<PciAddress> devices;  // complete groups already expanded by the caller if wanted
  BindMethod method = BindMethod::by_address;
  CriticalGuard guard = CriticalGuard::refuse;
};
// setup bind: vfio-pci from boot. Refuses (Error refused, naming the device) a bridge, a
// host-critical device (unless forced), a device whose IOMMU group still has endpoints that are
// not named (the list, and --group), and by ID an ID that another, unnamed device also has (the
// list); by address a device driverctl persists on another driver.
SetupPlan plan_setup_bind(const Root& root, const SetupHost& host, const Inventory& inventory,
                          const SetupBindRequest& request);

// setup sriov: a PF's VF count when its driver binds at boot.
SetupPlan plan_setup_sriov(const Root& root, const SetupHost& host, const Inventory& inventory,
                           const PciAddress& pf, unsigned vfs, CriticalGuard guard);
// setup power: the device and its upstream bridge kept out of D3cold from boot, by udev rules at
// device add. Refuses a device without runtime PM attributes.
SetupPlan plan_setup_power(const Root& root, const SetupHost& host, const Inventory& inventory,
                           const PciAddress& device);
// setup reset-method: the device's reset_method set when it is added at boot (`methods` already
// checked by parse_reset_methods). Refuses a device without a reset_method attribute.
SetupPlan plan_setup_reset_method(const Root& root, const SetupHost& host,
                                  const Inventory& inventory, const PciAddress& device,
                                  const std::vector<std::string>& methods);
// setup mdev: an mdev defined with mdevctl (`define --auto`), started when its parent appears.
SetupPlan plan_setup_mdev(const Root& root, const SetupHost& host, const BootMdev& mdev);

// setup revert: ITEM is "iommu", "modules", "bind" (every device), "bind:DEVICE", "sriov",
// "sriov:PF", "mdev", "mdev:UUID", "power", "power:DEVICE", "reset-method",
// "reset-method:DEVICE", or "" for everything. Error(not_found) for an item ptagent did
// not persist; Error(usage) for a malformed one.
SetupPlan plan_setup_revert(const Root& root, const SetupHost& host, const std::string& item);

}  // namespace ptagent
