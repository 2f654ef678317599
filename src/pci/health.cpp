#include "pci/health.hpp"

#include "sysfs/host_paths.hpp"

namespace ptagent {

namespace {

std::string keep_powered_start(const std::string& dev) {
  return "keep it powered: 'echo on > " + dev + "/power/control' and 'echo 0 > " + dev +
         "/d3cold_allowed'";
}

const char* const kPersistPowered =
    "; persistently: vfio-pci.disable_idle_d3=1 on the kernel command line";

}  // namespace

std::string keep_powered_fix(const std::string& address) {
  return keep_powered_start(pci_device_dir(address)) + ", the same on its upstream bridge" +
         kPersistPowered;
}

std::string revive_fix(const std::string& address) {
  return "bring it back with 'echo 1 > " + pci_device_dir(address) +
         "/remove' then 'echo 1 > /sys/bus/pci/rescan' (if it still reads ff, power-cycle "
         "the host: a reboot may not be enough)";
}

std::string keep_powered_fix(const Device& d, const Device* upstream) {
  std::string fix = keep_powered_start(d.sysfs_link());
  if (upstream) {
    fix += ", the same on its bridge " + upstream->address.to_string() + " (" +
           upstream->sysfs_link() + ")";
  }
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
