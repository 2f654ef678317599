// What `ptagent setup` persisted, kept in /etc/ptagent/setup.json: the source from which every
// file ptagent owns is rendered again, and what `setup revert` takes away.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pci/address.hpp"
#include "sysfs/host_paths.hpp"

namespace ptagent {

class Root;

enum class BindMethod { by_id, by_address };
const char* bind_method_name(BindMethod method);  // "by-id", "by-address"

struct BootBind {
  PciAddress address;
  BindMethod method = BindMethod::by_address;
  std::string ids;          // "10de:1b80" (by-id)
  std::string host_module;  // the module that would take it, for softdep ("" if none)
  bool driverctl = false;   // by-address, saved as driverctl's override
  bool operator==(const BootBind&) const = default;
};

struct BootSriov {
  PciAddress pf;
  unsigned vfs = 0;
  bool operator==(const BootSriov&) const = default;
};

// Kept out of D3cold from boot (power/control=on, d3cold_allowed=0), with its upstream bridge.
struct BootPower {
  PciAddress address;
  std::optional<PciAddress> bridge;
  bool operator==(const BootPower&) const = default;
};

// reset_method set when the device is added at boot.
struct BootResetMethod {
  PciAddress address;
  std::vector<std::string> methods;
  bool operator==(const BootResetMethod&) const = default;
};

struct BootMdev {
  std::string uuid;
  std::string parent;
  std::string type;
  bool operator==(const BootMdev&) const = default;
};

// An edit inside a file ptagent does not own and cannot mark (/etc/kernel/cmdline, a conflicting
// word removed from someone's GRUB line): the content before ptagent's first edit and after its
// last one, so that revert can give the file back byte for byte when nobody changed it since.
struct ForeignEdit {
  std::string item;  // "iommu"
  std::string path;
  std::string before;
  std::string after;
  bool operator==(const ForeignEdit&) const = default;
};

struct SetupState {
  std::vector<std::string> iommu_added;    // kernel parameters ptagent contributes
  std::vector<std::string> iommu_removed;  // conflicting ones it removed (when asked)
  bool modules = false;                    // the vfio modules at boot
  bool modules_initramfs = false;          // and in the initramfs
  std::vector<BootBind> binds;
  std::vector<BootSriov> sriov;
  std::vector<BootMdev> mdevs;
  std::vector<BootPower> power;
  std::vector<BootResetMethod> reset_methods;
  std::vector<ForeignEdit> foreign;
  bool operator==(const SetupState&) const = default;
  bool empty() const {
    return iommu_added.empty() && iommu_removed.empty() && !modules && !modules_initramfs &&
           binds.empty() && sriov.empty() && mdevs.empty() && power.empty() &&
           reset_methods.empty() && foreign.empty();
  }
};

// Throws Error(failed) naming the file for a document that is not ptagent's state.
SetupState parse_setup_state(std::string_view json, std::string_view file = kSetupStateFile);
std::string render_setup_state(const SetupState& state);
// The host's state; an empty one when the file does not exist.
SetupState load_setup_state(const Root& root);

}  // namespace ptagent
