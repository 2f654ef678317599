// ptagent doctor DOMAIN|DEVICE: after a failed start, what the QEMU log and the kernel log say
// (check/postmortem), with a cause and a fix for each known line, and the devices' findings now.
#include <algorithm>
#include <chrono>
#include <filesystem>

#include "agent/commands.hpp"
#include "agent/render.hpp"
#include "check/postmortem.hpp"
#include "domain/domain_name.hpp"
#include "domain/effects.hpp"
#include "error.hpp"
#include "host/critical.hpp"
#include "host/vfio_host.hpp"
#include "ops/reset_probe.hpp"
#include "pci/inventory.hpp"
#include "sysfs/host_paths.hpp"
#include "util/join.hpp"
#include "xml/domain.hpp"

namespace ptagent::cli {

namespace {

constexpr int kNothingMatched = 3;

const char* const kDetails =
    "DOMAIN: reads libvirt's QEMU log of the domain (/var/log/libvirt/qemu/DOMAIN.log) after its\n"
    "last 'starting up' line and the kernel log (/dev/kmsg, non-blocking) since that start, and\n"
    "matches the lines ptagent knows: a group that is not viable, a BAR that cannot be reserved, "
    "a\n"
    "device not ready after its reset, a device that cannot be powered up (D3cold), vfio-pci's\n"
    "denylist, INTx failures and QEMU's pci_irq_handler assertion, DMAR and AMD-Vi faults.\n"
    "DEVICE: the kernel log's lines naming the device or its IOMMU group companions.\n"
    "Each finding gets a cause and a fix; then the devices' findings as 'show' gives them now.\n"
    "At most the last 4 MiB of a log is read; binary lines are skipped, long lines cut.\n"
    "libvirt's 'release end' reason reaches the hook only from libvirt 10.5; it is not used.\n"
    "Exit status: 0 a cause was found, 3 nothing matched (the last lines read are shown), 2 "
    "usage,\n"
    "1 when the domain's QEMU log cannot be read.\n";

std::string absolute(const std::string& path) {
  std::error_code ec;
  auto p = std::filesystem::absolute(path, ec);
  if (ec) return path;
  auto canon = std::filesystem::weakly_canonical(p, ec);
  return ec ? p.string() : canon.string();
}

void add_unique(std::vector<PciAddress>& v, const PciAddress& a) {
  if (std::find(v.begin(), v.end(), a) == v.end()) v.push_back(a);
}

nlohmann::json finding_json(const LogFinding& f) {
  nlohmann::json j = {
      {"code", f.code}, {"cause", f.cause}, {"fix", f.fix}, {"line", f.line}, {"source", f.source}};
  j["device"] = f.device ? nlohmann::json(f.device->to_string()) : nlohmann::json(nullptr);
  j["group"] = f.group ? nlohmann::json(*f.group) : nlohmann::json(nullptr);
  return j;
}

}  // namespace

int cmd_doctor(Context& ctx, const Args& args) {
  po::options_description desc("Options");
  std::string target, log_file, kmsg_file;
  desc.add_options()("target", po::value(&target), "a libvirt domain name, or a PCI device")(
      "log", po::value(&log_file)->value_name("FILE"),
      "read this QEMU log instead of /var/log/libvirt/qemu/DOMAIN.log")(
      "kmsg", po::value(&kmsg_file)->value_name("FILE"),
      "read this kernel log instead of /dev/kmsg (kmsg records or dmesg's text)");
  po::positional_options_description pos;
  pos.add("target", 1);
  po::variables_map vm;
  if (!parse_options(ctx, command("doctor"), desc, pos, args, vm, kDetails)) return 0;
  if (target.empty())
    throw_usage("ptagent doctor", "needs a DOMAIN or a DEVICE",
                "e.g. ptagent doctor win10, or ptagent doctor 0000:04:00.0");

  std::optional<DeviceSpec> spec;
  try {
    spec = parse_device_spec(target);
  } catch (const Error&) {
    spec.reset();
  }
  if (!spec && target.find('/') != std::string::npos)
    throw_usage("ptagent doctor", "'" + domain::printable_name(target) +
                                      "' is neither a PCI device nor a domain name");

  const Root& root = ctx.root();
  const Root host_fs("/");  // --log and --kmsg name files of this machine
  Inventory inv = Inventory::scan(root, Naming::ids_only);
  HostCritical critical = HostCritical::scan(root, inv);
  const VfioHost host = read_vfio_host(root);

  DoctorInput in;
  in.kernel_release = host.kernel_release;
  in.boot_time = boot_time(root);
  std::vector<PciAddress> devices;  // the domain's or the argument's devices
  std::string devices_from;
  if (spec) {
    for (const auto& a : inv.expand(*spec)) add_unique(devices, a);
    devices_from = "the argument";
    if (!log_file.empty()) in.qemu = read_log(host_fs, absolute(log_file));
  } else {
    const std::string path = log_file.empty() ? libvirt_qemu_log(target) : absolute(log_file);
    in.qemu = log_file.empty() ? read_log(root, path) : read_log(host_fs, path);
    if (!in.qemu->text) {
      const std::string shown = log_file.empty() ? root.host_path(path) : path;
      throw_not_found(shown,
                      "the QEMU log of domain '" + domain::printable_name(target) +
                          "' cannot be read: " + in.qemu->error,
                      "is the domain name right ('virsh list --all')? Or give the log with --log "
                      "FILE");
    }
    // The domain's devices: libvirt's definition where it answers, else the QEMU command line.
    if (ctx.global.root == "/" || ctx.global.connect_given) {
      try {
        LibvirtClient& lv = ctx.effects().libvirt;
        lv.connect(ctx.global.connect, std::chrono::seconds(5));
        const DomainInfo info = parse_domain_xml(lv.domain_xml(target, true));
        for (const auto& h : info.pci) add_unique(devices, h.address);
        devices_from = "libvirt's definition";
      } catch (const Error& e) {
        ctx.warn("libvirt: " + e.cause() + "; the devices are taken from the QEMU log");
      }
    }
    if (devices_from.empty()) {
      for (const auto& a : qemu_log_devices(since_last_start(*in.qemu->text).text))
        add_unique(devices, a);
      devices_from = "the QEMU command line";
    }
  }
  // Kernel lines about a device's group companions count too.
  in.devices = devices;
  for (const auto& a : devices) {
    const Device* d = inv.find(a);
    if (d && d->iommu_group)
      for (const auto& m : inv.group_members(*d->iommu_group)) add_unique(in.devices, m);
  }
  in.kmsg = kmsg_file.empty() ? read_log(root, kDevKmsg) : read_log(host_fs, absolute(kmsg_file));
  if (!in.kmsg.text && kmsg_file.empty()) in.kmsg.path = root.host_path(kDevKmsg);

  const DoctorReport rep = diagnose(in);
  for (const auto& a : rep.named) add_unique(devices, a);

  struct Now {
    PciAddress address;
    std::vector<HealthFinding> findings;
  };
  std::vector<Now> now;
  for (const auto& a : devices) {
    if (!inv.find(a)) continue;
    now.push_back({a, analyze_reset(inv, critical, a, host).health});
  }
  const int code = rep.findings.empty() ? kNothingMatched : 0;

  if (ctx.global.json) {
    nlohmann::json j;
    j["target"] = target;
    j["kind"] = spec ? "device" : "domain";
    j["started"] = rep.started ? nlohmann::json(*rep.started) : nlohmann::json(nullptr);
    j["kernel_since_start"] = rep.kernel_since_start;
    j["findings"] = nlohmann::json::array();
    for (const auto& f : rep.findings) j["findings"].push_back(finding_json(f));
    j["devices"] = nlohmann::json::array();
    for (const auto& n : now) {
      nlohmann::json d = {{"address", n.address.to_string()},
                          {"findings", nlohmann::json::array()}};
      for (const auto& f : n.findings)
        d["findings"].push_back({{"code", f.code},
                                 {"severity", severity_name(f.severity)},
                                 {"blocks", f.blocks()},
                                 {"evidence", f.evidence},
                                 {"fix", f.fix}});
      j["devices"].push_back(std::move(d));
    }
    j["last_lines"] = rep.last_lines;
    j["notes"] = rep.notes;
    j["release_reason"] = nullptr;  // libvirt < 10.5 does not pass it
    ctx.out << j.dump(2) << "\n";
    return code;
  }

  auto& o = ctx.out;
  if (spec) {
    o << "Device " << join(devices, " ") << ": the kernel log";
    if (in.qemu) o << " and " << in.qemu->path;
    o << "\n";
  } else {
    o << "Domain '" << domain::printable_name(target) << "': " << in.qemu->path;
    o << (rep.started ? " since its last start at " + *rep.started : std::string()) << "\n";
    o << "Devices (" << devices_from << "): " << (devices.empty() ? "none" : join(devices, " "))
      << "\n";
  }
  o << "Kernel log: " << in.kmsg.path;
  if (rep.kernel_since_start)
    o << " since that start";
  else if (!spec && in.kmsg.text)
    o << " (all of it: the start or the boot time is not known)";
  o << "\n";
  for (const auto& n : rep.notes) o << "Note: " << n << "\n";
  o << "\n";
  if (rep.findings.empty()) {
    o << "Nothing in the logs matched a known failure.\n";
    if (!rep.last_lines.empty()) {
      o << "The last lines read:\n";
      for (const auto& l : rep.last_lines) o << "  " << l << "\n";
    }
  }
  for (const auto& f : rep.findings) {
    o << "[" << f.code << "] " << f.cause << "\n";
    o << "  " << f.source << ": " << f.line << "\n";
    o << "  fix: " << f.fix << "\n";
  }
  bool header = false;
  for (const auto& n : now) {
    if (n.findings.empty()) continue;
    if (!header) o << "\nThe devices now:\n";
    header = true;
    for (const auto& f : n.findings) {
      o << "  " << n.address.to_string() << " " << severity_name(f.severity) << " [" << f.code
        << "]: " << f.evidence << "\n";
      if (!f.fix.empty()) o << "    fix: " << f.fix << "\n";
    }
  }
  if (!spec)
    o << "\nlibvirt's 'release end' reason: not available (libvirt passes it to the hook only "
         "from 10.5)\n";
  return code;
}

}  // namespace ptagent::cli
