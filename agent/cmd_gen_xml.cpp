// ptagent gen-xml: libvirt <hostdev> XML (or QEMU -device arguments) for PCI functions and
// mediated devices, validated against the installed libvirt's own RelaxNG schema.
#include <algorithm>
#include <fstream>
#include <istream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "agent/commands.hpp"
#include "error.hpp"
#include "host/critical.hpp"
#include "pci/inventory.hpp"
#include "pci/iommu_group.hpp"
#include "printable.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/root.hpp"
#include "util/join.hpp"
#include "xml/hostdev.hpp"
#include "xml/hostdev_plan.hpp"
#include "xml/metadata.hpp"
#include "xml/nodedev.hpp"
#include "xml/schema.hpp"

namespace ptagent::cli {

namespace {

constexpr std::size_t kMaxNodedevInput = 1u << 20;

const char* kDetails =
    "Devices, in the order given (hex unless noted):\n"
    "  0000:ff:17.6, ff:17.6, pci_0000_ff_17_6, /sys/bus/pci/devices/0000:ff:17.6\n"
    "  01:00 or 0000:01:00     every function of the slot on this host (offline: --functions 0,1)\n"
    "  --bus 255 --slot 23 --function 6 [--domain 0]   decimal, as virsh nodedev-dumpxml prints "
    "them\n"
    "  --from-nodedev FILE|-   a 'virsh nodedev-dumpxml pci_…' document ('-' reads stdin)\n"
    "  --mdev --parent DEV --type TYPE (--uuid U | --domain-uuid D --index N)   a mediated device\n"
    "\n"
    "With several devices, --managed, --driver and --rom-bar apply to each; --rom-file and\n"
    "--boot-order to the first; --alias names the first and the others get -1, -2, ... appended.\n"
    "--guest-address puts the functions of one host slot into one guest slot with the same "
    "function\n"
    "numbers and multifunction='on' on function 0 (a single device gets function 0).\n"
    "mdev --display on needs a <graphics> device in the domain; --ramfb on needs --display on.\n"
    "--metadata adds the <ptagent:passthrough> element for the domain's <metadata>: the hook\n"
    "creates the listed mdevs and binds the listed unmanaged (--managed no) functions. Paste it "
    "into\n"
    "<metadata> with 'virsh edit'; 'virsh metadata DOM urn:x-ptagent:passthrough:1 --key ptagent\n"
    "--config --set XML' wants it without the ptagent: prefixes and xmlns (libvirt adds them).\n"
    "Every snippet is validated against libvirt's RelaxNG schemas before it is printed.\n"
    "Warnings (stderr) name devices of this host that are host-critical or whose IOMMU group is\n"
    "not viable with the devices of this call.\n";

enum class Format { xml, qemu, json };

// A decimal field as virsh nodedev-dumpxml prints it; hex is refused so the two never mix.
long long parse_decimal(const std::string& text, const std::string& option) {
  const std::string object = option + " '" + printable(text, 64) + "'";
  if (text.empty()) throw_usage(option, "is empty", "give a decimal number, e.g. " + option + " 0");
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    throw_usage(object, "is hex; this option takes decimal as virsh nodedev-dumpxml prints it",
                "write it in decimal, or give the address as DDDD:BB:SS.F in hex");
  }
  if (text.size() > 12 || text.find_first_not_of("0123456789") != std::string::npos) {
    throw_usage(object, "is not a decimal number", "e.g. --bus 255 --slot 23 --function 6");
  }
  return std::stoll(text);
}

std::vector<std::uint8_t> parse_functions(const std::string& text) {
  const std::string object = "--functions '" + printable(text, 64) + "'";
  std::set<std::uint8_t> out;
  std::size_t start = 0;
  for (;;) {
    auto comma = text.find(',', start);
    std::string item =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.size() != 1 || item[0] < '0' || item[0] > '7') {
      throw_usage(object, "'" + printable(item, 64) + "' is not a function number 0-7",
                  "e.g. --functions 0,1");
    }
    if (!out.insert(static_cast<std::uint8_t>(item[0] - '0')).second) {
      throw_usage(object, "lists function " + item + " twice");
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return {out.begin(), out.end()};
}

std::string read_nodedev(Context& ctx, const std::string& source) {
  std::istream* in = &ctx.in;
  std::ifstream file;
  if (source != "-") {
    file.open(source, std::ios::binary);
    if (!file) throw_not_found("--from-nodedev " + source, "cannot be opened for reading");
    in = &file;
  }
  std::string text;
  char buf[8192];
  while (text.size() <= kMaxNodedevInput && in->read(buf, sizeof buf).gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in->gcount()));
  }
  const std::string name =
      source == "-" ? std::string("--from-nodedev - (stdin)") : "--from-nodedev " + source;
  if (text.size() > kMaxNodedevInput)
    throw_usage(name, "is larger than 1 MiB", "a nodedev document is a few hundred bytes");
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw_usage(name, "is empty", "pipe 'virsh nodedev-dumpxml pci_…' into it");
  }
  return text;
}

nlohmann::json opt_json(const std::optional<OnOff>& v) {
  return v ? nlohmann::json(on_off_text(*v)) : nlohmann::json(nullptr);
}

nlohmann::json spec_json(const HostdevSpec& s, const std::string& mdev_parent,
                         const std::string& mdev_type) {
  nlohmann::json j;
  if (const auto* p = s.pci()) {
    j["type"] = "pci";
    j["address"] = p->address.to_string();
    j["nodedev"] = p->address.nodedev_name();
    j["domain"] = p->address.domain;
    j["bus"] = p->address.bus;
    j["slot"] = p->address.slot;
    j["function"] = p->address.function;
    j["managed"] = yes_no_text(p->managed);
    j["driver"] =
        p->driver_vfio || p->driver_model ? nlohmann::json("vfio") : nlohmann::json(nullptr);
    j["driver_model"] =
        p->driver_model ? nlohmann::json(*p->driver_model) : nlohmann::json(nullptr);
  } else {
    const auto& m = *s.mdev();
    j["type"] = "mdev";
    j["uuid"] = m.uuid.to_string();
    j["model"] = "vfio-pci";
    j["parent"] = mdev_parent;
    j["mdev_type"] = mdev_type;
    j["sysfs"] = mdev_device_dir(m.uuid.to_string());
    j["display"] = opt_json(m.display);
    j["ramfb"] = opt_json(m.ramfb);
  }
  j["boot_order"] = s.boot_order ? nlohmann::json(*s.boot_order) : nlohmann::json(nullptr);
  j["alias"] = s.alias ? nlohmann::json(*s.alias) : nlohmann::json(nullptr);
  j["rom_bar"] = opt_json(s.rom_bar);
  j["rom_file"] = s.rom_file ? nlohmann::json(*s.rom_file) : nlohmann::json(nullptr);
  if (s.guest_address) {
    const auto& g = *s.guest_address;
    j["guest_address"] = {{"address", guest_address_text(g)},
                          {"bus", g.bus},
                          {"slot", g.slot},
                          {"function", g.function},
                          {"multifunction", g.multifunction}};
  } else {
    j["guest_address"] = nullptr;
  }
  j["xml"] = hostdev_xml(s);
  j["qemu"] = hostdev_qemu_arg(s);
  return j;
}

// Validation with one warning per call when the schemas are missing.
class Validator {
 public:
  Validator(Context& ctx, bool enabled) : ctx_(ctx), enabled_(enabled) {}

  void check(SchemaKind kind, const std::string& xml, const std::string& what) {
    if (!enabled_) return;
    ValidationResult r = validate_xml(kind, xml);
    if (r.status == ValidationStatus::valid) return;
    if (r.status == ValidationStatus::unavailable) {
      if (warned_.insert(kind).second) {
        ctx_.warn("printed without validation: " + r.summary());
      }
      return;
    }
    throw_failed(
        what,
        "does not validate against " +
            std::string(kind == SchemaKind::hostdev ? "libvirt's schema" : "ptagent-metadata.rng") +
            ": " + r.summary(),
        "check the option values; --no-validate prints it anyway");
  }

  // A hostdev with <driver model=…> that the installed schema refuses while the same element
  // without it validates: this libvirt predates the attribute (10.0), say so.
  void check_hostdev(const HostdevSpec& spec, const std::string& what) {
    const HostdevPciSource* p = spec.pci();
    if (enabled_ && p && p->driver_model) {
      const ValidationResult r = validate_xml(SchemaKind::hostdev, hostdev_xml(spec));
      if (r.status == ValidationStatus::invalid) {
        HostdevSpec plain = spec;
        std::get<HostdevPciSource>(plain.source).driver_model.reset();
        if (validate_xml(SchemaKind::hostdev, hostdev_xml(plain)).status ==
            ValidationStatus::valid) {
          refuse_old_libvirt(*p->driver_model);
        }
      }
    }
    check(SchemaKind::hostdev, hostdev_xml(spec), what);
  }

 private:
  [[noreturn]] static void refuse_old_libvirt(const std::string& model) {
    throw Error(ErrorKind::refused, Reason::unsupported, "--driver-model " + model,
                "the installed libvirt's schema (" + libvirt_schema_dir().value_or("?") +
                    ") has no <driver model=…> for a hostdev: libvirt >= 10.0 is needed to choose "
                    "the VFIO variant driver (Debian 12 ships 9.0)",
                "upgrade libvirt to 10.0 or later; with this libvirt bind the driver yourself "
                "('ptagent bind --driver " +
                    model + " DEVICE') and give the device with --managed no");
  }

  Context& ctx_;
  bool enabled_;
  std::set<SchemaKind> warned_;
};

// Host checks for devices that exist here (refuses host infrastructure, warns about the rest); a
// host without PCI sysfs gives no warnings.
void warn_about_host(Context& ctx, const Inventory* inv, const std::vector<PciAddress>& devices,
                     const std::optional<MetadataMdev>& mdev) {
  if (!inv) return;
  std::vector<PciAddress> present;
  for (const auto& a : devices) {
    if (inv->find(a)) present.push_back(a);
  }
  // Bridges, root ports, host and ISA bridges stay with the host: no <hostdev> for them.
  for (const auto& a : present) {
    const Device& d = inv->get(a);
    if (is_infrastructure(d)) {
      throw_refused(a.to_string(), infrastructure_cause(d),
                    "name the endpoints of its IOMMU group instead ('ptagent groups' lists them)");
    }
  }
  if (!present.empty()) {
    HostCritical critical = HostCritical::scan(ctx.root(), *inv);
    std::set<unsigned> groups_done;
    bool no_group_warned = false;
    for (const auto& a : present) {
      if (auto why = critical.reason(a)) {
        ctx.warn(a.to_string() + " is host-critical (" + *why +
                 "): assigning it takes it away from the host");
      }
      GroupVerdict v = assess_group(*inv, a, devices);
      if (!v.group) {
        if (!no_group_warned) ctx.warn(a.to_string() + ": " + v.explain());
        no_group_warned = true;
      } else if (!v.viable && groups_done.insert(*v.group).second) {
        ctx.warn(a.to_string() + ": " + v.explain());
      }
    }
  }
  if (mdev) {
    const std::optional<PciAddress> pci_parent = try_parse_pci_address(mdev->parent);
    if (!pci_parent) {
      // Not a PCI device (mtty, vfio-ap's matrix, a ccw subchannel): what mdev_bus lists.
      const auto listed = ctx.root().list(kMdevBusDir);
      if (std::find(listed.begin(), listed.end(), mdev->parent) == listed.end()) {
        ctx.warn("--parent " + mdev->parent +
                 " is not listed under /sys/class/mdev_bus on this host");
      } else {
        const auto types = ctx.root().list(mdev_types_dir(mdev->parent));
        if (std::find(types.begin(), types.end(), mdev->type) == types.end()) {
          std::string offered = join(types, ", ");
          ctx.warn("--parent " + mdev->parent + " does not offer mdev type " + mdev->type +
                   " (it offers: " + (offered.empty() ? std::string("none") : offered) + ")");
        }
      }
    } else if (const Device* parent = inv->find(*pci_parent)) {
      if (!parent->mdev) {
        ctx.warn("--parent " + mdev->parent + " has no mdev_supported_types on this host");
      } else if (std::find(parent->mdev->types.begin(), parent->mdev->types.end(), mdev->type) ==
                 parent->mdev->types.end()) {
        std::string offered = join(parent->mdev->types, ", ");
        ctx.warn("--parent " + mdev->parent + " does not offer mdev type " + mdev->type +
                 " (it offers: " + (offered.empty() ? std::string("none") : offered) + ")");
      }
    }
  }
}

constexpr auto kRepeated = HostdevRequestProblem::Kind::repeated_device;

// A request the gen-xml rules refuse, in terms of the options.
[[noreturn]] void throw_problem(const HostdevRequestProblem& p) {
  switch (p.kind) {
    case HostdevRequestProblem::Kind::repeated_device:
      throw_usage(p.device.to_string(), "is given twice", "libvirt refuses a device listed twice");
    case HostdevRequestProblem::Kind::guest_slot_spans_slots:
      throw_usage("--guest-address",
                  "puts every device in one guest slot, but " + p.device.to_string() + " and " +
                      p.first.to_string() + " are in different host slots",
                  "generate devices of different slots in separate calls");
    case HostdevRequestProblem::Kind::guest_slot_lacks_function0:
      throw_usage("--guest-address",
                  "needs function 0 of the slot: a guest does not see a slot without it",
                  "add " + p.first.slot_string() + ".0");
  }
  throw std::logic_error("unknown gen-xml request problem");
}

const Command& self_command() {
  for (const auto& c : commands()) {
    if (std::string_view(c.name) == "gen-xml") return c;
  }
  throw std::logic_error("gen-xml is not in the command table");
}

}  // namespace

int cmd_gen_xml(Context& ctx, const Args& args) {
  po::options_description desc("Options");
  std::vector<std::string> devices, nodedevs;
  std::string domain, bus, slot, function, functions, managed, driver, driver_model, rom_bar,
      rom_file, guest_address, boot_order, alias, parent, type, uuid, domain_uuid, index, display,
      ramfb, format, bind_group;
  bool mdev = false, metadata = false, wrap = false, no_validate = false;
  desc.add_options()("device", po::value(&devices), "PCI devices (see above)")(
      "domain", po::value(&domain), "PCI domain, decimal (default 0)")("bus", po::value(&bus),
                                                                       "PCI bus, decimal (0-255)")(
      "slot", po::value(&slot), "PCI slot, decimal (0-31)")("function", po::value(&function),
                                                            "PCI function, decimal (0-7)")(
      "from-nodedev", po::value(&nodedevs),
      "read the address from nodedev XML (FILE or - for stdin)")(
      "functions", po::value(&functions),
      "functions of a slot shorthand, without reading the host: 0,1")(
      "managed", po::value(&managed), "yes (libvirt detaches the device, default) or no")(
      "driver", po::value(&driver), "host driver backend: vfio")(
      "driver-model", po::value(&driver_model),
      "the VFIO driver libvirt binds: <driver name='vfio' model='NAME'/> (mlx5_vfio_pci, "
      "vfio-pci; libvirt >= 10.0)")("rom-bar", po::value(&rom_bar),
                                    "on or off: expose the device's ROM BAR")(
      "rom-file", po::value(&rom_file), "absolute path of a ROM image to expose instead")(
      "guest-address", po::value(&guest_address), "guest BUS:SLOT in hex, e.g. 00:05")(
      "boot-order", po::value(&boot_order), "boot from the device, order N (1 = first)")(
      "alias", po::value(&alias), "user alias, ua-NAME")(
      "mdev", po::bool_switch(&mdev), "a mediated device instead of a PCI function")(
      "parent", po::value(&parent),
      "mdev parent: a PCI device or another name under /sys/class/mdev_bus (mtty)")(
      "type", po::value(&type), "mdev type, e.g. i915-GVTg_V5_4")(
      "uuid", po::value(&uuid), "mdev UUID")("domain-uuid", po::value(&domain_uuid),
                                             "derive the mdev UUID from this domain UUID ...")(
      "index", po::value(&index), "... and this index (0, 1, ...)")(
      "display", po::value(&display),
      "mdev: on or off, the device's display for the guest's graphics")(
      "ramfb", po::value(&ramfb), "mdev: on or off, a boot framebuffer (needs --display on)")(
      "metadata", po::bool_switch(&metadata),
      "also print the ptagent metadata element for the hook")(
      "bind-group", po::value(&bind_group),
      "metadata for --managed no devices: device (default) or whole")(
      "format", po::value(&format), "xml (default), qemu or json")(
      "wrap", po::bool_switch(&wrap),
      "print <devices>…</devices> (and <metadata>…</metadata>) around the snippets")(
      "no-validate", po::bool_switch(&no_validate), "skip the libvirt schema check");
  po::positional_options_description pos;
  pos.add("device", -1);
  po::variables_map vm;
  if (!parse_options(ctx, self_command(), desc, pos, args, vm, kDetails)) return 0;
  auto given = [&](const char* name) { return vm.count(name) > 0 && !vm[name].defaulted(); };

  // Output format.
  Format fmt = ctx.global.json ? Format::json : Format::xml;
  if (given("format")) {
    if (format == "xml")
      fmt = Format::xml;
    else if (format == "qemu")
      fmt = Format::qemu;
    else if (format == "json")
      fmt = Format::json;
    else
      throw_usage("--format '" + printable(format, 64) + "'", "must be xml, qemu or json");
    if (ctx.global.json && fmt != Format::json)
      throw_usage("--json", "conflicts with --format " + format);
  }
  if (wrap && fmt != Format::xml) throw_usage("--wrap", "applies to XML output only");
  if (metadata && fmt != Format::xml) throw_usage("--metadata", "applies to XML output only");
  if (given("bind-group") && !metadata) throw_usage("--bind-group", "applies with --metadata only");

  const bool pci_fields = given("domain") || given("bus") || given("slot") || given("function");
  const char* const mdev_only[] = {"parent", "type",    "uuid", "domain-uuid",
                                   "index",  "display", "ramfb"};
  const char* const pci_only[] = {"managed", "driver", "driver-model", "functions", "bind-group"};

  // Options common to both kinds.
  HostdevRequest request;
  if (given("rom-bar")) request.rom_bar = parse_on_off(rom_bar, "--rom-bar");
  if (given("rom-file")) request.rom_file = parse_rom_file(rom_file);
  if (given("boot-order")) request.boot_order = parse_boot_order(boot_order);
  if (given("alias")) request.alias = parse_alias(alias);
  if (given("guest-address")) request.guest = parse_guest_address(guest_address);
  request.metadata = metadata;

  std::vector<PciAddress>& pci_devices = request.pci;
  std::optional<Inventory> inventory;
  bool inventory_tried = false;
  auto host_inventory = [&]() -> const Inventory* {
    if (!inventory_tried) {
      inventory_tried = true;
      const Root& root = ctx.root();  // a bad --root is an error, not a silent "offline"
      try {
        inventory = Inventory::scan(root);  // IDs only: names are not needed here
      } catch (const Error&) {
        inventory.reset();
      }
    }
    return inventory ? &*inventory : nullptr;
  };

  if (mdev) {
    for (const char* o : pci_only) {
      if (given(o)) throw_usage(std::string("--") + o, "does not apply to --mdev");
    }
    if (!devices.empty() || !nodedevs.empty() || pci_fields) {
      throw_usage("--mdev", "generates one mediated device; PCI devices go in a separate call");
    }
    if (!given("parent"))
      throw_usage(
          "--mdev",
          "needs --parent (the device that creates the mdev, as /sys/class/mdev_bus lists it)",
          "e.g. --parent 0000:00:02.0");
    if (!given("type"))
      throw_usage("--mdev", "needs --type (a directory of mdev_supported_types)",
                  "e.g. --type i915-GVTg_V5_4");
    MetadataMdev m;
    m.parent = parse_mdev_parent(parent, ParentForm::any_pci_form);
    m.type = parse_mdev_type(type);
    if (given("uuid")) {
      if (given("domain-uuid") || given("index"))
        throw_usage("--uuid", "conflicts with --domain-uuid/--index: give one or the other");
      m.uuid = parse_uuid(uuid, "--uuid");
    } else if (given("domain-uuid") || given("index")) {
      if (!given("domain-uuid")) throw_usage("--index", "needs --domain-uuid");
      if (!given("index"))
        throw_usage("--domain-uuid", "needs --index (0 for the domain's first mdev)");
      const Uuid dom = parse_uuid(domain_uuid, "--domain-uuid");
      const long long n = parse_decimal(index, "--index");
      if (n > 65535) throw_usage("--index " + index, "is out of range", "expected 0-65535");
      m.uuid = derive_mdev_uuid(dom, static_cast<unsigned>(n));
    } else {
      throw_usage("--mdev", "needs --uuid, or --domain-uuid with --index for a stable derived UUID",
                  "ptagent never makes up a random UUID; 'cat /proc/sys/kernel/random/uuid' prints "
                  "a new one");
    }
    if (given("display")) request.mdev_display = parse_on_off(display, "--display");
    if (given("ramfb")) request.mdev_ramfb = parse_on_off(ramfb, "--ramfb");
    request.mdev = m;
  } else {
    for (const char* o : mdev_only) {
      if (given(o)) throw_usage(std::string("--") + o, "applies to --mdev only");
    }
    bool had_slot = false;
    std::vector<std::uint8_t> fns;
    if (given("functions")) fns = parse_functions(functions);
    for (const auto& text : devices) {
      DeviceSpec d = parse_device_spec(text);
      if (!d.whole_slot) {
        pci_devices.push_back(d.address);
        continue;
      }
      had_slot = true;
      if (given("functions")) {
        for (auto f : fns) {
          PciAddress a = d.address;
          a.function = f;
          pci_devices.push_back(a);
        }
      } else {
        const Inventory* inv = host_inventory();
        if (!inv) {
          throw_not_found(d.address.slot_string(),
                          "cannot list the functions of this slot: the host has no PCI sysfs",
                          "name them offline with --functions 0,1");
        }
        for (const auto& a : inv->expand(d)) pci_devices.push_back(a);
      }
    }
    if (given("functions") && !had_slot) {
      throw_usage("--functions", "applies to a slot shorthand such as 01:00",
                  "e.g. ptagent gen-xml 01:00 --functions 0,1");
    }
    if (pci_fields) {
      if (!given("bus") || !given("slot") || !given("function")) {
        throw_usage("--domain/--bus/--slot/--function",
                    "need --bus, --slot and --function together (--domain defaults to 0)",
                    "e.g. --bus 255 --slot 23 --function 6");
      }
      const long long dom = given("domain") ? parse_decimal(domain, "--domain") : 0;
      pci_devices.push_back(address_from_fields(dom, parse_decimal(bus, "--bus"),
                                                parse_decimal(slot, "--slot"),
                                                parse_decimal(function, "--function")));
    }
    if (std::count(nodedevs.begin(), nodedevs.end(), "-") > 1) {
      throw_usage("--from-nodedev -", "is given twice; standard input can be read once");
    }
    for (const auto& source : nodedevs)
      pci_devices.push_back(parse_nodedev_xml(read_nodedev(ctx, source)));
    if (pci_devices.empty()) {
      throw_usage("ptagent gen-xml", "needs a device",
                  "e.g. ptagent gen-xml 0000:01:00.0, or --mdev --parent … --type …");
    }
    // A repeated device is reported before the options below are read.
    if (auto twice = repeated_device(pci_devices)) throw_problem({kRepeated, *twice, *twice});

    if (given("managed")) request.managed = parse_yes_no(managed, "--managed");
    if (given("driver")) {
      if (driver != "vfio") {
        throw_usage("--driver '" + printable(driver, 64) + "'", "is not supported",
                    "vfio is the only PCI assignment backend QEMU has");
      }
      request.driver_vfio = true;
    }
    if (given("driver-model")) request.driver_model = parse_driver_model(driver_model);
    // Read only when there is an unmanaged function for the metadata to list.
    if (metadata && given("bind-group") && request.managed == YesNo::no)
      request.group = parse_group_policy(bind_group, "--bind-group");
  }

  if (auto problem = check_hostdev_request(request)) throw_problem(*problem);
  const HostdevPlan plan = plan_hostdevs(request);
  const std::vector<HostdevSpec>& specs = plan.hostdevs;
  const std::optional<MetadataMdev>& mdev_meta = request.mdev;
  if (plan.metadata_has_nothing) {
    ctx.warn(
        "--metadata: managed='yes' devices are detached by libvirt itself, so the hook has "
        "nothing to do for "
        "them; use --managed no to have the hook bind them");
  }

  // Validate everything before printing anything.
  Validator validator(ctx, !no_validate);
  for (const auto& s : specs) {
    const std::string what = s.pci() ? "<hostdev> for " + s.pci()->address.to_string()
                                     : "<hostdev> for mdev " + s.mdev()->uuid.to_string();
    validator.check_hostdev(s, what);
  }
  const bool print_metadata = plan.metadata.has_value();
  if (print_metadata)
    validator.check(SchemaKind::metadata, metadata_xml(*plan.metadata), "ptagent metadata element");

  // Devices that exist on this host: warn about host-critical ones and groups that are not viable.
  if (!pci_devices.empty() || mdev_meta) {
    const Inventory* inv = inventory_tried ? (inventory ? &*inventory : nullptr) : host_inventory();
    warn_about_host(ctx, inv, pci_devices, mdev_meta);
  }

  switch (fmt) {
    case Format::xml:
      if (wrap) {
        ctx.out << devices_xml(specs);
        if (print_metadata)
          ctx.out << "<metadata>\n" << metadata_xml(*plan.metadata, 1) << "</metadata>\n";
      } else {
        for (const auto& s : specs) ctx.out << hostdev_xml(s);
        if (print_metadata) ctx.out << metadata_xml(*plan.metadata);
      }
      break;
    case Format::qemu:
      for (const auto& s : specs) ctx.out << hostdev_qemu_arg(s) << "\n";
      break;
    case Format::json: {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& s : specs) {
        arr.push_back(
            spec_json(s, mdev_meta ? mdev_meta->parent : "", mdev_meta ? mdev_meta->type : ""));
      }
      ctx.out << arr.dump(2) << "\n";
      break;
    }
  }
  return 0;
}

}  // namespace ptagent::cli
