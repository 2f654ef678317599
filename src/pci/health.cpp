#include "pci/health.hpp"

#include "sysfs/host_paths.hpp"

namespace ptagent {

namespace {

// ptagent power --keep-on writes power/control=on and d3cold_allowed=0 on the device and
// d3cold_allowed=0 on its bridge; ptagent setup power makes udev do it at every boot.
std::string keep_powered_start(const std::string& address) {
  return "keep it powered: 'ptagent power " + address +
         " --keep-on' (power/control=on, d3cold_allowed=0 on it and d3cold_allowed=0 on its "
         "bridge), at every boot: 'ptagent setup power " +
         address + "'";
}

const char* const kPersistPowered =
    "; or, for every vfio-pci device: vfio-pci.disable_idle_d3=1 on the kernel command line";

}  // namespace

std::string keep_powered_fix(const std::string& address) {
  return keep_powered_start(address) + kPersistPowered;
}

std::string revive_fix(const std::string& address) {
  return "bring it back with 'echo 1 > " + pci_device_dir(address) +
         "/remove' then 'echo 1 > /sys/bus/pci/rescan' (if it still reads ff, power-cycle "
         "the host: a reboot may not be enough)";
}

std::string keep_powered_fix(const Device& d, const Device* upstream) {
  std::string fix = keep_powered_start(d.address.to_string());
  if (upstream) fix += " (its bridge: " + upstream->address.to_string() + ")";
  fix += kPersistPowered;
  return fix;
}

std::string severity_name(Severity s) {
  switch (s) {
    case Severity::info:
      return "info";
    case Severity::warning:
      return "warning";
    case Severity::blocking:
      return "blocking";
  }
  return "?";
}

std::optional<Severity> worst_severity(const std::vector<HealthFinding>& findings) {
  std::optional<Severity> worst;
  for (const auto& f : findings) {
    if (!worst || static_cast<int>(f.severity) > static_cast<int>(*worst)) worst = f.severity;
  }
  return worst;
}

std::vector<HealthFinding> device_health(const Device& d, const Device* upstream) {
  std::vector<HealthFinding> out;
  const std::string a = d.address.to_string();
  if (d.power_state && *d.power_state == "D3cold") {
    out.push_back({"d3cold", Severity::blocking,
                   a + " is in D3cold (power_state): powered off, it cannot be reset or assigned",
                   keep_powered_fix(d, upstream)});
  }
  if (d.config_dead.value_or(false)) {
    out.push_back(
        {"config-inaccessible", Severity::blocking,
         a + "'s config space reads all ones (lspci: rev ff) while sysfs still names it " +
             d.ids() + ": the device does not answer",
         revive_fix(a) + "; then " + keep_powered_fix(d, upstream)});
  }
  if (upstream && upstream->power_state && *upstream->power_state == "D3cold") {
    out.push_back({"bridge-d3cold", Severity::blocking,
                   a + "'s upstream bridge " + upstream->address.to_string() +
                       " is in D3cold (power_state): nothing below it answers",
                   keep_powered_fix(*upstream, nullptr)});
  }
  return out;
}

}  // namespace ptagent
