#include "check/readiness.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include "check/boot_advice.hpp"
#include "check/config_audit.hpp"
#include "check/host_view.hpp"
#include "host/host_facts.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/parse.hpp"
#include "sysfs/procfs.hpp"
#include "sysfs/root.hpp"
#include "util/join.hpp"

namespace ptagent {

const char* check_status_name(CheckStatus status) {
  switch (status) {
    case CheckStatus::pass:
      return "PASS";
    case CheckStatus::warn:
      return "WARN";
    case CheckStatus::fail:
      return "FAIL";
    case CheckStatus::skip:
      return "SKIP";
  }
  return "SKIP";
}

CheckSummary summarize(const std::vector<Check>& checks) {
  CheckSummary s;
  for (const auto& c : checks) {
    switch (c.status) {
      case CheckStatus::pass:
        ++s.pass;
        break;
      case CheckStatus::warn:
        ++s.warn;
        break;
      case CheckStatus::fail:
        ++s.fail;
        break;
      case CheckStatus::skip:
        ++s.skip;
        break;
    }
  }
  return s;
}

namespace {

Check make(std::string id, CheckStatus status, std::string title, std::string evidence,
           std::string fix = {}) {
  return Check{std::move(id), status, std::move(title), std::move(evidence),
               status == CheckStatus::pass ? std::string() : std::move(fix)};
}

// ---- the checks ----

Check check_cpu(const HostView& h) {
  const char* title = "CPU vendor";
  if (!h.f.cpuinfo) {
    return make("cpu", CheckStatus::skip, title,
                "cannot read /proc/cpuinfo: the advice below assumes an Intel CPU",
                proc_missing_fix(kProcCpuinfo));
  }
  std::string who = h.vendor_id.empty() ? std::string("no vendor_id") : h.vendor_id;
  if (!h.model_name.empty()) who += " (" + h.model_name + ")";
  const std::string vm = h.hypervisor ? "; runs as a virtual machine (hypervisor flag)" : "";
  if (h.vendor != h.cpu && h.vendor != CpuVendor::other && h.cpu != CpuVendor::other) {
    std::string units = join(h.f.iommu_units, ", ");
    return make("cpu", CheckStatus::pass, title,
                who + "; the IOMMU present is " + short_iommu_name(h) + " (" + units +
                    " under /sys/class/iommu), so its advice follows" + vm);
  }
  switch (h.cpu) {
    case CpuVendor::intel:
      return make("cpu", CheckStatus::pass, title,
                  who + ": Intel VT-d, enabled with intel_iommu=on" + vm);
    case CpuVendor::amd:
      return make("cpu", CheckStatus::pass, title,
                  who + ": AMD-Vi, on by default (amd_iommu=on is accepted but not needed)" + vm);
    case CpuVendor::other:
      break;
  }
  return make(
      "cpu", CheckStatus::warn, title,
      who + " in /proc/cpuinfo: neither Intel nor AMD, so the IOMMU advice below is generic" + vm,
      "enable the platform's IOMMU (on Arm: the SMMU) in the firmware and check the kernel "
      "documentation "
      "for its parameters");
}

Check check_bootloader(const HostView& h) {
  const char* title = "Boot loader and initramfs tool";
  std::string os =
      h.os.id.empty() ? std::string("unknown OS (no /etc/os-release)") : "ID=" + h.os.id;
  if (!h.os.id_like.empty()) os += " ID_LIKE=" + join(h.os.id_like, ",");
  const std::string fw = h.f.uefi ? "UEFI" : "BIOS";
  std::string initrd;
  switch (h.initramfs) {
    case Initramfs::update_initramfs:
      initrd = "initramfs: update-initramfs";
      break;
    case Initramfs::dracut:
      initrd = "initramfs: dracut";
      break;
    case Initramfs::unknown:
      initrd = "initramfs tool unknown";
      break;
  }
  switch (h.loader) {
    case BootLoader::grub: {
      std::string how;
      if (h.family == OsFamily::debian) {
        how = "GRUB_CMDLINE_LINUX_DEFAULT + update-grub";
      } else if (h.family == OsFamily::rhel) {
        how = "GRUB_CMDLINE_LINUX + grub2-mkconfig -o " + h.grub_cfg;
        if (h.f.uefi && h.grub_cfg == "/boot/grub2/grub.cfg") {
          how += " (one grub.cfg for BIOS and UEFI, as on RHEL 9 and Fedora 34+)";
        }
      } else {
        how = "GRUB_CMDLINE_LINUX_DEFAULT + grub-mkconfig -o /boot/grub/grub.cfg";
      }
      return make("bootloader", CheckStatus::pass, title,
                  "GRUB (/etc/default/grub), " + os + ", " + fw + ": kernel parameters via " + how +
                      "; " + initrd);
    }
    case BootLoader::systemd_boot:
      return make(
          "bootloader", CheckStatus::pass, title,
          "systemd-boot (/etc/kernel/cmdline), " + os + ", " + fw + ": kernel parameters via " +
              (h.f.proxmox_boot ? "proxmox-boot-tool refresh" : "kernel-install") + "; " + initrd);
    case BootLoader::unknown:
      break;
  }
  std::string fix = "set kernel parameters wherever this host's kernel command line comes from";
  if (h.hypervisor)
    fix +=
        " (this is a virtual machine: if its hypervisor boots the kernel directly, in the VM's "
        "configuration)";
  return make("bootloader", CheckStatus::warn, title,
              "no /etc/default/grub and no /etc/kernel/cmdline, " + os + ", " + fw +
                  ": cannot tell how this host's kernel command line is set; " + initrd,
              fix);
}

Check check_iommu_cmdline(const HostView& h) {
  const char* title = "IOMMU kernel parameters";
  if (!h.params) {
    return make("iommu-cmdline", CheckStatus::skip, title, "cannot read /proc/cmdline",
                proc_missing_fix(kProcCmdline));
  }
  std::vector<std::string> seen;
  for (const char* name : {"intel_iommu", "amd_iommu", "iommu", "intremap"}) {
    if (has_param(h, name)) seen.push_back(param_word(h, name));
  }
  const std::string shown = seen.empty() ? std::string("no IOMMU parameters") : join(seen, " ");
  const std::string pt =
      param_has_option(h, "iommu", "pt")
          ? std::string()
          : " (iommu=pt is not set: optional, it spares the host's own devices DMA translation)";
  const auto off = disabling_params(h);
  if (!off.empty()) {
    return make("iommu-cmdline", CheckStatus::fail, title,
                "/proc/cmdline has " + shown + ": " + join(off, " and ") + " turns the IOMMU off",
                cmdline_fix(h, wanted_params(h), off));
  }
  if (h.vendor == CpuVendor::intel && !param_has_option(h, "intel_iommu", "on")) {
    if (h.iommu_on) {
      return make("iommu-cmdline", CheckStatus::pass, title,
                  "/proc/cmdline has " + shown +
                      ": no intel_iommu=on, but this kernel enables VT-d by default" + pt);
    }
    return make("iommu-cmdline", CheckStatus::fail, title,
                "/proc/cmdline has " + shown +
                    ": intel_iommu=on is missing, and Intel VT-d is off without it",
                cmdline_fix(h, wanted_params(h), {}));
  }
  if (h.vendor == CpuVendor::intel) {
    return make("iommu-cmdline", CheckStatus::pass, title, "/proc/cmdline has " + shown + pt);
  }
  if (h.vendor == CpuVendor::amd) {
    return make(
        "iommu-cmdline", CheckStatus::pass, title,
        "/proc/cmdline has " + shown + ": nothing turns AMD-Vi off (it is on by default)" + pt);
  }
  return make("iommu-cmdline", CheckStatus::pass, title,
              "/proc/cmdline has " + shown + ": nothing turns the IOMMU off" + pt);
}

Check check_iommu(const HostView& h) {
  const char* title = "IOMMU enabled";
  const auto& units = h.f.iommu_units;
  if (h.iommu_on) {
    return make("iommu", CheckStatus::pass, title,
                std::string(units.size() == 1 ? "IOMMU unit " : "IOMMU units ") +
                    join(units, ", ") + " under /sys/class/iommu");
  }
  std::string seen;
  if (!units.empty()) {
    seen =
        "IOMMU hardware (" + join(units, ", ") + ") but no groups under /sys/kernel/iommu_groups";
  } else if (h.f.iommu_groups == 0) {
    seen = "no IOMMU: /sys/class/iommu and /sys/kernel/iommu_groups are empty";
  } else {
    seen = "no IOMMU: /sys/class/iommu is empty";
  }
  const auto off = disabling_params(h);
  if (!off.empty()) {
    return make("iommu", CheckStatus::fail, title,
                seen + "; " + join(off, " and ") + " on the kernel command line turns it off",
                cmdline_fix(h, wanted_params(h), off));
  }
  if (h.hypervisor)
    return make("iommu", CheckStatus::fail, title, seen + "; " + kVmNoIommu, vm_iommu_fix());
  const std::string firmware =
      std::string("enable ") + firmware_iommu_name(h) + " in the firmware setup";
  if (!h.params) {
    return make(
        "iommu", CheckStatus::fail, title, seen + " (cannot read /proc/cmdline to tell why)",
        firmware + ", and check the kernel command line: " + cmdline_fix(h, wanted_params(h), {}));
  }
  if (h.vendor == CpuVendor::intel && !param_has_option(h, "intel_iommu", "on")) {
    return make("iommu", CheckStatus::fail, title,
                seen + "; intel_iommu=on is not on the kernel command line",
                firmware + ", then " + cmdline_fix(h, wanted_params(h), {}));
  }
  const std::string allowed =
      h.vendor == CpuVendor::intel
          ? std::string(" although the kernel command line has intel_iommu=on")
          : std::string(" although nothing on the kernel command line turns it off");
  return make("iommu", CheckStatus::fail, title,
              seen + allowed + ": the firmware has " + short_iommu_name(h) +
                  " disabled, or the platform lacks it",
              firmware + " and reboot");
}

Check check_iommu_groups(const HostView& h) {
  const char* title = "IOMMU groups present";
  const std::size_t n = h.f.iommu_groups;
  if (n > 0 && !h.f.iommu_units.empty()) {
    return make("iommu-groups", CheckStatus::pass, title,
                std::to_string(n) + " IOMMU group" + (n == 1 ? "" : "s") +
                    " under /sys/kernel/iommu_groups");
  }
  if (n > 0) {
    return make(
        "iommu-groups", CheckStatus::fail, title,
        std::to_string(n) +
            " entries under /sys/kernel/iommu_groups but no IOMMU under /sys/class/iommu",
        "follow the fix of the iommu check: groups only isolate once an IOMMU is registered");
  }
  return make("iommu-groups", CheckStatus::fail, title,
              "no IOMMU groups under /sys/kernel/iommu_groups",
              "none until the IOMMU is on: follow the fix of the iommu check; the kernel creates "
              "the groups at boot");
}

// Where vfio_iommu_type1.allow_unsafe_interrupts is turned on, or nullopt when it is not.
std::optional<std::string> unsafe_interrupts_source(const HostView& h) {
  if (h.f.unsafe_interrupts_param) {
    const std::string& v = *h.f.unsafe_interrupts_param;
    if (v == "Y" || v == "y" || v == "1")
      return "allow_unsafe_interrupts=" + v + " in /sys/module/vfio_iommu_type1/parameters";
    return std::nullopt;  // the live value wins over the command line and modprobe.d
  }
  const std::string v = param_value(h, "vfio_iommu_type1.allow_unsafe_interrupts");
  if (v == "1" || v == "Y" || v == "y")
    return "vfio_iommu_type1.allow_unsafe_interrupts=" + v + " on the kernel command line";
  if (!h.f.modprobe_unsafe.empty())
    return "allow_unsafe_interrupts=1 in " + join(h.f.modprobe_unsafe, ", ");
  return std::nullopt;
}

std::size_t remapped_lines(std::string_view interrupts) {
  std::size_t n = 0;
  for (auto line : lines_of(interrupts)) {
    if (interrupts_show_remapping(line)) ++n;
  }
  return n;
}

Check check_interrupt_remapping(const HostView& h) {
  const char* title = "Interrupt remapping";
  if (!h.iommu_on) {
    return make("interrupt-remapping", CheckStatus::skip, title, "needs the IOMMU, which is off",
                "comes with the IOMMU: follow the fix of the iommu check");
  }
  if (!h.f.interrupts) {
    return make("interrupt-remapping", CheckStatus::skip, title, "cannot read /proc/interrupts",
                proc_missing_fix(kProcInterrupts));
  }
  const std::size_t n = remapped_lines(*h.f.interrupts);
  if (n > 0) {
    return make("interrupt-remapping", CheckStatus::pass, title,
                std::to_string(n) + " interrupt" + (n == 1 ? "" : "s") +
                    " remapped (IR- entries in /proc/interrupts)");
  }
  if (param_has_option(h, "intremap", "off")) {
    return make("interrupt-remapping", CheckStatus::fail, title,
                "no IR- entries in /proc/interrupts: intremap=off on the kernel command line turns "
                "remapping off",
                cmdline_fix(h, {}, {param_word(h, "intremap")}));
  }
  std::string enable = std::string("enable interrupt remapping in the firmware setup (") +
                       (h.vendor == CpuVendor::amd ? "IOMMU / AMD-Vi" : "VT-d, with x2APIC") + ")";
  if (h.hypervisor) {
    enable =
        "give this VM's IOMMU interrupt remapping (QEMU: `intel-iommu,intremap=on` with "
        "`kernel-irqchip=split`)";
  }
  if (auto src = unsafe_interrupts_source(h)) {
    return make(
        "interrupt-remapping", CheckStatus::warn, title,
        "no IR- entries in /proc/interrupts; vfio accepts that only because of " + *src,
        enable +
            ", then drop allow_unsafe_interrupts (the unsafe-interrupts check explains the risk)");
  }
  return make("interrupt-remapping", CheckStatus::fail, title,
              "no IR- entries in /proc/interrupts: vfio_iommu_type1 refuses to assign devices "
              "without interrupt remapping",
              enable + "; if the platform has none: " +
                  cmdline_fix(h, {"vfio_iommu_type1.allow_unsafe_interrupts=1"}, {}) +
                  " (at the risk the unsafe-interrupts check explains)");
}

Check check_unsafe_interrupts(const HostView& h) {
  const char* title = "vfio unsafe interrupts not allowed";
  const auto src = unsafe_interrupts_source(h);
  if (!src) {
    if (!h.params && !h.f.unsafe_interrupts_param) {
      return make(
          "unsafe-interrupts", CheckStatus::skip, title,
          "cannot read /proc/cmdline, and vfio_iommu_type1 is not loaded to show its parameter",
          proc_missing_fix(kProcCmdline));
    }
    return make("unsafe-interrupts", CheckStatus::pass, title,
                h.f.unsafe_interrupts_param
                    ? "allow_unsafe_interrupts=" + *h.f.unsafe_interrupts_param +
                          " in /sys/module/vfio_iommu_type1/parameters"
                    : std::string("vfio_iommu_type1.allow_unsafe_interrupts is not set"));
  }
  const bool remapping = h.iommu_on && h.f.interrupts && remapped_lines(*h.f.interrupts) > 0;
  std::string fix =
      "risk: without interrupt remapping a guest can make its device write MSI messages that the "
      "host takes as "
      "interrupts of other devices (interrupt injection into the host and other guests); ";
  fix += remapping ? "this host has interrupt remapping, so the setting is not needed: "
                   : "it is needed only while this host has no interrupt remapping: assign devices "
                     "only to trusted "
                     "guests, or enable remapping and then ";
  std::vector<std::string> how;
  if (has_param(h, "vfio_iommu_type1.allow_unsafe_interrupts")) {
    how.push_back(cmdline_fix(h, {}, {param_word(h, "vfio_iommu_type1.allow_unsafe_interrupts")}));
  }
  for (const auto& file : h.f.modprobe_unsafe)
    how.push_back("delete allow_unsafe_interrupts=1 from " + file);
  if (how.empty()) {
    how.push_back(
        "find where it is set (`grep -r allow_unsafe_interrupts /etc/modprobe.d /proc/cmdline`) "
        "and remove it");
  } else if (!h.f.modprobe_unsafe.empty() && h.initramfs != Initramfs::unknown) {
    how.back() += " and run `" + std::string(initramfs_command(h)) + "`";
  }
  fix += join(how, "; ");
  return make("unsafe-interrupts", CheckStatus::warn, title, *src, fix);
}

Check check_acs_override(const HostView& h) {
  const char* title = "No ACS override";
  if (!h.params) {
    return make("acs-override", CheckStatus::skip, title, "cannot read /proc/cmdline",
                proc_missing_fix(kProcCmdline));
  }
  if (!has_param(h, "pcie_acs_override")) {
    return make("acs-override", CheckStatus::pass, title,
                "no pcie_acs_override on the kernel command line: the IOMMU groups reflect the "
                "hardware's isolation");
  }
  const std::string word = param_word(h, "pcie_acs_override");
  return make("acs-override", CheckStatus::warn, title,
              word +
                  " on the kernel command line (an out-of-tree kernel patch): the IOMMU groups "
                  "look smaller than "
                  "the real isolation",
              "groups are not real isolation here: devices split apart by the override can still "
              "reach each other "
              "by peer-to-peer DMA, so give such devices only to trusted guests; for real "
              "isolation, move the device "
              "to a slot behind an ACS-capable root port and " +
                  cmdline_fix(h, {}, {word}));
}

enum class ModState { builtin, loaded, missing };

ModState module_state(const HostView& h, const std::string& name) {
  if (h.builtin.count(name)) return ModState::builtin;
  if (h.loaded.count(name)) return ModState::loaded;
  return ModState::missing;
}

std::string describe_module(const std::string& name, ModState state) {
  switch (state) {
    case ModState::builtin:
      return name + " built in";
    case ModState::loaded:
      return name + " loaded";
    case ModState::missing:
      break;
  }
  return name + " missing";
}

// The modules vfio needs on this kernel, in load order.
std::vector<std::string> vfio_module_names(const HostView& h) {
  std::vector<std::string> names = {"vfio", "vfio_iommu_type1", "vfio_pci"};
  if (h.kver && kernel_has_vfio_virqfd(*h.kver)) names.insert(names.begin() + 1, "vfio_virqfd");
  return names;
}

// Load now, and at every boot (including from the initramfs).
std::string modules_fix(const HostView& h, const std::vector<std::string>& missing) {
  const std::vector<std::string> all = vfio_module_names(h);
  std::string out = "load now: `modprobe -a " + join(missing, " ") + "`; at every boot: list " +
                    join(all, ", ") + " one per line in /etc/modules-load.d/vfio.conf";
  switch (h.initramfs) {
    case Initramfs::update_initramfs:
      out += ", then run `update-initramfs -u -k all`";
      break;
    case Initramfs::dracut:
      out += ", put `add_drivers+=\" " + join(all, " ") +
             " \"` in /etc/dracut.conf.d/vfio.conf, then run `dracut -f`";
      break;
    case Initramfs::unknown:
      out += ", then rebuild the initramfs";
      break;
  }
  return out;
}

Check check_vfio_modules(const HostView& h) {
  const char* title = "vfio modules loaded or built in";
  std::vector<std::string> states, missing;
  for (const std::string name : {"vfio", "vfio_iommu_type1", "vfio_pci"}) {
    const ModState s = module_state(h, name);
    states.push_back(describe_module(name, s));
    if (s == ModState::missing) missing.push_back(name);
  }
  std::string evidence = join(states, ", ");
  if (missing.empty()) return make("vfio-modules", CheckStatus::pass, title, evidence);

  if (h.release.empty()) {
    evidence += " (no /proc/sys/kernel/osrelease: modules.builtin not consulted)";
  } else if (!h.f.modules_builtin) {
    evidence += " (no /lib/modules/" + h.release + "/modules.builtin to tell built-in modules)";
  }
  if (!h.release.empty() && !h.f.modules_dir) {
    return make(
        "vfio-modules", CheckStatus::fail, title, evidence,
        "this kernel (" + h.release + ") has no module tree at /lib/modules/" + h.release +
            ": install the modules of this kernel, or boot a kernel built with CONFIG_VFIO, "
            "CONFIG_VFIO_IOMMU_TYPE1 and CONFIG_VFIO_PCI");
  }
  if (h.f.modules_order) {
    std::vector<std::string> absent;
    for (const auto& m : missing) {
      if (!h.order.count(m)) absent.push_back(m);
    }
    if (!absent.empty()) {
      return make(
          "vfio-modules", CheckStatus::fail, title,
          evidence + "; this kernel was built without " + join(absent, ", "),
          "boot a kernel built with CONFIG_VFIO, CONFIG_VFIO_IOMMU_TYPE1 and CONFIG_VFIO_PCI");
    }
  }
  return make("vfio-modules", CheckStatus::fail, title, evidence, modules_fix(h, missing));
}

Check check_vfio_virqfd(const HostView& h) {
  const char* title = "vfio_virqfd module (kernels before 6.2)";
  if (!h.kver) {
    return make("vfio-virqfd", CheckStatus::skip, title,
                h.release.empty()
                    ? std::string("kernel release unknown (cannot read /proc/sys/kernel/osrelease)")
                    : "kernel release '" + h.release + "' not understood");
  }
  const std::string kernel = "kernel " + h.release;
  if (!kernel_has_vfio_virqfd(*h.kver)) {
    return make("vfio-virqfd", CheckStatus::skip, title,
                kernel + ": vfio_virqfd is part of vfio since 6.2");
  }
  const ModState s = module_state(h, "vfio_virqfd");
  if (s != ModState::missing) {
    return make("vfio-virqfd", CheckStatus::pass, title,
                kernel + ": " + describe_module("vfio_virqfd", s));
  }
  // vfio_pci cannot load without its vfio_virqfd dependency: present without it means this kernel
  // has virqfd inside vfio (a backport); so does a modules.order that lacks it.
  if (module_state(h, "vfio_pci") != ModState::missing) {
    return make("vfio-virqfd", CheckStatus::skip, title,
                kernel +
                    ": vfio_pci is present without a separate vfio_virqfd, so this kernel has it "
                    "inside vfio");
  }
  if (h.f.modules_order && !h.order.count("vfio_virqfd")) {
    return make("vfio-virqfd", CheckStatus::skip, title,
                kernel + ": modules.order has no vfio_virqfd, so this kernel has it inside vfio");
  }
  const std::string evidence = kernel + ": vfio_virqfd missing (vfio_pci needs it before 6.2)";
  if (!h.f.modules_dir) {
    return make("vfio-virqfd", CheckStatus::fail, title, evidence,
                "install the modules of this kernel (see the vfio-modules check)");
  }
  // Loading vfio_pci pulls vfio_virqfd in: one fix, given by vfio-modules, covers both.
  return make("vfio-virqfd", CheckStatus::fail, title, evidence,
              "loaded with vfio_pci as its dependency: follow the fix of the vfio-modules check, "
              "whose list "
              "includes vfio_virqfd");
}

Check check_vfio_device(const HostView& h) {
  const char* title = "/dev/vfio/vfio present";
  if (h.f.dev_vfio) return make("vfio-device", CheckStatus::pass, title, "/dev/vfio/vfio exists");
  if (module_state(h, "vfio") != ModState::missing) {
    return make("vfio-device", CheckStatus::fail, title,
                "/dev/vfio/vfio is missing although vfio is loaded or built in",
                "mount devtmpfs on /dev (`mount -t devtmpfs devtmpfs /dev`), or create the node: "
                "`mkdir -p /dev/vfio && mknod /dev/vfio/vfio c 10 196`");
  }
  return make("vfio-device", CheckStatus::fail, title,
              "/dev/vfio/vfio is missing: the vfio module is not loaded",
              "load vfio (see the vfio-modules check): it creates /dev/vfio/vfio");
}

// iommufd replaces the group container with /dev/iommu and one cdev per device
// (/dev/vfio/devices/vfioN); libvirt uses it with <driver iommufd='yes'/>. Optional: the
// container (/dev/vfio/vfio) works without it.
Check check_iommufd(const HostView& h) {
  const char* title = "iommufd (optional)";
  if (h.f.dev_iommu) {
    return make("iommufd", CheckStatus::pass, title,
                "/dev/iommu exists: iommufd and the VFIO device cdevs (/dev/vfio/devices/vfioN) "
                "are available");
  }
  return make(
      "iommufd", CheckStatus::skip, title,
      "no /dev/iommu: this kernel has no iommufd (CONFIG_IOMMUFD: Linux 6.2 and later, VFIO "
      "device cdevs from 6.6; Debian 12's 6.1 has none) or it is not loaded; optional, "
      "VFIO uses /dev/vfio/vfio",
      "`modprobe iommufd` where the kernel has it");
}

Check check_kvm(const HostView& h) {
  const char* title = "/dev/kvm present";
  if (h.f.dev_kvm) return make("kvm", CheckStatus::pass, title, "/dev/kvm exists");
  const bool amd = h.cpu == CpuVendor::amd;
  const std::string flag = amd ? "svm" : "vmx";
  const bool has_flag = amd ? h.svm : h.vmx;
  std::string evidence = "/dev/kvm is missing";
  if (h.f.cpuinfo)
    evidence += "; the CPU flags " + std::string(has_flag ? "include " : "lack ") + flag;
  std::string fix;
  if (h.f.cpuinfo && !has_flag) {
    fix = h.hypervisor ? "enable nested virtualization for this VM on its host (kvm_intel nested=1 "
                         "or kvm_amd nested=1, "
                         "and <cpu mode='host-passthrough'/>), then "
                       : std::string("enable ") + (amd ? "AMD-V (SVM)" : "VT-x") +
                             " in the firmware setup, then ";
  }
  fix += std::string("load KVM: `modprobe ") + (amd ? "kvm_amd" : "kvm_intel") + "`";
  return make("kvm", CheckStatus::fail, title, evidence, fix);
}

Check check_hugepages(const HostView& h) {
  const char* title = "Hugepages (optional)";
  if (!h.f.meminfo) {
    return make("hugepages", CheckStatus::skip, title, "cannot read /proc/meminfo",
                proc_missing_fix(kProcMeminfo));
  }
  const long long total = meminfo_value(*h.f.meminfo, "HugePages_Total");
  if (total < 0) {
    return make("hugepages", CheckStatus::skip, title,
                "no HugePages_Total in /proc/meminfo: this kernel has no hugetlbfs (optional for "
                "passthrough)");
  }
  const long long free = meminfo_value(*h.f.meminfo, "HugePages_Free");
  const long long size = meminfo_value(*h.f.meminfo, "Hugepagesize");
  const std::string size_text =
      size > 0 ? std::to_string(size) + " kB" : std::string("default-size");
  if (total == 0) {
    return make("hugepages", CheckStatus::pass, title,
                "none reserved (HugePages_Total 0, " + size_text +
                    " pages): optional, guests use normal memory");
  }
  return make("hugepages", CheckStatus::pass, title,
              std::to_string(total) + " hugepages of " + size_text +
                  " reserved (HugePages_Total), " + std::to_string(free < 0 ? 0 : free) + " free");
}

}  // namespace

std::vector<Check> evaluate_readiness(const HostFacts& facts) {
  const HostView h = make_view(facts);
  return {check_cpu(h),
          check_bootloader(h),
          check_iommu_cmdline(h),
          check_iommu(h),
          check_iommu_groups(h),
          check_interrupt_remapping(h),
          check_unsafe_interrupts(h),
          check_acs_override(h),
          check_vfio_modules(h),
          check_vfio_virqfd(h),
          check_vfio_device(h),
          check_iommufd(h),
          check_kvm(h),
          check_hugepages(h)};
}

std::vector<Check> check_readiness(const Root& root) {
  std::vector<Check> checks = evaluate_readiness(gather_host_facts(root));
  for (auto& c : audit_boot_config(root)) checks.push_back(std::move(c));
  return checks;
}

}  // namespace ptagent