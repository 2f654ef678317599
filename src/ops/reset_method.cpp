#include "ops/reset_method.hpp"

#include <algorithm>
#include <cerrno>

#include "error.hpp"
#include "ops/errno_text.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/parse.hpp"
#include "sysfs/root.hpp"
#include "sysfs/sysfs_writer.hpp"
#include "util/join.hpp"

namespace ptagent {

namespace {

std::string file_of(const PciAddress& a) {
  return pci_device_dir(a.to_string()) + "/reset_method";
}

std::optional<std::vector<std::string>> read_methods(const Root& root, const PciAddress& a) {
  auto text = root.read(file_of(a), 4096);
  if (!text) return std::nullopt;
  return split_words(*text);
}

}  // namespace

const std::vector<std::string>& kernel_reset_method_names() {
  static const std::vector<std::string> names = {
      "device_specific", "acpi", "flr", "af_flr", "pm", "bus", "cxl_bus"};
  return names;
}

std::string ResetMethodPlan::value() const {
  switch (change) {
    case ResetMethodChange::disable_all:
      return "";
    case ResetMethodChange::restore_default:
      return "default";
    case ResetMethodChange::set:
      break;
  }
  return join(methods, " ");
}

std::vector<std::string> parse_reset_methods(const std::vector<std::string>& words) {
  const auto& known = kernel_reset_method_names();
  std::vector<std::string> out;
  for (const auto& w : words) {
    for (auto& name : split_words(w)) {
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        throw_usage("reset method '" + name + "'", "is not a reset the kernel knows",
                    "use one or more of: " + join(known, ", ") +
                        " (the device's own list: cat /sys/bus/pci/devices/DEVICE/reset_method)");
      }
      if (std::find(out.begin(), out.end(), name) != out.end()) {
        throw_usage("reset method '" + name + "'", "is given twice",
                    "name each method once, in the order the kernel should try them");
      }
      out.push_back(std::move(name));
    }
  }
  return out;
}

std::vector<std::string> read_reset_methods(const Root& root, const PciAddress& address) {
  const std::string a = address.to_string();
  if (!root.exists(pci_device_dir(a))) {
    throw_not_found(a, "no such PCI device", "list the host's devices with: ptagent list");
  }
  auto before = read_methods(root, address);
  if (!before) {
    throw Error(ErrorKind::refused, Reason::unsupported, a,
                "has no reset_method attribute: the kernel is older than 5.15, or it knows no "
                "way to reset this device",
                "nothing to choose from; a device without a reset cannot be handed from one "
                "guest to the next safely");
  }
  return *before;
}

ResetMethodPlan plan_reset_method(const Root& root, const PciAddress& address,
                                  ResetMethodChange change,
                                  const std::vector<std::string>& methods) {
  const std::string a = address.to_string();
  std::vector<std::string> before = read_reset_methods(root, address);
  if (change == ResetMethodChange::set && methods.empty()) {
    throw_usage(a, "no reset method named",
                "name the methods in order (e.g. device_specific bus), or restore the kernel's "
                "default");
  }
  ResetMethodPlan plan;
  plan.address = address;
  plan.before = std::move(before);
  plan.change = change;
  if (change == ResetMethodChange::set) plan.methods = methods;
  return plan;
}

std::vector<std::string> apply_reset_method(const Root& root, SysfsWriter& writer,
                                            const ResetMethodPlan& plan) {
  const std::string a = plan.address.to_string();
  if (plan.nothing_to_do()) return plan.before;
  const std::string file = file_of(plan.address);
  // A write of zero bytes never reaches the attribute's store function (checked on 6.1: the
  // list stayed as it was); "\n" is what the kernel reads as the empty list.
  const std::string value = plan.value().empty() ? std::string("\n") : plan.value();
  if (int err = writer.write(file, value); err != 0) {
    if (err == EINVAL && plan.change == ResetMethodChange::set) {
      throw Error(ErrorKind::refused, Reason::unsupported, a,
                  "the kernel refused reset_method '" + plan.value() +
                      "' (EINVAL): this device does not support one of them; nothing changed",
                  "choose among the methods it supports (now: " +
                      (plan.before.empty() ? std::string("none") : join(plan.before, " ")) +
                      "; restore the kernel's full list with --default and read it again)",
                  err);
    }
    const ErrnoText t = attribute_write_errno(err, file);
    throw_failed(a, t.cause, t.hint, err);
  }
  auto after = read_methods(root, plan.address);
  const bool ok = after && (plan.change == ResetMethodChange::set           ? *after == plan.methods
                            : plan.change == ResetMethodChange::disable_all ? after->empty()
                                                                            : !after->empty());
  if (!ok) {
    throw_failed(a,
                 "reset_method reads '" +
                     (after ? join(*after, " ") : std::string("(unreadable)")) +
                     "' after writing '" + plan.value() + "'",
                 "read it again: cat " + file + "; the kernel log (dmesg) may say why");
  }
  return *after;
}

}  // namespace ptagent
