// The kernel's reset_method attribute (Linux 5.15+): the resets it may use for a device and in
// which order. Setting it puts vendor-reset's device_specific first for an AMD GPU, or leaves out
// a reset that hangs a device. The kernel (6.1 reset_method_store) takes space-separated names,
// refuses the whole write (EINVAL, nothing changed) when one is unknown, unsupported by the device
// or given twice, disables every method on an empty write and restores its own order on "default".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pci/address.hpp"

namespace ptagent {

class Root;
class SysfsWriter;

// Every reset the kernel can name, in its default order: device_specific acpi flr af_flr pm bus
// cxl_bus (cxl_bus: kernels after 6.1).
const std::vector<std::string>& kernel_reset_method_names();

enum class ResetMethodChange { set, disable_all, restore_default };

struct ResetMethodPlan {
  PciAddress address;
  std::vector<std::string> before;  // what reset_method lists now (empty: every method disabled)
  ResetMethodChange change = ResetMethodChange::set;
  std::vector<std::string> methods;  // ResetMethodChange::set: the new list, in order
  std::string value() const;         // what is written: "device_specific bus", "", "default"
  bool nothing_to_do() const { return change == ResetMethodChange::set && methods == before; }
};

// The names a user gave ("device_specific", "bus"; also one argument "flr bus"), split on spaces.
// Throws Error(usage) for an unknown name (listing the known ones) or a name given twice.
std::vector<std::string> parse_reset_methods(const std::vector<std::string>& words);

// What a device's reset_method lists now (empty: every method disabled). Throws Error(not_found)
// for a missing device, Error(refused, unsupported) when it has no reset_method attribute.
std::vector<std::string> read_reset_methods(const Root& root, const PciAddress& address);

// Reads the device's reset_method (as read_reset_methods) and checks the change. Throws
// Error(not_found) for a missing device, Error(refused, unsupported) when it has no reset_method
// attribute (a kernel before 5.15, or a device the kernel cannot reset at all).
ResetMethodPlan plan_reset_method(const Root& root, const PciAddress& address,
                                  ResetMethodChange change,
                                  const std::vector<std::string>& methods = {});

// Writes the plan and returns what reset_method lists afterwards. A refusal by the kernel
// (EINVAL: a method this device does not support) changes nothing and throws Error(refused,
// unsupported) naming the device; any other failed write throws Error(failed). Throws
// Error(failed) when the file does not read back what was asked.
std::vector<std::string> apply_reset_method(const Root& root, SysfsWriter& writer,
                                            const ResetMethodPlan& plan);

}  // namespace ptagent
