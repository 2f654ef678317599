// ptagent list: one row per PCI function, like lspci -nnk plus passthrough columns.
#include <algorithm>

#include "agent/commands.hpp"
#include "agent/render.hpp"
#include "error.hpp"
#include "host/critical.hpp"
#include "host/device_findings.hpp"
#include "host/vfio_host.hpp"
#include "pci/inventory.hpp"
#include "sysfs/parse.hpp"

namespace ptagent::cli {

namespace {

const std::vector<std::string> kClassKeywords = {
    "gpu",        "display", "audio",       "multimedia", "net",           "storage", "usb",
    "serial-bus", "bridge",  "system",      "memory",     "communication", "input",   "wireless",
    "crypto",     "signal",  "accelerator", "legacy",     "other"};

bool class_matches(const std::string& want, std::uint32_t class_code) {
  const unsigned base = (class_code >> 16) & 0xff;
  if (want == "display") return base == 0x03;
  if (want == "multimedia") return base == 0x04;
  if (class_keyword(class_code) == want) return true;
  // Hex class prefix: "03", "0300", "0x0300".
  std::string_view h = want;
  if (h.substr(0, 2) == "0x") h.remove_prefix(2);
  if (h.size() == 2 || h.size() == 4 || h.size() == 6) {
    if (auto v = parse_hex_attr(h)) {
      const unsigned shift = static_cast<unsigned>(24 - 4 * h.size());
      return (class_code >> shift) == *v;
    }
  }
  return false;
}

void validate_class(const std::string& want) {
  if (std::find(kClassKeywords.begin(), kClassKeywords.end(), want) != kClassKeywords.end()) return;
  std::string_view h = want;
  if (h.substr(0, 2) == "0x") h.remove_prefix(2);
  if ((h.size() == 2 || h.size() == 4 || h.size() == 6) && parse_hex_attr(h)) return;
  std::string all;
  for (const auto& k : kClassKeywords) all += (all.empty() ? "" : ", ") + k;
  throw_usage("--class " + want, "unknown device class",
              "use one of: " + all + ", or a hex class such as 0300");
}

std::uint16_t parse_vendor(const std::string& text) {
  auto v = parse_hex_attr(text);
  if (!v || *v > 0xffff)
    throw_usage("--vendor " + text, "is not a 16-bit hex vendor ID", "e.g. --vendor 10de");
  return static_cast<std::uint16_t>(*v);
}

}  // namespace

int cmd_list(Context& ctx, const Args& args) {
  po::options_description desc("Options");
  std::string klass, vendor, driver;
  bool health = false;
  desc.add_options()(
      "class", po::value(&klass),
      "only this class: gpu, display, audio, net, storage, usb, bridge, ... or a hex class (0300)")(
      "vendor", po::value(&vendor), "only this vendor ID (hex, e.g. 10de)")(
      "driver", po::value(&driver), "only devices bound to this driver ('none' for unbound)")(
      "health", po::bool_switch(&health),
      "add a HEALTH column: what keeps each device from working once assigned (D3cold, a dead "
      "config space, the reset bug, a framebuffer in a BAR...; see ptagent show DEVICE)");
  po::variables_map vm;
  if (!parse_options(ctx, command("list"), desc, {}, args, vm)) return 0;
  if (!klass.empty()) validate_class(klass);
  std::optional<std::uint16_t> vendor_id;
  if (!vendor.empty()) vendor_id = parse_vendor(vendor);

  const Root& root = ctx.root();
  // The table shows less than --json: it reads only that (see DeviceDetail).
  // Health needs the full read too (power state, config space, resources).
  const bool full = ctx.global.json || health;
  Inventory inv =
      Inventory::scan(root, Naming::with_names, full ? DeviceDetail::full : DeviceDetail::listing);
  HostCritical critical = HostCritical::scan(root, inv);
  const VfioAliases aliases = VfioAliases::load(root);
  std::optional<VfioHost> host;
  if (full) host = read_vfio_host(root);
  auto findings_of = [&](const Device& d) {
    return device_findings(d, d.upstream ? inv.find(*d.upstream) : nullptr, *host);
  };

  std::vector<const Device*> rows;
  for (const auto& d : inv.devices()) {
    if (!klass.empty() && !class_matches(klass, d.class_code)) continue;
    if (vendor_id && d.vendor_id != *vendor_id) continue;
    if (!driver.empty() && d.driver.value_or("none") != driver) continue;
    rows.push_back(&d);
  }

  if (ctx.global.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const Device* d : rows) {
      nlohmann::json j = device_json(*d, critical.reason(d->address), &aliases);
      j["health"] = health_json(findings_of(*d));
      out.push_back(std::move(j));
    }
    ctx.out << out.dump(2) << "\n";
  } else {
    std::vector<std::string> head = {"ADDRESS", "CLASS", "ID",    "DRIVER",   "GROUP",
                                     "SR-IOV",  "MDEV",  "RESET", "CRITICAL", "NAME"};
    if (health) head.insert(head.end() - 1, "HEALTH");
    Table t(head);
    for (const Device* d : rows) {
      std::vector<std::string> row = {
          d->address.to_string(),
          class_label(*d),
          d->ids(),
          d->driver.value_or("-"),
          d->iommu_group ? std::to_string(*d->iommu_group) : "-",
          sriov_role(*d),
          d->mdev ? std::to_string(d->mdev->types.size()) + " types" : "-",
          reset_summary(*d),
          critical.reason(d->address) ? "yes" : "-",
          display_name(*d)};
      if (health) row.insert(row.end() - 1, health_cell(findings_of(*d)));
      t.add(row);
    }
    t.print(ctx.out);
    bool first = true;
    for (const Device* d : rows) {
      if (auto why = critical.reason(d->address)) {
        if (first) ctx.out << "\nHost-critical (refused for passthrough unless forced):\n";
        first = false;
        ctx.out << "  " << d->address.to_string() << " " << *why << "\n";
      }
    }
    // Devices a VFIO variant driver matches: bind takes the best unless --driver names another.
    first = true;
    for (const Device* d : rows) {
      const VfioChoice vc = vfio_choice(*d, aliases);
      if (!vc.best() || !vc.best()->variant()) continue;
      if (first)
        ctx.out << "\nVFIO variant drivers (ptagent bind takes the best; --driver NAME another):\n";
      first = false;
      ctx.out << "  " << d->address.to_string() << " " << vc.names() << "\n";
    }
    if (rows.empty()) ctx.out << "(no PCI function matches)\n";
  }
  for (const Device* d : rows) {
    for (const auto& p : d->problems) ctx.warn(d->address.to_string() + ": " + p);
  }
  return 0;
}

}  // namespace ptagent::cli
