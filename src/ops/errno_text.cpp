#include "ops/errno_text.hpp"

#include <cerrno>
#include <cstring>

#include "error.hpp"

namespace ptagent {

namespace {

struct Name {
  int err;
  const char* name;
};

constexpr Name kNames[] = {
    {EPERM, "EPERM"},         {ENOENT, "ENOENT"},         {EIO, "EIO"},
    {ENXIO, "ENXIO"},         {E2BIG, "E2BIG"},           {EAGAIN, "EAGAIN"},
    {ENOMEM, "ENOMEM"},       {EACCES, "EACCES"},         {EFAULT, "EFAULT"},
    {EBUSY, "EBUSY"},         {EEXIST, "EEXIST"},         {ENODEV, "ENODEV"},
    {EINVAL, "EINVAL"},       {ENOSPC, "ENOSPC"},         {EROFS, "EROFS"},
    {ERANGE, "ERANGE"},       {ENOSYS, "ENOSYS"},         {EDQUOT, "EDQUOT"},
    {ETIMEDOUT, "ETIMEDOUT"}, {EOPNOTSUPP, "EOPNOTSUPP"}, {EUSERS, "EUSERS"},
    {ENOTTY, "ENOTTY"},       {ELOOP, "ELOOP"},           {EISDIR, "EISDIR"},
    {ENOTDIR, "ENOTDIR"},
};

std::string with_errno(const std::string& cause, int err) {
  return cause + " (" + errno_name(err) + ")";
}

ErrnoText generic(int err, const std::string& what) {
  return {with_errno(what + ": " + std::strerror(err), err),
          "see the kernel log (dmesg) for the driver's own message"};
}

ErrnoText not_root(int err, const std::string& file) {
  return {with_errno("permission denied writing " + file, err),
          "run ptagent as root (e.g. with sudo); sysfs attributes are writable by root only"};
}

ErrnoText timed_out(int err, const std::string& file) {
  return {
      with_errno("the write to " + file + " did not finish in time; the driver may be stuck", err),
      "check dmesg for the driver's messages; a host reboot may be needed if it stays stuck"};
}

}  // namespace

std::string errno_name(int err) {
  for (const auto& n : kNames) {
    if (n.err == err) return n.name;
  }
  return "errno " + std::to_string(err);
}

ErrnoText sriov_numvfs_errno(int err, unsigned requested, unsigned total) {
  const std::string n = std::to_string(requested);
  switch (err) {
    case EBUSY:
      return {with_errno("the kernel refused to change the number of VFs: VFs are in use, or the "
                         "count was changed from one non-zero value to another",
                         err),
              "set sriov_numvfs to 0 first (ptagent does this itself) and release VFs that are "
              "assigned to guests or bound to vfio-pci"};
    case ENOMEM:
      return {
          with_errno("not enough MMIO resources: SR-IOV off in firmware or BAR space short", err),
          "enable SR-IOV (and \"Above 4G decoding\") in the firmware setup, or add pci=realloc "
          "to the kernel command line, or ask for fewer VFs"};
    case ENOSPC:
      return {with_errno("not enough MSI-X interrupt vectors for " + n + " VFs", err),
              "ask for fewer VFs, or enable interrupt remapping so more vectors are available"};
    case ERANGE:
    case EINVAL:
      return {with_errno(n + " VFs is more than the device allows (sriov_totalvfs is " +
                             std::to_string(total) + ")",
                         err),
              "give " + mention(Input::vf_count) + " between 0 and " + std::to_string(total)};
    case EPERM:
    case EACCES:
      return not_root(err, "sriov_numvfs");
    case ENOENT:
    case EOPNOTSUPP:
      return {with_errno("the PF's driver does not enable VFs through sysfs", err),
              "bind the PF to its vendor driver (vfio-pci needs the module option enable_sriov=1)"};
    case EIO:
      return {with_errno("the device or its firmware failed to enable the VFs", err),
              "check dmesg; updating the adapter's firmware or a cold boot often helps"};
    case ETIMEDOUT:
      return timed_out(err, "sriov_numvfs");
    default:
      return generic(err, "writing " + n + " to sriov_numvfs failed");
  }
}

ErrnoText sriov_autoprobe_errno(int err) {
  switch (err) {
    case EPERM:
    case EACCES:
      return not_root(err, "sriov_drivers_autoprobe");
    case ETIMEDOUT:
      return timed_out(err, "sriov_drivers_autoprobe");
    default:
      return generic(err, "writing sriov_drivers_autoprobe failed");
  }
}

ErrnoText mdev_create_errno(int err) {
  switch (err) {
    case EEXIST:
      return {with_errno("a mediated device with this UUID already exists", err),
              "give another UUID with " + mention(Input::mdev_uuid) +
                  where_spelled(Input::new_uuid, ", or leave " + mention(Input::new_uuid) +
                                                     " out to get a new one")};
    case EUSERS:  // the mdev core (Linux >= 6.0) when available_instances is 0
    case ENOSPC:
    case EDQUOT:
    case ENOMEM:
      return {with_errno("the parent has no resources left for another device of this type", err),
              "remove an unused mdev of this parent ('ptagent mdev list') or pick a smaller type"};
    case EBUSY:
      return {with_errno("the parent device is busy", err),
              "devices of different types may not mix on this parent: remove the others first"};
    case EINVAL:
      return {with_errno("the parent refused the request (it rejects this UUID or type)", err),
              "check dmesg for the vendor driver's message"};
    case ENODEV:
    case ENXIO:
      return {with_errno("the parent device went away", err),
              "check that the parent's driver is still bound ('ptagent show PARENT')"};
    case EPERM:
    case EACCES:
      return not_root(err, "create");
    case ETIMEDOUT:
      return timed_out(err, "create");
    default:
      return generic(err, "creating the mediated device failed");
  }
}

ErrnoText mdev_remove_errno(int err) {
  switch (err) {
    case EBUSY:
      return {with_errno("the mediated device is in use (a guest or a process holds it open)", err),
              "stop the guest that uses it first"};
    case ENODEV:
    case ENOENT:
      return {with_errno("the mediated device is already gone", err), ""};
    case EPERM:
    case EACCES:
      return not_root(err, "remove");
    case ETIMEDOUT:
      return timed_out(err, "remove");
    default:
      return generic(err, "removing the mediated device failed");
  }
}

ErrnoText attribute_write_errno(int err, const std::string& file) {
  if (err == EACCES || err == EPERM) return not_root(err, file);
  if (err == ETIMEDOUT) return timed_out(err, file);
  return generic(err, "the kernel refused the write to " + file);
}

}  // namespace ptagent
