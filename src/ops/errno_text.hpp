// What an errno from a sysfs write means for SR-IOV and mdev: the cause in the user's terms and
// the fix, instead of a bare "Device or resource busy".
#pragma once

#include <string>

namespace ptagent {

struct ErrnoText {
  std::string cause;  // "not enough MMIO resources: SR-IOV off in firmware or BAR space short"
  std::string hint;   // what to do about it
};

// "EBUSY", "ENOMEM", ... or "errno 123" for a value without a name here.
std::string errno_name(int err);

// A failed write of `requested` to sriov_numvfs of a PF whose sriov_totalvfs is `total`.
ErrnoText sriov_numvfs_errno(int err, unsigned requested, unsigned total);
// A failed write to sriov_drivers_autoprobe.
ErrnoText sriov_autoprobe_errno(int err);
// A failed write of a UUID to an mdev type's `create`.
ErrnoText mdev_create_errno(int err);
// A failed write of 1 to an mdev's `remove`.
ErrnoText mdev_remove_errno(int err);
// A failed write to any other attribute (`file`, e.g. "power/control"): not root, timed out, or
// the kernel's own errno.
ErrnoText attribute_write_errno(int err, const std::string& file);

}  // namespace ptagent
