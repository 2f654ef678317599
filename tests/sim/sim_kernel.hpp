// The kernel behind ptagent-simfs: a simulated host tree (a private copy) with sysfs semantics.
//
// Writes are dispatched here with the host path ("/sys/bus/pci/drivers_probe"). Most of them go to
// the in-process kernel double (tests/support/kernel_double.hpp), so that the FUSE server and the
// unit tests share one emulation of driver_override, bind/unbind, drivers_probe, vfio-pci's group
// viability, sriov_numvfs and mdev create/remove. On top of it this class emulates what only an
// outside program can exercise:
//
//   .../X/config        pwrite at any offset. Read-only registers keep their value; command,
//                       BARs, interrupt line, bus numbers and bridge control are stored. Function
//                       resets, as libvirt and the kernel trigger them from user space:
//                         PCIe DevCtl bit 15 (Initiate FLR) when DevCap advertises FLR;
//                         AF control bit 0 when the AF capability advertises FLR;
//                         PM control D3hot -> D0 when NoSoftRst is clear;
//                         bridge control bit 6 (secondary bus reset) 0 -> 1: every function
//                         below the bridge.
//                       A reset clears the command register; a device marked to wedge then reads
//                       all 0xff (vendor 0xffff) and ignores further config writes.
//   .../X/reset  1      the first method of reset_method: flr/pm/af always work, "bus" only when
//                       X is alone on a non-root bus (the kernel's pci_parent_bus_reset), else
//                       ENOTTY; no methods: ENOTTY. The kernel saves and restores config around
//                       it, so the command register is kept.
//   .../X/remove  1     unbinds and removes X and every function below it (an SR-IOV PF's VFs
//                       and a parent's mdevs first); the functions are kept aside for rescan.
//   /sys/bus/pci/rescan, .../X/rescan, .../pci_bus/B/rescan  1
//                       brings back removed functions (all, those on X's bus, those below the
//                       bridge), with driver_override cleared and a driver probed as
//                       drivers_probe would.
//   drivers/D/new_id, remove_id   EINVAL, logged as "new_id used": not emulated.
//
// The control file (/.ptagent-sim at the root of the mount, not listed) takes commands, one per
// write: "wedge ADDR", "in-use NAME", "not-in-use NAME", "viable-check on|off". Reading it
// returns the event log: one line per emulated write ("write PATH VALUE = 0|ERRNO") and per reset
// ("reset ADDR METHOD").
//
// With uevents on, additions, removals, binds and unbinds are announced as udev netlink messages
// (the "udev" multicast group) so that libudev monitors (libvirt's node-device driver) see them.
// Only ever enabled inside a private network namespace (checked).
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ptagent {
class Root;
}

namespace ptagent::testing {
class KernelDouble;
}

namespace ptagent::sim {

class SimKernel {
 public:
  // base: the host tree served (its sys/ is the mount's root).
  explicit SimKernel(std::string base);
  ~SimKernel();

  // Whether uevents are sent; returns false (and stays off) outside a private network namespace.
  bool enable_uevents();
  void set_log_file(std::string path);

  // A sysfs write of `data` at `offset` to the host path. Returns bytes written or -errno.
  long write(const std::string& host_path, std::string_view data, long offset);
  // Reads of the control file.
  std::string control_text() const;
  int control(std::string_view command);
  void wedge(const std::string& address);

  const std::string& base() const { return base_; }
  const Root& root() const { return *root_; }

 private:
  struct Removed;
  long config_write(const std::string& dev_dir, std::string_view data, long offset);
  int reset_attr(const std::string& dev_dir, std::string_view value);
  void reset_function(const std::string& dev_dir, const std::string& method, bool clear_command);
  int remove_device(const std::string& dev_dir);
  void remove_one(const std::string& dev_dir);
  int rescan(const std::string& under);
  void log(const std::string& line);

  // A udev message: props are "KEY=VALUE\0" pairs starting with DEVPATH.
  void announce(const std::string& action, const std::string& props, const std::string& subsystem);

  std::string real(const std::string& host_path) const;

  std::string base_;
  std::unique_ptr<Root> root_;
  std::unique_ptr<testing::KernelDouble> kd_;
  mutable std::mutex mutex_;
  std::set<std::string> wedge_;
  std::vector<std::string> log_;
  std::string log_file_;
  std::vector<Removed> removed_;
  unsigned removed_seq_ = 0;
  int uevent_fd_ = -1;
  unsigned long long seqnum_ = 1000;
};

}  // namespace ptagent::sim
