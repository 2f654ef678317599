#include "host/device_findings.hpp"

#include <cstdio>

#include "pci/known_ids.hpp"
#include "sysfs/host_paths.hpp"

namespace ptagent {

namespace {

std::string hex_range(std::uint64_t a, std::uint64_t b) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%#llx-%#llx", static_cast<unsigned long long>(a),
                static_cast<unsigned long long>(b));
  return buf;
}

bool kernel_at_least(const std::string& release, int major, int minor) {
  int a = 0, b = 0;
  if (std::sscanf(release.c_str(), "%d.%d", &a, &b) != 2) return true;  // unknown: assume new
  return a > major || (a == major && b >= minor);
}

void d3cold_while_idle(const Device& d, const Device* up, const VfioHost& host,
                       std::vector<HealthFinding>& out) {
  // Already off, or not answering: the blocking findings say it.
  if (d.power_state == "D3cold" || (up && up->power_state == "D3cold")) return;
  if (d.config_dead.value_or(false)) return;
  if (!d.d3cold_allowed.value_or(false) || host.disable_idle_d3.value_or(false)) return;
  const Device* holder = d.platform_d3cold ? &d : (up && up->platform_d3cold ? up : nullptr);
  if (!holder) return;
  const std::string a = d.address.to_string();
  std::string evidence =
      a +
      " can lose power (D3cold) while it idles on vfio-pci: d3cold_allowed "
      "is 1, the platform has D3cold power resources for " +
      (holder == &d ? std::string("it") : "its bridge " + up->address.to_string()) +
      " (firmware_node/power_resources_D3hot) and vfio-pci.disable_idle_d3 is off";
  if (d.runtime_status == "suspended") evidence += "; it is runtime-suspended now";
  out.push_back({"d3cold-while-idle", Severity::warning, evidence, keep_powered_fix(d, up)});
}

void amd_reset_bug(const Device& d, const VfioHost& host, std::vector<HealthFinding>& out) {
  const auto family = vendor_reset_family(d.vendor_id, d.device_id);
  if (!family) return;
  const std::string a = d.address.to_string();
  const std::string what = a + " (" + d.ids() + ") is an AMD " + *family +
                           " GPU: without vendor-reset its reset leaves it unusable until the host "
                           "reboots (the AMD reset bug)";
  // device_specific first, the device's other methods after it.
  std::string methods = "device_specific";
  if (d.reset_methods) {
    for (const auto& m : *d.reset_methods) {
      if (m != "device_specific") methods += " " + m;
    }
  }
  const std::string set_method = "'ptagent reset-method " + a + " " + methods +
                                 "' (at every boot: 'ptagent setup reset-method " + a + " " +
                                 methods + "')";
  if (!host.vendor_reset_loaded) {
    out.push_back({"vendor-reset-missing", Severity::warning,
                   what + ", and the vendor_reset module is not loaded",
                   "install vendor-reset (DKMS, github.com/gnif/vendor-reset), 'modprobe "
                   "vendor-reset', add it to /etc/modules-load.d, then " +
                       set_method});
    return;
  }
  if (d.reset_methods &&
      (d.reset_methods->empty() || d.reset_methods->front() != "device_specific")) {
    const std::string first =
        d.reset_methods->empty() ? "nothing" : "'" + d.reset_methods->front() + "'";
    out.push_back({"vendor-reset-unused", Severity::warning,
                   what + "; vendor_reset is loaded but reset_method lists " + first +
                       " first, so the kernel does not use it",
                   set_method});
  }
}

void framebuffer_in_bar(const Device& d, const VfioHost& host, std::vector<HealthFinding>& out) {
  for (const auto& bar : d.bars) {
    if (bar.io()) continue;
    for (const auto& fb : host.framebuffers) {
      if (fb.start > bar.end || fb.end < bar.start) continue;
      out.push_back({"framebuffer-in-bar", Severity::warning,
                     "BAR " + std::to_string(bar.index) + " of " + d.address.to_string() +
                         " [mem " + hex_range(bar.start, bar.end) +
                         "] holds the boot framebuffer " + fb.name + " [mem " +
                         hex_range(fb.start, fb.end) +
                         "] (/proc/iomem): vfio-pci cannot "
                         "reserve it (\"BAR " +
                         std::to_string(bar.index) + ": can't reserve\")",
                     framebuffer_fix(host.kernel_release)});
      return;
    }
  }
}

void denylisted(const Device& d, const VfioHost& host, std::vector<HealthFinding>& out) {
  if (!vfio_denylisted(d.vendor_id, d.device_id, host.kernel_release)) return;
  const std::string what =
      d.address.to_string() + " (" + d.ids() +
      ") is in vfio-pci's device denylist (known errata a guest could exploit)";
  if (host.disable_denylist.value_or(false)) {
    out.push_back({"vfio-denylist-disabled", Severity::info,
                   what + "; vfio-pci.disable_denylist=1 lets vfio-pci take it anyway", ""});
    return;
  }
  out.push_back({"vfio-denylist", Severity::blocking,
                 what + ": vfio-pci refuses to probe it (\"exists in vfio-pci device denylist\")",
                 denylist_fix()});
}

void interrupt_pin(const Device& d, std::vector<HealthFinding>& out) {
  if (!d.config.valid || d.config.interrupt_pin <= 4) return;
  char pin[8];
  std::snprintf(pin, sizeof pin, "%#04x", d.config.interrupt_pin);
  out.push_back({"intx-pin-invalid", Severity::blocking,
                 d.address.to_string() + "'s config space gives interrupt pin " + pin +
                     " (offset 0x3d; valid are 0-4): QEMU aborts on it (assertion in "
                     "pci_irq_handler)",
                 garbled_config_fix(d.address.to_string())});
}

void rom(const Device& d, std::vector<HealthFinding>& out) {
  if (!d.is_vga() || d.rom) return;
  out.push_back({"rom-absent", Severity::info,
                 d.address.to_string() + " is a VGA GPU without an option ROM in sysfs (no rom "
                                         "attribute): a guest that boots on it needs a ROM file",
                 "dump the ROM on a host where it shows, or get the vendor's, and pass it: "
                 "'ptagent gen-xml " +
                     d.address.to_string() + " --rom-file /usr/share/kvm/NAME.rom'"});
}

void vfio_options(const Device& d, const VfioHost& host, std::vector<HealthFinding>& out) {
  if (d.is_vga() && host.disable_vga.value_or(false)) {
    out.push_back({"vfio-disable-vga", Severity::info,
                   "vfio-pci.disable_vga=1: the legacy VGA ranges of " + d.address.to_string() +
                       " are not given to the guest (x-vga=on will not work)",
                   ""});
  }
  if (d.config.valid && d.config.interrupt_pin != 0 && host.nointxmask.value_or(false)) {
    out.push_back({"vfio-nointxmask", Severity::info,
                   "vfio-pci.nointxmask=1: INTx of " + d.address.to_string() +
                       " is not masked at the device; a shared legacy interrupt line is taken "
                       "exclusively",
                   ""});
  }
}

}  // namespace

std::string framebuffer_fix(const std::string& kernel_release) {
  const bool sysfb = kernel_at_least(kernel_release, 5, 15);
  return std::string(sysfb ? "add initcall_blacklist=sysfb_init to the kernel command line "
                             "(kernel >= 5.15: the framebuffer comes from sysfb)"
                           : "add video=efifb:off video=vesafb:off to the kernel command line") +
         ", or boot the host on another GPU; then reboot ('ptagent check' shows how to edit "
         "the command line on this host)";
}

std::string denylist_fix() {
  return "only if you accept the risk: 'options vfio-pci disable_denylist=1' in "
         "/etc/modprobe.d, then reload vfio-pci (or vfio-pci.disable_denylist=1 on the "
         "kernel command line when it is built in)";
}

std::string garbled_config_fix(const std::string& address) {
  return "the config space is garbled: 'echo 1 > " + pci_device_dir(address) +
         "/remove', 'echo 1 > /sys/bus/pci/rescan'; if it still reads so, do not assign this "
         "device";
}

std::vector<HealthFinding> device_findings(const Device& d, const Device* upstream,
                                           const VfioHost& host) {
  std::vector<HealthFinding> out = device_health(d, upstream);
  denylisted(d, host, out);
  interrupt_pin(d, out);
  d3cold_while_idle(d, upstream, host, out);
  amd_reset_bug(d, host, out);
  framebuffer_in_bar(d, host, out);
  rom(d, out);
  vfio_options(d, host, out);
  return out;
}

}  // namespace ptagent
