#include "ops/mdev.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <random>

#include "error.hpp"
#include "ops/errno_text.hpp"
#include "ops/journal.hpp"
#include "pci/address.hpp"
#include "printable.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/parse.hpp"
#include "sysfs/root.hpp"
#include "sysfs/sysfs_writer.hpp"
#include "util/edit_distance.hpp"
#include "util/join.hpp"
#include "uuid.hpp"

namespace ptagent {

namespace {

MdevType read_type(const Root& root, const std::string& dir, const std::string& id) {
  MdevType t;
  t.id = id;
  const std::string base = dir + "/" + id;
  t.name = root.read_value(base + "/name").value_or("");
  t.description = root.read_value(base + "/description").value_or("");
  t.device_api = root.read_value(base + "/device_api").value_or("");
  if (auto v = root.read(base + "/available_instances", 64)) {
    if (auto n = parse_int_attr(*v); n && *n >= 0)
      t.available_instances = static_cast<unsigned>(*n);
  }
  return t;
}

// A parent by its name under /sys/class/mdev_bus; the name is one we listed or checked.
MdevParent read_parent_entry(const Root& root, const std::string& name) {
  MdevParent p;
  p.name = name;
  const std::string link = std::string(kMdevBusDir) + "/" + name;
  p.sysfs_path = root.resolve(link).value_or(link);
  const std::string types = p.sysfs_path + "/mdev_supported_types";
  for (const auto& id : root.list(types)) {
    if (root.is_dir(types + "/" + id)) p.types.push_back(read_type(root, types, id));
  }
  return p;
}

std::optional<Mdev> read_mdev_entry(const Root& root, const std::string& uuid) {
  const std::string link = mdev_device_dir(uuid);
  auto real = root.resolve(link);
  if (!real || !root.is_dir(link)) return std::nullopt;
  Mdev m;
  m.uuid = uuid;
  m.sysfs_path = *real;
  // The device directory sits in its parent's directory.
  const auto slash = real->rfind('/');
  if (slash != std::string::npos && slash > 0) {
    const std::string dir = real->substr(0, slash);
    m.parent = dir.substr(dir.rfind('/') + 1);
  }
  m.type = root.link_name(link + "/mdev_type").value_or("");
  if (auto g = root.link_name(link + "/iommu_group")) {
    if (auto n = parse_int_attr(*g); n && *n >= 0) m.iommu_group = static_cast<unsigned>(*n);
  }
  return m;
}

void check_path_name(std::string_view name, const std::string& what, bool allow_colon) {
  const std::string shown = printable(name, 64);
  if (name.empty())
    throw_usage(what, "is empty", "run 'ptagent mdev types' for the names on this host");
  if (name.size() > 128)
    throw_usage(what + " '" + shown + "...'", "is too long (over 128 characters)");
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-' || (allow_colon && c == ':');
    if (!ok) {
      const std::string bad = (c >= 0x20 && c < 0x7f)
                                  ? std::string(1, c)
                                  : "\\x" + std::to_string(static_cast<unsigned char>(c));
      throw_usage(what + " '" + shown + "'",
                  "contains '" + bad + "': only letters, digits and " +
                      (allow_colon ? "_ . - :" : "_ . -") + " are allowed",
                  "run 'ptagent mdev types' for the names on this host");
    }
  }
  if (name.front() == '.' || name.find("..") != std::string_view::npos) {
    throw_usage(what + " '" + shown + "'", "must not start with '.' or contain '..'",
                "run 'ptagent mdev types' for the names on this host");
  }
}

bool is_entry_of(const Change& c, const std::string& uuid) {
  return c.kind == ChangeKind::mdev && c.mdev_uuid == uuid;
}

// Before a remove: the device's journal entries become pending, so that a failure to drop them
// afterwards never leaves a "done" entry for a device that is gone.
void mark_entries_pending(Journal& journal, const std::string& uuid) {
  const auto entries = journal.load();
  if (std::none_of(entries.begin(), entries.end(), [&](const Change& c) {
        return is_entry_of(c, uuid) && c.state == ChangeState::done;
      })) {
    return;
  }
  journal.update([&](std::vector<Change>& all) {
    for (auto& c : all) {
      if (is_entry_of(c, uuid)) c.state = ChangeState::pending;
    }
  });
}

void drop_entries(Journal& journal, const std::string& uuid) {
  auto matches = [&](const Change& c) { return is_entry_of(c, uuid); };
  const auto entries = journal.load();
  if (std::none_of(entries.begin(), entries.end(), matches)) return;
  journal.update([&](std::vector<Change>& all) {
    all.erase(std::remove_if(all.begin(), all.end(), matches), all.end());
  });
}

}  // namespace

const MdevType* MdevParent::find_type(std::string_view id) const {
  for (const auto& t : types) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

std::string mdev_change_id(const std::string& uuid) {
  return "mdev:" + uuid;
}

std::vector<MdevParent> list_mdev_parents(const Root& root) {
  std::vector<MdevParent> out;
  for (const auto& name : root.list(kMdevBusDir)) out.push_back(read_parent_entry(root, name));
  return out;
}

MdevParent read_mdev_parent(const Root& root, std::string_view name) {
  std::string wanted(name);
  // A PCI parent may be given in any address form; the canonical one is the sysfs name.
  try {
    const DeviceSpec spec = parse_device_spec(name);
    if (spec.whole_slot) throw_usage("mdev parent", "a whole slot");
    wanted = spec.address.to_string();
  } catch (const Error&) {
    check_mdev_parent_name(name);
  }
  const std::vector<std::string> names = root.list(kMdevBusDir);
  if (std::find(names.begin(), names.end(), wanted) != names.end())
    return read_parent_entry(root, wanted);
  const std::string object = "mdev parent " + std::string(name);
  if (names.empty()) {
    throw_not_found(object, "this host has no mdev parents (/sys/class/mdev_bus is empty)",
                    "load and enable the vendor's mdev driver (Intel GVT-g: kvmgt with "
                    "i915.enable_gvt=1; NVIDIA: the vGPU host driver)");
  }
  const std::string near = closest_name(wanted, names);
  throw_not_found(object, "no such mdev parent",
                  (near.empty() ? std::string() : "did you mean " + near + "? ") +
                      "parents on this host: " + join(names, ", "));
}

std::vector<Mdev> list_mdevs(const Root& root) {
  std::vector<Mdev> out;
  for (const auto& entry : root.list(kMdevDevicesDir)) {
    auto uuid = try_parse_uuid_text(entry);
    if (!uuid || *uuid != entry) continue;  // sysfs names are lower-case UUIDs
    if (auto m = read_mdev_entry(root, entry)) out.push_back(std::move(*m));
  }
  std::sort(out.begin(), out.end(), [](const Mdev& a, const Mdev& b) {
    return a.parent != b.parent ? a.parent < b.parent : a.uuid < b.uuid;
  });
  return out;
}

std::optional<Mdev> find_mdev(const Root& root, const std::string& uuid) {
  auto canonical = try_parse_uuid_text(uuid);
  if (!canonical) return std::nullopt;
  return read_mdev_entry(root, *canonical);
}

void check_mdev_type_name(std::string_view name) {
  check_path_name(name, "mdev type", false);
}
void check_mdev_parent_name(std::string_view name) {
  check_path_name(name, "mdev parent", true);
}

MdevHolders journal_mdev_holders(const std::vector<Change>& changes) {
  MdevHolders out;
  for (const auto& c : changes) {
    if (c.kind != ChangeKind::mdev || c.mdev_uuid.empty() || c.owner.rfind("domain:", 0) != 0)
      continue;
    out[c.mdev_uuid].push_back("created for domain " + c.owner.substr(7) + " (ptagent journal)");
  }
  return out;
}

std::string MdevUse::describe() const {
  std::vector<std::string> parts;
  for (const auto& h : open_by) parts.push_back("held open by " + h.describe());
  for (const auto& h : held_by) parts.push_back(h);
  return join(parts, "; ");
}

MdevUse mdev_use(const Root& root, const Mdev& mdev, const MdevHolders& holders) {
  MdevUse use;
  if (mdev.iommu_group) use.open_by = vfio_group_holders(root, *mdev.iommu_group);
  if (auto it = holders.find(mdev.uuid); it != holders.end()) use.held_by = it->second;
  return use;
}

MdevCreatePlan plan_mdev_create(const Root& root, std::string_view parent, std::string_view type,
                                std::optional<std::string_view> uuid) {
  // Every piece of input is checked before the host is looked at.
  if (parent.empty()) throw_usage("new mdev", "needs a parent", "run 'ptagent mdev types'");
  if (type.empty()) throw_usage("new mdev", "needs a type", "run 'ptagent mdev types'");
  check_mdev_type_name(type);
  MdevCreatePlan plan;
  plan.uuid_given = uuid.has_value();
  plan.uuid = uuid ? parse_uuid_text(*uuid) : random_uuid_v4();

  const MdevParent p = read_mdev_parent(root, parent);
  plan.parent = p.name;
  plan.parent_path = p.sysfs_path;
  const MdevType* t = p.find_type(type);
  if (!t) {
    std::vector<std::string> ids;
    std::string near;
    for (const auto& x : p.types) {
      ids.push_back(x.id);
      if (near.empty() && !x.name.empty() && x.name == type) near = x.id;  // its `name`, not the id
    }
    if (near.empty()) near = closest_name(type, ids);
    throw_not_found("mdev type " + std::string(type), "parent " + p.name + " has no such type",
                    (near.empty() ? std::string() : "did you mean " + near + "? ") +
                        (ids.empty() ? std::string("the parent offers no types")
                                     : "types of " + p.name + ": " + join(ids, ", ")));
  }
  plan.type = t->id;
  plan.available_before = t->available_instances;

  if (auto existing = find_mdev(root, plan.uuid)) {
    if (existing->parent == plan.parent && existing->type == plan.type) {
      plan.reuse = true;
      return plan;
    }
    throw_refused("mdev " + plan.uuid,
                  "already exists as " +
                      (existing->type.empty() ? std::string("a device") : "a " + existing->type) +
                      " on parent " + existing->parent,
                  "give another " + mention(Input::mdev_uuid) +
                      ", or remove that device first ('ptagent mdev remove " + plan.uuid + "')");
  }
  if (auto defined = mdevctl_parent_of(root, plan.uuid)) {
    throw_refused("mdev " + plan.uuid,
                  "is defined by mdevctl (" + mdevctl_file(*defined, plan.uuid) + ")",
                  "start it with 'mdevctl start --uuid " + plan.uuid + "', or give another " +
                      mention(Input::mdev_uuid));
  }
  if (!t->available_instances) {
    throw_refused("mdev type " + t->id + " on " + p.name, "its available_instances cannot be read",
                  "check that the parent's driver is loaded ('ptagent show " + p.name + "')");
  }
  if (*t->available_instances == 0) {
    throw_refused(
        "mdev type " + t->id + " on " + p.name, "has no instances left (available_instances is 0)",
        "remove an unused mdev of this parent ('ptagent mdev list'), or pick a smaller type");
  }
  return plan;
}

Mdev create_mdev(const Root& root, SysfsWriter& writer, Journal& journal,
                 const MdevCreatePlan& plan, const std::string& owner, const WaitLimits& limits) {
  const std::string object = "mdev " + plan.uuid;
  if (plan.reuse) {
    if (auto m = find_mdev(root, plan.uuid)) return *m;
    throw_failed(object, "the existing device disappeared", "run the command again");
  }
  const std::string id = mdev_change_id(plan.uuid);
  auto same_id = [&](const Change& c) { return c.id == id; };
  journal.update([&](std::vector<Change>& entries) {
    entries.erase(std::remove_if(entries.begin(), entries.end(), same_id), entries.end());
    Change c = pending_change(id, ChangeKind::mdev, owner);
    c.mdev_uuid = plan.uuid;
    c.mdev_parent = plan.parent;
    c.mdev_type = plan.type;
    entries.push_back(std::move(c));
  });
  const std::string create = plan.parent_path + "/mdev_supported_types/" + plan.type + "/create";
  if (int err = writer.write(create, plan.uuid); err != 0) {
    if (!root.exists(mdev_device_dir(plan.uuid))) {
      journal.update([&](std::vector<Change>& entries) {
        entries.erase(std::remove_if(entries.begin(), entries.end(), same_id), entries.end());
      });
    }
    const ErrnoText t = mdev_create_errno(err);
    throw Error(ErrorKind::failed, object,
                "creating a " + plan.type + " on " + plan.parent + " failed: " + t.cause, t.hint,
                err);
  }
  if (!wait_until(limits, [&] { return root.is_dir(mdev_device_dir(plan.uuid)); })) {
    // Left pending: should the device show up later, `ptagent restore` removes it.
    throw_failed(object,
                 "the kernel accepted the create but " + mdev_device_dir(plan.uuid) +
                     " did not appear within " + std::to_string(limits.timeout.count()) + " ms",
                 "check dmesg for the vendor driver's messages; 'ptagent restore' cleans up if it "
                 "appears later");
  }
  try {
    journal.update([&](std::vector<Change>& entries) {
      for (auto& c : entries) {
        if (c.id == id) c.state = ChangeState::done;
      }
    });
  } catch (const Error& e) {
    throw Error(ErrorKind::failed, object,
                "was created, but marking its journal entry done failed: " + std::string(e.what()),
                "the entry stays (unfinished), so 'ptagent restore --all' can still remove it",
                e.sys_errno());
  }
  if (auto m = find_mdev(root, plan.uuid)) return *m;
  throw_failed(object, "the device appeared and went away again", "check dmesg");
}

MdevRemovePlan plan_mdev_remove(const Root& root, std::string_view uuid,
                                const std::vector<Change>& journal, const MdevHolders& holders,
                                MdevGuard guard) {
  const std::string u = parse_uuid_text(uuid);
  auto m = find_mdev(root, u);
  if (!m) {
    throw_not_found("mdev " + u, "no such mediated device on this host", "run 'ptagent mdev list'");
  }
  MdevRemovePlan plan;
  plan.device = *m;
  plan.owner = mdev_owner(root, *m, journal);
  plan.use = mdev_use(root, *m, holders);
  std::vector<std::string> reasons;
  if (plan.owner == MdevOwner::mdevctl) {
    reasons.push_back("mdevctl owns it (" + mdevctl_file(m->parent, u) + ")");
  }
  if (plan.use.in_use()) reasons.push_back("it is in use: " + plan.use.describe());
  if (!reasons.empty()) {
    if (guard == MdevGuard::force) {
      plan.forced = reasons;
    } else {
      const bool mdevctl = plan.owner == MdevOwner::mdevctl;
      throw Error(ErrorKind::refused, mdevctl ? Reason::refused : Reason::busy, "mdev " + u,
                  join(reasons, "; and "),
                  (mdevctl ? "manage it with mdevctl ('mdevctl stop --uuid " + u + "')"
                           : std::string("stop the guest that uses it")) +
                      where_spelled(Input::force,
                                    ", or pass " + mention(Input::force) + " to remove it anyway"));
    }
  }
  return plan;
}

void remove_mdev(const Root& root, SysfsWriter& writer, Journal& journal,
                 const MdevRemovePlan& plan, const WaitLimits& limits) {
  const std::string& u = plan.device.uuid;
  const std::string object = "mdev " + u;
  mark_entries_pending(journal, u);
  if (int err = writer.write(mdev_device_dir(u) + "/remove", "1"); err != 0) {
    if (root.exists(mdev_device_dir(u))) {
      const ErrnoText t = mdev_remove_errno(err);
      throw Error(ErrorKind::failed, object, "removing it failed: " + t.cause, t.hint, err);
    }
  }
  if (!wait_until(limits, [&] { return !root.exists(mdev_device_dir(u)); })) {
    throw_failed(object,
                 "the kernel accepted the remove but the device is still there after " +
                     std::to_string(limits.timeout.count()) + " ms",
                 "check dmesg for the vendor driver's messages");
  }
  drop_entries(journal, u);
}

void undo_mdev_change(const Root& root, SysfsWriter& writer, const Change& change) {
  const auto u = try_parse_uuid_text(change.mdev_uuid);
  if (!u) {
    throw_failed("journal entry " + change.id,
                 "an mdev entry without a valid UUID ('" + change.mdev_uuid + "')",
                 "remove the entry from the journal under /run/ptagent by hand");
  }
  const auto m = find_mdev(root, *u);
  if (!m) return;  // never created, or already removed
  const std::string object = "mdev " + *u;
  if ((!change.mdev_parent.empty() && m->parent != change.mdev_parent) ||
      (!change.mdev_type.empty() && m->type != change.mdev_type)) {
    throw_refused(
        object,
        "is now a " + m->type + " on " + m->parent + ", not the " + change.mdev_type + " on " +
            change.mdev_parent + " that ptagent created",
        "leave it alone, or remove it with 'ptagent mdev remove " + *u + "' if it is stale");
  }
  if (root.exists(mdevctl_file(m->parent, *u))) {
    throw_refused(object, "mdevctl now defines it (" + mdevctl_file(m->parent, *u) + ")",
                  "manage it with mdevctl ('mdevctl stop --uuid " + *u + "')");
  }
  const MdevUse use = mdev_use(root, *m, {});
  if (use.in_use()) {
    throw_busy(object, "is in use: " + use.describe(),
               "stop the guest that uses it, then run 'ptagent restore' again");
  }
  if (int err = writer.write(mdev_device_dir(*u) + "/remove", "1");
      err != 0 && root.exists(mdev_device_dir(*u))) {
    const ErrnoText t = mdev_remove_errno(err);
    throw Error(ErrorKind::failed, object, "removing it failed: " + t.cause, t.hint, err);
  }
  if (!wait_until(WaitLimits{}, [&] { return !root.exists(mdev_device_dir(*u)); })) {
    throw_failed(object, "the kernel accepted the remove but the device is still there",
                 "check dmesg for the vendor driver's messages");
  }
}

}  // namespace ptagent
