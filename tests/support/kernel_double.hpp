// A SysfsWriter that emulates the kernel on a copy of a simulated host (see temp_host.hpp), so
// that code which changes sysfs can be tested end to end and with a failure at any write.
//
// Every write goes to an absolute host path ("/sys/bus/pci/drivers_probe"); symlinks in the
// directory part are resolved inside the copy, as the kernel resolves them in sysfs. Emulated:
//
//  PCI drivers
//   /sys/bus/pci/devices/X/driver_override   sets the file to "NAME\n"; "" or "\n" clears it to
//                                             "(null)\n"; cut at the first newline; >= 4095 bytes
//                                             EINVAL. Does not unbind or probe (as the kernel).
//   /sys/bus/pci/drivers/D/unbind  ADDR       removes X/driver and drivers/D/ADDR; ENODEV if X is
//   /sys/bus/pci/devices/X/driver/unbind      not bound to D (or does not exist).
//   /sys/bus/pci/drivers/D/bind  ADDR         ENODEV if X does not exist or D does not match it
//                                             (driver_override names another driver, or no
//                                             override and D's module is not in modules.alias for
//                                             X's modalias); EBUSY if X is bound; else attaches,
//                                             or returns the driver's probe error (below).
//   /sys/bus/pci/drivers_probe  ADDR          ENODEV if X does not exist; no-op if X is bound.
//                                             With driver_override: attaches to that driver if its
//                                             directory exists, else leaves X unbound and returns
//                                             success (the kernel does not load modules for an
//                                             override). Without: the first module from
//                                             modules.alias whose driver directory exists (matched
//                                             through the directory's `module` link, or its name
//                                             with '-' read as '_' for built-in drivers). A
//                                             driver's probe error is ignored here, as the driver
//                                             core does: the device stays unbound, success.
//   /sys/bus/pci/drivers/D/new_id, remove_id  recorded and reported as a test failure: ptagent
//                                             must never use them (new_id grabs every device with
//                                             the same IDs).
//   vfio-pci's probe fails with EINVAL (device left unbound) when the device has no IOMMU group
//   (unless /sys/module/vfio/parameters/enable_unsafe_noiommu_mode is Y) and, while
//   Options::vfio_requires_viable_group is on (default), when another endpoint of its group
//   (not a bridge: no pci_bus directory) is bound to a driver other than vfio-pci/pci-stub. The
//   real vfio-pci refuses such a group only when it is opened; libvirt relies on that refusal.
//   Binding to vfio-pci creates /dev/vfio/<group> (if /dev/vfio exists); the uevent file's
//   DRIVER= line follows every bind and unbind.
//   /sys/bus/pci/devices/X/reset  "1"          tries the methods reset_method lists, in order,
//                                             like __pci_reset_function_locked: the first that
//                                             succeeds is the reset (0); ENOTTY when none does
//                                             or there is no method (no file or empty); EINVAL
//                                             for another value. `bus` fails (ENOTTY, next
//                                             method) as pci_parent_bus_reset does: on a root
//                                             bus, for a bridge (pci_bus directory), and when
//                                             any other device is on the same bus (VFs too).
//                                             wedge_on_reset() makes config read all ones (and
//                                             vendor/device 0xffff, except on a VF, whose sysfs
//                                             IDs never came from config space).
//   .../X/reset_method  names                  as reset_method_store (6.1): "\n" disables every
//                                             method (file reads empty; a zero-byte write changes
//                                             nothing), "default" gives back
//                                             the device's methods, else space-separated names
//                                             each of which the device supports (its supported
//                                             set: what the file listed when first written) are
//                                             stored in that order (a name given twice is kept
//                                             twice, as 6.1 does); an unknown or unsupported
//                                             name is EINVAL and changes nothing.
//   .../X/rom  N                              a number: non-zero enables reading the ROM, 0
//                                             disables it (rom_enabled()); the file's content
//                                             (the ROM image) is left as it is; EINVAL else.
//  Power
//   .../X/d3cold_allowed  N                    a number (kstrtoul) stored as 0/1; EINVAL else.
//   .../X/power/control  on|auto               stored; EINVAL else. "on" (pm_runtime_forbid)
//                                             resumes the device: runtime_status reads active
//                                             and a power_state of D3hot/D3cold becomes D0.
//  SR-IOV
//   .../X/sriov_numvfs  N                      EINVAL if N is not a number, ERANGE above
//                                             sriov_totalvfs, success if N is the current count,
//                                             ENOENT if the PF has no driver, EBUSY from non-zero
//                                             to another non-zero count, EBUSY when disabling
//                                             while a VF is marked in use (real drivers differ:
//                                             ixgbe EPERM, i40e EINVAL). Enabling creates VF
//                                             directories (address from sriov_offset/_stride,
//                                             device id from sriov_vf_device, the rest from the
//                                             PF; config space reads vendor/device 0xffff, as a
//                                             real VF's does, while the sysfs files hold the real
//                                             IDs) with physfn/virtfnN links, bus links, a new
//                                             IOMMU group each (when the PF has one) and, when
//                                             sriov_drivers_autoprobe is 1, a driver as
//                                             drivers_probe would pick. Disabling unbinds and
//                                             removes them (highest first).
//   .../X/sriov_drivers_autoprobe  0|1|y|n    stored as "0\n"/"1\n"; EINVAL otherwise.
//  mdev
//   .../PARENT/mdev_supported_types/T/create  UUID (36 chars, optional newline; EINVAL
//                                             otherwise): EEXIST if an mdev with that UUID exists
//                                             (case-insensitive), Options::mdev_exhausted_errno
//                                             (EUSERS, as the mdev core of Linux >= 6.0 returns
//                                             when no instance is left) if available_instances is
//                                             0. Creates PARENT/<uuid> (lower case) with
//                                             mdev_type, subsystem, driver (vfio_mdev, if that
//                                             driver directory exists) and iommu_group links, a
//                                             `remove` file, /sys/bus/mdev/devices/<uuid>,
//                                             T/devices/<uuid>, a new IOMMU group; decrements T's
//                                             available_instances (types of one parent do not
//                                             share a budget here, unlike GVT-g).
//   /sys/bus/mdev/devices/UUID/remove  1       EBUSY while the UUID is marked in use; "0" is a
//                                             no-op; removes all of the above and gives the
//                                             instance back.
//  Anything else: an existing regular file under /sys is overwritten with the value (a plain
//  attribute); ENOENT if it does not exist (sysfs never creates files); EISDIR for a directory;
//  ELOOP for a symlink as the last component (the real writer opens with O_NOFOLLOW); EACCES
//  for paths outside /sys. Writing `remove` of a PCI device is not emulated (test failure).
//
// Crash tests: with PTAGENT_DOUBLE_KILL_AT_WRITE=N in the environment (read when the double is
// made), the process raises SIGKILL at the N-th write, before it changes anything (the test build
// of the hook, ptagent-hook-sim, is run that way as a child process).
//
// Failure injection: a matching write returns the errno and changes nothing. Every write is
// recorded (path as given, value, result) in order. The double is thread-safe (one mutex).
#pragma once

#include <cerrno>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "pci/modalias.hpp"
#include "sysfs/sysfs_writer.hpp"

namespace ptagent {
class Root;
}

namespace ptagent::testing {

struct WriteRecord {
  std::string path;  // as passed to write()
  std::string value;
  int result = 0;  // 0 or the errno returned
  bool injected = false;
};

class KernelDouble final : public SysfsWriter {
 public:
  struct Options {
    bool vfio_requires_viable_group = true;
    int mdev_exhausted_errno = EUSERS;
  };

  // root must be a copy (TempHost), never the system root: throws std::logic_error otherwise.
  explicit KernelDouble(const Root& root);
  KernelDouble(const Root& root, Options options);

  int write(const std::string& path, std::string_view value) override;

  // The n-th write this double receives (counting from 1 over its lifetime, injected ones
  // included) fails with err. Several may be set.
  void fail_nth_write(std::size_t n, int err);
  // Every write whose path contains `path_substring` fails with err (until clear_failures()).
  void fail_writes_to(std::string path_substring, int err);
  void clear_failures();

  // A PCI address (a VF assigned to a guest) or an mdev UUID (open by a guest) is in use.
  void mark_in_use(const std::string& name, bool in_use = true);
  // After the next reset of this device its vendor reads 0xffff (a wedged device).
  void wedge_on_reset(const std::string& address);
  void set_vfio_requires_viable_group(bool on);

  std::vector<WriteRecord> calls() const;
  std::size_t write_count() const;
  // Writes to new_id / remove_id (each also fails the current test).
  std::vector<WriteRecord> new_id_writes() const;
  // Whether the ROM of this address is enabled for reading now (its `rom` got a non-zero write).
  bool rom_enabled(const std::string& address) const;
  // Addresses reset so far, in order.
  std::vector<std::string> resets() const;
  // The reset_method entry the last successful reset of this address used.
  std::optional<std::string> reset_method_used(const std::string& address) const;

 private:
  int dispatch(const std::string& path, std::string_view value);
  int pci_driver_file(const std::string& driver, const std::string& file, const std::string& value);
  int drivers_probe(const std::string& address);
  int set_override(const std::string& dev_dir, std::string_view value);
  int reset(const std::string& dev_dir, const std::string& value);
  int reset_method(const std::string& dev_dir, const std::string& value);
  int d3cold_allowed(const std::string& dev_dir, const std::string& value);
  int rom(const std::string& dev_dir, const std::string& value);
  int power_control(const std::string& dev_dir, const std::string& value);
  bool bus_reset_refused(const std::string& dev_dir) const;
  int sriov_numvfs(const std::string& pf_dir, const std::string& value);
  int sriov_autoprobe(const std::string& pf_dir, const std::string& value);
  int mdev_create(const std::string& type_dir, const std::string& value);
  int mdev_remove(const std::string& mdev_dir, const std::string& value);

  // Kernel-side helpers on canonical host paths.
  std::string real(const std::string& host_path) const;
  std::string device_dir(const std::string& address) const;    // "" if no such device
  std::string bound_driver(const std::string& dev_dir) const;  // "" if unbound
  std::string override_of(const std::string& dev_dir) const;   // "" if none
  bool driver_matches(const std::string& driver, const std::string& dev_dir) const;
  std::string driver_for_module(const std::string& module) const;
  int probe_one(const std::string& driver, const std::string& dev_dir);  // the driver's probe
  void attach(const std::string& driver, const std::string& dev_dir);
  void detach(const std::string& dev_dir);
  void probe_like_drivers_probe(const std::string& dev_dir);
  unsigned new_iommu_group() const;
  void remove_from_group(const std::string& dev_dir, const std::string& name);
  void create_vf(const std::string& pf_dir, unsigned index, const std::string& address,
                 bool autoprobe);
  void remove_vf(const std::string& pf_dir, unsigned index);

  void put_file(const std::string& host_path, std::string_view content) const;
  void put_link(const std::string& host_link, const std::string& host_target) const;
  void remove_entry(const std::string& host_path) const;

  const Root& root_;
  Options options_;
  ModuleAliases aliases_;
  mutable std::mutex mutex_;
  std::size_t count_ = 0;
  std::size_t kill_at_ = 0;  // PTAGENT_DOUBLE_KILL_AT_WRITE
  std::map<std::size_t, int> fail_nth_;
  std::vector<std::pair<std::string, int>> fail_paths_;
  std::set<std::string> in_use_;
  std::set<std::string> wedge_;
  std::vector<WriteRecord> calls_;
  std::vector<std::string> resets_;
  std::map<std::string, std::string> reset_by_;
  std::set<std::string> rom_enabled_;  // addresses
  std::map<std::string, std::string>
      supported_resets_;  // device dir -> its reset_method at first write
};

// A canonical text of everything the double changes, for comparing a host before and after:
// per PCI function its driver, driver_override and sriov_numvfs; each driver directory's device
// links; the mdev devices and every mdev type's available_instances; the IOMMU group members.
std::string host_state(const Root& root);

}  // namespace ptagent::testing
