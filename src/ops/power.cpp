#include "ops/power.hpp"

#include "error.hpp"
#include "ops/errno_text.hpp"
#include "pci/device.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/root.hpp"
#include "sysfs/sysfs_writer.hpp"

namespace ptagent {

namespace {

PowerFunction function_of(const Device& d) {
  return {d.address, d.power_state, d.d3cold_allowed, d.power_control, d.runtime_status};
}

std::string attr(const PciAddress& a, const char* name) {
  return pci_device_dir(a.to_string()) + "/" + name;
}

void want(std::vector<PowerWrite>& out, const PciAddress& a, const char* name,
          const std::optional<std::string>& now, const std::string& value) {
  if (!now || *now == value) return;
  out.push_back({attr(a, name), value, *now});
}

std::optional<std::string> bool_text(const std::optional<bool>& b) {
  if (!b) return std::nullopt;
  return std::string(*b ? "1" : "0");
}

}  // namespace

bool PowerState::may_enter_d3cold() const {
  const bool idles = device.power_control.value_or("auto") == "auto";
  const bool allowed =
      device.d3cold_allowed.value_or(true) || (bridge && bridge->d3cold_allowed.value_or(false));
  return platform_d3cold && idles && allowed;
}

PowerState read_power(const Root& root, const PciAddress& address) {
  const Device d = read_device(root, address, DeviceDetail::full);
  PowerState s;
  s.device = function_of(d);
  s.platform_d3cold = d.platform_d3cold;
  if (d.upstream && root.exists(pci_device_dir(d.upstream->to_string()))) {
    s.bridge = function_of(read_device(root, *d.upstream, DeviceDetail::full));
  }
  return s;
}

PowerPlan plan_power(const PowerState& state, PowerMode mode) {
  const std::string a = state.device.address.to_string();
  if (!state.device.d3cold_allowed && !state.device.power_control) {
    throw Error(ErrorKind::refused, Reason::unsupported, a,
                "has neither d3cold_allowed nor power/control: this kernel does not manage its "
                "power at runtime",
                "nothing to change; the device stays powered");
  }
  const bool on = mode == PowerMode::keep_on;
  PowerPlan plan;
  plan.address = state.device.address;
  plan.mode = mode;
  want(plan.writes, plan.address, "d3cold_allowed", bool_text(state.device.d3cold_allowed),
       on ? "0" : "1");
  want(plan.writes, plan.address, "power/control", state.device.power_control, on ? "on" : "auto");
  // The bridge is kept from D3cold with the device, but not let go with it: other devices may
  // sit below it, and its own default may be 0 (a QEMU root port on 6.1 reads 0).
  if (state.bridge && on) {
    want(plan.writes, state.bridge->address, "d3cold_allowed",
         bool_text(state.bridge->d3cold_allowed), "0");
  }
  return plan;
}

PowerState apply_power(const Root& root, SysfsWriter& writer, const PowerPlan& plan) {
  for (std::size_t i = 0; i < plan.writes.size(); ++i) {
    const PowerWrite& w = plan.writes[i];
    if (int err = writer.write(w.path, w.value); err != 0) {
      std::string undone = "nothing was changed";
      bool clean = true;
      for (std::size_t j = i; j-- > 0;) {
        if (writer.write(plan.writes[j].path, plan.writes[j].before) != 0) clean = false;
      }
      if (i > 0) {
        undone = clean ? "the attributes already written were put back"
                       : "putting back the attributes already written failed too: check them";
      }
      const ErrnoText t = attribute_write_errno(err, w.path);
      throw_failed(plan.address.to_string(),
                   "writing " + w.value + " to " + w.path + " failed: " + t.cause + "; " + undone,
                   t.hint, err);
    }
  }
  return read_power(root, plan.address);
}

}  // namespace ptagent
