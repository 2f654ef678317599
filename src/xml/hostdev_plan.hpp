// gen-xml's rules: from the devices and options a user asked for to the <hostdev> elements and the
// ptagent metadata to print (alias suffixes, which element gets the ROM file and boot order, one
// guest slot with multifunction on function 0, which devices the hook binds).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pci/address.hpp"
#include "xml/hostdev.hpp"
#include "xml/metadata.hpp"

namespace ptagent {

// What to generate: PCI functions (in the order given) or one mediated device.
struct HostdevRequest {
  std::vector<PciAddress> pci;
  YesNo managed = YesNo::yes;               // for each PCI function
  bool driver_vfio = false;                 // for each PCI function
  std::optional<std::string> driver_model;  // for each PCI function: <driver model=…>
  // A mediated device instead of PCI functions (pci is then empty).
  std::optional<MetadataMdev> mdev;
  std::optional<OnOff> mdev_display;
  std::optional<OnOff> mdev_ramfb;
  std::optional<OnOff> rom_bar;             // for each device
  std::optional<std::string> rom_file;      // for the first device
  std::optional<unsigned> boot_order;       // for the first device
  std::optional<std::string> alias;         // the first device's; the others get -1, -2, ...
  std::optional<GuestPciAddress> guest;     // bus and slot of the one guest slot for every device
  bool metadata = false;                    // also the ptagent metadata element
  GroupPolicy group = GroupPolicy::device;  // metadata group policy of unmanaged functions
};

// Why a request cannot be generated.
struct HostdevRequestProblem {
  enum class Kind {
    repeated_device,         // `device` is listed twice
    guest_slot_spans_slots,  // one guest slot, but `device` and `first` are in different host slots
    guest_slot_lacks_function0,  // one guest slot, but no function 0 (`first` names the slot)
  };
  Kind kind;
  PciAddress device;
  PciAddress first;
};

// The first device listed twice, if any.
std::optional<PciAddress> repeated_device(const std::vector<PciAddress>& pci);

// The first problem of `request` (a repeated device, then the guest slot rules), if any.
std::optional<HostdevRequestProblem> check_hostdev_request(const HostdevRequest& request);

struct HostdevPlan {
  std::vector<HostdevSpec> hostdevs;  // in the order of the request
  // The metadata element, when asked for and not empty.
  std::optional<PassthroughMetadata> metadata;
  // Metadata was asked for, but every PCI function is managed: the hook has nothing to do.
  bool metadata_has_nothing = false;
};

// The elements to emit. Throws std::invalid_argument when check_hostdev_request finds a problem,
// Error(usage) when an alias grows too long with its suffix.
HostdevPlan plan_hostdevs(const HostdevRequest& request);

}  // namespace ptagent
