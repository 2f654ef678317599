#include "sysfs/host_paths.hpp"

namespace ptagent {

namespace {

std::string under(std::string_view dir, std::string_view name) {
  std::string out(dir);
  out += '/';
  out += name;
  return out;
}

}  // namespace

std::string journal_file(std::string_view state_dir) {
  return under(state_dir, kJournalFileName);
}

std::string hook_lock_file() {
  return under(kStateDir, kHookLockName);
}

std::string mdevctl_file(std::string_view parent, std::string_view uuid) {
  return under(under(kMdevctlDir, parent), uuid);
}

std::string pci_device_dir(std::string_view address) {
  return under(kPciDevicesDir, address);
}

std::string pci_driver_dir(std::string_view driver) {
  return under(kPciDriversDir, driver);
}

std::string mdev_device_dir(std::string_view uuid) {
  return under(kMdevDevicesDir, uuid);
}

std::string mdev_types_dir(std::string_view parent) {
  return under(under(kMdevBusDir, parent), "mdev_supported_types");
}

std::string mdev_type_dir(std::string_view parent, std::string_view type) {
  return under(mdev_types_dir(parent), type);
}

std::string module_dir(std::string_view module) {
  return under(kModulesDir, module);
}

std::string module_parameter(std::string_view module, std::string_view parameter) {
  return under(under(module_dir(module), "parameters"), parameter);
}

std::string proc_fd_dir(std::string_view pid) {
  return under(under(kProcDir, pid), "fd");
}

std::string proc_comm(std::string_view pid) {
  return under(under(kProcDir, pid), "comm");
}

std::string proc_self_fd(int fd) {
  return under(kProcSelfFdDir, std::to_string(fd));
}

std::string libvirt_qemu_log(std::string_view domain) {
  return std::string(kLibvirtQemuLogDir) + "/" + std::string(domain) + ".log";
}

}  // namespace ptagent
