// ptagent mdev types|list|create|remove: mediated devices without raw sysfs writes.
#include <nlohmann/json.hpp>

#include "agent/commands.hpp"
#include "agent/render.hpp"
#include "domain/effects.hpp"
#include "domain/holders.hpp"
#include "error.hpp"
#include "ops/journal.hpp"
#include "ops/mdev.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/root.hpp"
#include "uuid.hpp"

namespace ptagent::cli {

namespace {

using nlohmann::json;
using ordered = nlohmann::ordered_json;

// Sub-verbs: table entries of their own, so that each has its --help.
const Command kTypes{
    "mdev types", "[PARENT] [--json]",
    "each mdev parent and its types: name, description, device API, available instances", nullptr};
const Command kList{
    "mdev list", "[--json]",
    "every mdev with parent, type, owner (ptagent, mdevctl or unknown) and whether it is in use",
    nullptr};
const Command kCreate{"mdev create", "PARENT TYPE [--uuid U] [--json]",
                      "create an mdev of TYPE on PARENT and print its UUID", nullptr};
const Command kRemove{
    "mdev remove", "UUID [--force] [--json]",
    "remove an mdev; refuses one that mdevctl owns or that is in use, unless --force", nullptr};

void print_mdev_help(std::ostream& out) {
  const Command& c = command("mdev");
  out << "Usage: ptagent mdev " << c.synopsis << "\n\n" << c.summary << "\n\nSub-commands:\n";
  for (const Command* s : {&kTypes, &kList, &kCreate, &kRemove}) {
    std::string n = std::string(s->name).substr(5) + " " + s->synopsis;
    n.resize(std::max<std::size_t>(n.size() + 2, 40), ' ');
    out << "  " << n << s->summary << "\n";
  }
  out << "\nRun 'ptagent mdev SUB-COMMAND --help' for its options.\n";
}

// "low_gm_size: 128MB\nhigh_gm_size: 512MB" -> "low_gm_size: 128MB, high_gm_size: 512MB"
std::string one_line(const std::string& text) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    std::string part = text.substr(start, nl - start);
    while (!part.empty() && (part.back() == ' ' || part.back() == '\r' || part.back() == '\t'))
      part.pop_back();
    if (!part.empty()) out += (out.empty() ? "" : ", ") + part;
    start = nl + 1;
  }
  return out;
}

// Who holds each mdev (the journal, libvirt's status files); unreadable status files warned about.
MdevHolders collect_holders(Context& ctx, const Root& root, const std::vector<Change>& journal) {
  const domain::DeviceHolders holders = domain::DeviceHolders::read(root, journal);
  for (const auto& p : holders.problems())
    ctx.warn("libvirt status file " + p + " (ignored for the in-use check)");
  return holders.mdev_reasons();
}

int do_types(Context& ctx, const Args& args) {
  po::options_description desc("Options");
  std::string parent;
  desc.add_options()("parent", po::value(&parent),
                     "only this parent (0000:00:02.0, 00:02.0, matrix, ...)");
  po::positional_options_description pos;
  pos.add("parent", 1);
  po::variables_map vm;
  if (!parse_options(ctx, kTypes, desc, pos, args, vm)) return 0;
  const Root& root = ctx.root();
  std::vector<MdevParent> parents;
  if (vm.count("parent")) {
    parents.push_back(read_mdev_parent(root, parent));
  } else {
    parents = list_mdev_parents(root);
  }
  if (ctx.global.json) {
    // The shape of `mdevctl types --dumpjson`.
    ordered top = ordered::object();
    for (const auto& p : parents) {
      ordered types = ordered::array();
      for (const auto& t : p.types) {
        ordered entry = ordered::object();
        entry["available_instances"] =
            t.available_instances ? ordered(*t.available_instances) : ordered(nullptr);
        entry["device_api"] = t.device_api;
        if (!t.name.empty()) entry["name"] = t.name;
        if (!t.description.empty()) entry["description"] = t.description;
        types.push_back(ordered{{t.id, entry}});
      }
      top[p.name] = types;
    }
    ordered out = ordered::array();
    if (!parents.empty()) out.push_back(top);
    ctx.out << out.dump(2) << "\n";
    return 0;
  }
  if (parents.empty()) {
    ctx.out << "No mdev parents on this host (/sys/class/mdev_bus is empty).\n";
    return 0;
  }
  for (const auto& p : parents) {
    ctx.out << p.name << "\n";
    if (p.types.empty()) ctx.out << "  (no types)\n";
    for (const auto& t : p.types) {
      ctx.out << "  " << t.id << "\n";
      ctx.out << "    Available instances: "
              << (t.available_instances ? std::to_string(*t.available_instances)
                                        : std::string("unknown"))
              << "\n";
      ctx.out << "    Device API: " << (t.device_api.empty() ? "-" : t.device_api) << "\n";
      if (!t.name.empty()) ctx.out << "    Name: " << t.name << "\n";
      if (!t.description.empty()) ctx.out << "    Description: " << one_line(t.description) << "\n";
    }
  }
  return 0;
}

int do_list(Context& ctx, const Args& args) {
  po::options_description desc("Options");
  po::positional_options_description pos;
  po::variables_map vm;
  if (!parse_options(ctx, kList, desc, pos, args, vm)) return 0;
  const Root& root = ctx.root();
  const std::vector<Change> journal = ctx.journal().load();
  const MdevHolders holders = collect_holders(ctx, root, journal);
  const std::vector<Mdev> mdevs = list_mdevs(root);

  if (ctx.global.json) {
    // The shape of `mdevctl list --dumpjson`, plus ptagent's owner, in_use and iommu_group.
    ordered top = ordered::object();
    for (const auto& m : mdevs) {
      const MdevOwner owner = mdev_owner(root, m, journal);
      const MdevUse use = mdev_use(root, m, holders);
      ordered entry = ordered::object();
      entry["mdev_type"] = m.type;
      entry["start"] = "manual";
      entry["attrs"] = ordered::array();
      if (owner == MdevOwner::mdevctl) {
        const std::string path = mdevctl_file(m.parent, m.uuid);
        try {
          const ordered cfg = ordered::parse(root.read(path).value_or("{}"));
          if (cfg.contains("start") && cfg["start"].is_string()) entry["start"] = cfg["start"];
          if (cfg.contains("attrs") && cfg["attrs"].is_array()) entry["attrs"] = cfg["attrs"];
        } catch (const ordered::exception&) {
          ctx.warn(path + " is not valid JSON; start and attrs left at their defaults");
        }
      }
      entry["owner"] = mdev_owner_name(owner);
      entry["in_use"] = use.in_use();
      entry["in_use_by"] = ordered::array();
      for (const auto& h : use.open_by)
        entry["in_use_by"].push_back("held open by " + h.describe());
      for (const auto& h : use.held_by) entry["in_use_by"].push_back(h);
      entry["iommu_group"] = m.iommu_group ? ordered(*m.iommu_group) : ordered(nullptr);
      if (!top.contains(m.parent)) top[m.parent] = ordered::array();
      top[m.parent].push_back(ordered{{m.uuid, entry}});
    }
    ordered out = ordered::array();
    if (!mdevs.empty()) out.push_back(top);
    ctx.out << out.dump(2) << "\n";
    return 0;
  }
  if (mdevs.empty()) {
    ctx.out << "No mediated devices.\n";
    return 0;
  }
  Table t({"UUID", "PARENT", "TYPE", "OWNER", "IN USE"});
  for (const auto& m : mdevs) {
    const MdevUse use = mdev_use(root, m, holders);
    t.add({m.uuid, m.parent, m.type.empty() ? "-" : m.type,
           mdev_owner_name(mdev_owner(root, m, journal)),
           use.in_use() ? "yes: " + use.describe() : "no"});
  }
  t.print(ctx.out);
  return 0;
}

int do_create(Context& ctx, const Args& args, SysfsWriter& writer, const WaitLimits& limits) {
  po::options_description desc("Options");
  std::string parent, type, uuid;
  desc.add_options()("parent", po::value(&parent), "the parent device (see 'ptagent mdev types')")(
      "type", po::value(&type), "the mdev type, e.g. i915-GVTg_V5_4")(
      "uuid", po::value(&uuid), "the new device's UUID (default: a random one)");
  po::positional_options_description pos;
  pos.add("parent", 1).add("type", 1);
  po::variables_map vm;
  if (!parse_options(ctx, kCreate, desc, pos, args, vm)) return 0;
  if (parent.empty() || type.empty()) {
    throw_usage("ptagent mdev create", "needs a PARENT and a TYPE",
                "e.g. ptagent mdev create 0000:00:02.0 i915-GVTg_V5_4 (see 'ptagent mdev types')");
  }
  const Root& root = ctx.root();
  std::optional<std::string_view> given;
  if (vm.count("uuid")) given = uuid;
  const MdevCreatePlan plan = plan_mdev_create(root, parent, type, given);

  if (ctx.global.dry_run) {
    if (ctx.global.json) {
      ctx.out << json{{"dry_run", true},
                      {"uuid", plan.uuid_given ? json(plan.uuid) : json(nullptr)},
                      {"parent", plan.parent},
                      {"type", plan.type},
                      {"reused", plan.reuse}}
                     .dump(2)
              << "\n";
    } else if (plan.reuse) {
      ctx.out << "Would reuse the existing mdev " << plan.uuid << " (" << plan.type << " on "
              << plan.parent << "); nothing to change (dry run)\n";
    } else {
      ctx.out << "Would create a " << plan.type << " on " << plan.parent << " with UUID "
              << (plan.uuid_given ? plan.uuid : std::string("(a new random one)"))
              << " (dry run, nothing changed):\n"
              << "  record it in the journal for 'ptagent restore'\n"
              << "  write the UUID to " << plan.parent_path << "/mdev_supported_types/" << plan.type
              << "/create\n"
              << "  available instances " << plan.available_before.value_or(0) << " -> "
              << (plan.available_before.value_or(1) - 1) << "\n";
    }
    return 0;
  }
  Journal journal = ctx.journal();
  const Mdev m = create_mdev(root, writer, journal, plan, "cli", limits);
  if (plan.reuse) {
    ctx.err << "ptagent: mdev " << m.uuid << " already exists as a " << m.type << " on " << m.parent
            << "; reusing it\n";
  }
  if (ctx.global.json) {
    ctx.out << json{{"uuid", m.uuid},
                    {"parent", m.parent},
                    {"type", m.type},
                    {"reused", plan.reuse},
                    {"iommu_group", m.iommu_group ? json(*m.iommu_group) : json(nullptr)},
                    {"sysfs_path", m.sysfs_path}}
                   .dump(2)
            << "\n";
  } else {
    ctx.out << m.uuid << "\n";
  }
  return 0;
}

int do_remove(Context& ctx, const Args& args, SysfsWriter& writer, const WaitLimits& limits) {
  po::options_description desc("Options");
  std::string uuid;
  bool force = false;
  desc.add_options()("uuid", po::value(&uuid), "the mdev to remove")(
      "force", po::bool_switch(&force), "remove it even when mdevctl owns it or it is in use");
  po::positional_options_description pos;
  pos.add("uuid", 1);
  po::variables_map vm;
  if (!parse_options(ctx, kRemove, desc, pos, args, vm)) return 0;
  if (!vm.count("uuid"))
    throw_usage("ptagent mdev remove", "needs a UUID", "run 'ptagent mdev list'");
  const std::string canonical =
      parse_uuid_text(uuid);  // malformed input fails before the host is read
  const Root& root = ctx.root();
  const std::vector<Change> entries = ctx.journal().load();
  const MdevRemovePlan plan =
      plan_mdev_remove(root, canonical, entries, collect_holders(ctx, root, entries),
                       force ? MdevGuard::force : MdevGuard::refuse);
  for (const auto& f : plan.forced)
    ctx.warn("--force: removing mdev " + plan.device.uuid + " although " + f);
  const Mdev& m = plan.device;
  if (ctx.global.dry_run) {
    if (ctx.global.json) {
      ctx.out << json{{"dry_run", true},
                      {"uuid", m.uuid},
                      {"parent", m.parent},
                      {"type", m.type},
                      {"owner", mdev_owner_name(plan.owner)},
                      {"forced", plan.forced}}
                     .dump(2)
              << "\n";
    } else {
      ctx.out << "Would remove mdev " << m.uuid << " (" << m.type << " on " << m.parent
              << ", owner " << mdev_owner_name(plan.owner) << ") (dry run, nothing changed):\n"
              << "  write 1 to /sys/bus/mdev/devices/" << m.uuid << "/remove\n";
    }
    return 0;
  }
  Journal journal = ctx.journal();
  remove_mdev(root, writer, journal, plan, limits);
  if (ctx.global.json) {
    ctx.out << json{{"removed", m.uuid},
                    {"parent", m.parent},
                    {"type", m.type},
                    {"owner", mdev_owner_name(plan.owner)}}
                   .dump(2)
            << "\n";
  } else {
    ctx.out << "Removed mdev " << m.uuid << " (" << m.type << " on " << m.parent << ")\n";
  }
  return 0;
}

}  // namespace

int cmd_mdev(Context& ctx, const Args& args) {
  if (args.empty()) {
    print_mdev_help(ctx.err);
    throw_usage("ptagent mdev", "needs a sub-command: types, list, create or remove");
  }
  const std::string verb = args.front();
  const Args rest(args.begin() + 1, args.end());
  if (verb == "--help" || verb == "-h" || verb == "help") {
    print_mdev_help(ctx.out);
    return 0;
  }
  if (verb == "types") return do_types(ctx, rest);
  if (verb == "list") return do_list(ctx, rest);
  Effects& fx = ctx.effects();
  if (verb == "create") return do_create(ctx, rest, fx.sysfs, fx.settle);
  if (verb == "remove") return do_remove(ctx, rest, fx.sysfs, fx.settle);
  throw_usage("ptagent mdev " + verb, "unknown sub-command",
              "use one of: types, list, create, remove (see 'ptagent mdev --help')");
}

}  // namespace ptagent::cli
