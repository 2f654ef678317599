// The VFIO drivers that could take a device: vfio-pci and the variant drivers (mlx5_vfio_pci,
// virtio_vfio_pci, hisi_acc_vfio_pci, ...) whose modules declare `vfio_pci:` aliases in
// modules.alias. The kernel writes those aliases for PCI_DRIVER_OVERRIDE_DEVICE_VFIO entries:
// they never autoload or autobind, a driver_override naming the driver binds it. The device's
// modalias with "vfio_" in front is matched against them (glob, as modprobe matches), and the
// best is the matching alias with the fewest '*' wildcards: the kernel's documented rule, which
// libvirt (>= 10.0) applies when it binds a hostdev (its "least number of wildcard fields").
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptagent {

class Root;
struct Device;

struct VfioCandidate {
  std::string module;      // "mlx5_vfio_pci", "vfio_pci"
  std::string driver;      // the PCI driver name driver_override takes: "mlx5_vfio_pci", "vfio-pci"
  std::string alias;       // the matching pattern; empty for vfio-pci taken without a listed alias
  unsigned wildcards = 0;  // '*' in the alias (vfio-pci without an alias: 7, every field)
  bool variant() const { return module != "vfio_pci"; }
};

class VfioAliases {
 public:
  // Reads the `vfio_pci:` aliases of /lib/modules/<osrelease>/modules.alias and
  // modules.builtin.alias under root, and the driver names of the loaded ones
  // (/sys/module/<module>/drivers/pci:<name>). Absent files give an empty table.
  static VfioAliases load(const Root& root);
  // Builds a table from text, one "alias vfio_pci:PATTERN MODULE" per line (others ignored).
  static VfioAliases parse(std::string_view text);
  void add(std::string_view text);
  // The PCI driver a module registers (known from sysfs when loaded, else its name, vfio_pci
  // registering "vfio-pci").
  std::string driver_of(std::string_view module) const;
  void set_driver(std::string module, std::string driver);

  // Every VFIO driver whose alias matches the device's modalias ("pci:v...d...sv...sd...bc...
  // sc...i..."), best first: fewest wildcards, then file order. vfio-pci is always among them
  // (its catch-all takes any device through driver_override), last unless it is the only one.
  // Empty only for a modalias that is not a PCI one.
  std::vector<VfioCandidate> candidates(std::string_view modalias) const;
  // Whether the module declares a vfio_pci: alias (vfio_pci itself or a variant).
  bool has_module(std::string_view module) const;
  bool empty() const { return aliases_.empty(); }

 private:
  struct Alias {
    std::string pattern;  // "vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*"
    std::string module;
    unsigned wildcards = 0;
  };
  std::vector<Alias> aliases_;
  std::map<std::string, std::string, std::less<>> drivers_;  // module -> PCI driver name
};

// What a device could be given to: the candidates, the best, and the VFIO driver it is on now.
struct VfioChoice {
  std::vector<VfioCandidate> candidates;  // best first
  std::optional<std::string> current;     // the candidate's driver the device is bound to
  const VfioCandidate* best() const { return candidates.empty() ? nullptr : &candidates.front(); }
  // The candidate named by driver or module name ("mlx5_vfio_pci", "vfio-pci", "vfio_pci").
  const VfioCandidate* find(std::string_view name) const;
  // "mlx5_vfio_pci (best), vfio-pci": the candidates' driver names.
  std::string names() const;
};

// Host infrastructure (bridges, host and ISA bridges) is never assigned: no candidates.
VfioChoice vfio_choice(const Device& device, const VfioAliases& aliases);

// Whether a PCI driver is a VFIO variant driver (not vfio-pci itself): its module is built on
// vfio-pci-core (/sys/module/vfio_pci_core/holders/<module>, the module's `module` link naming it;
// a driver without one is its own module), or, when vfio-pci-core is built in and has no
// holders, the module declares a vfio_pci: alias in modules.builtin.alias.
bool is_vfio_variant_driver(const Root& root, std::string_view driver);

// The device's iommufd cdev, "/dev/vfio/devices/vfio0", from the vfio-dev/vfioN directory the
// kernel (6.6+, VFIO_DEVICE_CDEV) makes under a function bound to a VFIO driver; nullopt when
// there is none.
std::optional<std::string> vfio_device_cdev(const Root& root, const Device& device);

// How many '*' a pattern has.
unsigned alias_wildcards(std::string_view pattern);

}  // namespace ptagent
