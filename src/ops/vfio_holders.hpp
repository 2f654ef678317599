// Which processes hold a VFIO group open: a device whose /dev/vfio/<group> is open is in use by a
// guest (or a test program) even when libvirt knows nothing about it.
#pragma once

#include <string>
#include <vector>

namespace ptagent {

class Root;

struct VfioHolder {
  int pid = 0;
  std::string command;           // /proc/<pid>/comm, "" when unreadable
  std::string describe() const;  // "pid 4242 (qemu-system-x86)"
};

// Scans /proc/<pid>/fd/* under the root for links to /dev/vfio/<group>. Processes whose fd
// directory cannot be read are skipped (only root sees every process).
std::vector<VfioHolder> vfio_group_holders(const Root& root, unsigned group);

// Every holder of a set of groups in one /proc scan: result[i] belongs to groups[i].
std::vector<std::vector<VfioHolder>> vfio_group_holders(const Root& root,
                                                        const std::vector<unsigned>& groups);

}  // namespace ptagent
