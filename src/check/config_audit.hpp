// `ptagent check`'s audit of the boot-time configuration: what modprobe.d, the module lists,
// driverctl and the kernel command line will do at the next boot, against the host-critical
// devices and the kernel version.
#pragma once

#include <vector>

#include "check/readiness.hpp"

namespace ptagent {

class Root;

// Checks boot-critical (FAIL: an ids= or a blacklist takes a host-critical device at the
// next boot, naming the file and line), boot-virqfd (WARN: vfio_virqfd listed on >= 6.2),
// boot-initramfs (WARN: ids= without vfio-pci in the initramfs), boot-pending
// (what ptagent setup configured that is not active until a reboot).
std::vector<Check> audit_boot_config(const Root& root);

}  // namespace ptagent
