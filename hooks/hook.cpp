#include "hooks/hook.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <ostream>
#include <set>
#include <thread>

#include "error.hpp"
#include "host/critical.hpp"
#include "ops/journal.hpp"
#include "ops/mdev.hpp"
#include "ops/restore.hpp"
#include "ops/sriov.hpp"
#include "ops/sysfs_writer.hpp"
#include "ops/vfio_bind.hpp"
#include "pci/health.hpp"
#include "pci/inventory.hpp"
#include "pci/iommu_group.hpp"
#include "sysfs/root.hpp"
#include "xml/domain.hpp"
#include "xml/domain_status.hpp"
#include "xml/metadata.hpp"
#include "xml/schema.hpp"

namespace ptagent::hook {

namespace {

constexpr const char* kJournalDir = "/run/ptagent";

std::string owner_of(const std::string& uuid) {
  return "domain:" + uuid;
}

// Serializes the check-and-act phase of concurrent hooks (two domains racing for the last mdev
// instance): the second one sees the first one's result. Released when the fd closes.
class HookLock {
 public:
  explicit HookLock(const Root& root) {
    int run = root.open_in_root("/run", O_RDONLY | O_DIRECTORY);
    if (run >= 0) {
      if (mkdirat(run, "ptagent", 0700) != 0 && errno != EEXIST) {
        ::close(run);
        throw_failed(kJournalDir,
                     std::string("cannot create the state directory: ") + std::strerror(errno));
      }
      ::close(run);
    }
    fd_ = root.open_in_root(std::string(kJournalDir) + "/hook.lock", O_RDWR | O_CREAT, 0600);
    if (fd_ < 0)
      throw_failed(std::string(kJournalDir) + "/hook.lock",
                   std::string("cannot open: ") + std::strerror(-fd_));
    while (flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) throw_failed(std::string(kJournalDir) + "/hook.lock", "cannot lock");
    }
  }
  ~HookLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  HookLock(const HookLock&) = delete;
  HookLock& operator=(const HookLock&) = delete;

 private:
  int fd_ = -1;
};

std::string join(const std::vector<PciAddress>& list) {
  std::string out;
  for (const auto& a : list) out += (out.empty() ? "" : ", ") + a.to_string();
  return out;
}

struct DomainPlan {
  DomainInfo info;
  PassthroughMetadata meta;
  std::vector<MdevCreatePlan> mdevs;  // to create or reuse
  std::vector<PciAddress> bind;       // unmanaged devices (and group companions) to bind
};

// Step 2 of prepare: every check, nothing changed. Throws Error naming the device and the fix.
DomainPlan check_domain(const Root& root, const DomainInfo& info, const PassthroughMetadata& meta) {
  DomainPlan plan{info, meta, {}, {}};
  const std::string self = owner_of(info.uuid);
  Inventory inv = Inventory::scan(root);
  HostCritical critical = HostCritical::scan(root, inv);

  // The devices this guest takes, managed ones included (libvirt detaches those itself).
  std::vector<PciAddress> assigned;
  auto add = [&](const PciAddress& a) {
    if (std::find(assigned.begin(), assigned.end(), a) == assigned.end()) assigned.push_back(a);
  };
  for (const auto& h : info.pci) add(h.address);
  for (const auto& p : meta.pci) {
    const Device* d = inv.find(p.address);
    if (!d)
      throw_not_found(p.address.to_string(),
                      "is named in the ptagent metadata but is not on this host",
                      "fix the <ptagent:pci address=…> entry of the domain");
    add(p.address);
    if (p.group == GroupPolicy::whole && d->iommu_group) {
      for (const auto& m : inv.group_members(*d->iommu_group)) {
        if (!is_infrastructure(inv.get(m))) add(m);
      }
    }
  }
  for (const auto& a : assigned) {
    const Device* d = inv.find(a);
    if (!d) {
      throw_not_found(a.to_string(), "is a <hostdev> of this domain but is not on this host",
                      "remove it from the domain or check the address ('ptagent list')");
    }
    if (is_infrastructure(*d)) {
      throw_refused(a.to_string(), infrastructure_cause(*d),
                    "remove this <hostdev> from the domain");
    }
    if (auto why = critical.reason(a)) {
      throw_refused(a.to_string(), *why + ": the host needs it",
                    "remove this <hostdev> from the domain");
    }
    // A device that does not answer (D3cold, config space all ones): QEMU would fail on it.
    for (const auto& f : device_health(*d, d->upstream ? inv.find(*d->upstream) : nullptr)) {
      if (f.blocks) throw_refused(a.to_string(), f.evidence, f.fix);
    }
    GroupVerdict v = assess_group(inv, a, assigned);
    if (!v.group) {
      throw_refused(a.to_string(), "has no IOMMU group: the IOMMU is off on this host",
                    "enable it (run 'ptagent check' for the exact steps)");
    }
    if (!v.viable && v.blockers().empty()) {
      throw_refused(a.to_string(), "IOMMU group " + std::to_string(*v.group) + " is " + v.explain(),
                    "remove this <hostdev> from the domain: its group stays with the host");
    }
    if (!v.viable) {
      throw_refused(
          a.to_string(),
          "IOMMU group " + std::to_string(*v.group) + " is not viable: it also holds " +
              join(v.blockers()) + " on host drivers",
          "add them to this domain, add group=\"whole\" to its <ptagent:pci> entry, or bind them "
          "to vfio-pci first ('ptagent bind --group " +
              a.to_string() + "')");
    }
  }
  for (const auto& p : meta.pci) {
    auto it = std::find_if(info.pci.begin(), info.pci.end(),
                           [&](const PciHostdev& h) { return h.address == p.address; });
    if (it != info.pci.end() && it->managed) {
      throw_refused(p.address.to_string(),
                    "is managed='yes': libvirt detaches it itself, ptagent must not bind it",
                    "set managed='no' on the <hostdev>, or drop its <ptagent:pci> entry");
    }
  }

  // In use by another running domain: the journal and libvirt's status files.
  std::vector<Change> journal = Journal(root, kJournalDir).load();
  RunningDomains running = read_running_domains(root);
  for (const auto& a : assigned) {
    for (const auto& c : journal) {
      if (c.kind == ChangeKind::bind && c.address == a && c.owner != self) {
        throw_refused(
            a.to_string(), "is in use: ptagent bound it for " + c.owner,
            "stop that domain first, or 'ptagent restore " + a.to_string() + "' if it is gone");
      }
    }
    for (const auto& d : running.domains) {
      if (d.uuid == info.uuid) continue;
      if (std::find(d.pci.begin(), d.pci.end(), a) != d.pci.end()) {
        throw_refused(a.to_string(),
                      "is in use by the running domain '" + printable_name(d.name) + "'",
                      "shut that domain down first");
      }
    }
  }
  std::set<std::string> meta_uuids;
  for (const auto& m : meta.mdevs) meta_uuids.insert(m.uuid.to_string());
  auto check_mdev_free = [&](const std::string& uuid) {
    for (const auto& d : running.domains) {
      if (d.uuid == info.uuid) continue;
      if (std::find(d.mdevs.begin(), d.mdevs.end(), uuid) != d.mdevs.end()) {
        throw_refused("mdev " + uuid,
                      "is in use by the running domain '" + printable_name(d.name) + "'",
                      "give this domain its own mdev UUID");
      }
    }
    // An mdev made beforehand ('ptagent mdev create', owner "cli") is the documented virsh
    // workflow: the domain may name it, and it stays when the domain stops (the hook did not
    // create it, so no entry of this domain undoes it). One the hook created for another domain
    // goes away when that domain stops: not this domain's to take.
    for (const auto& c : journal) {
      if (c.kind == ChangeKind::mdev && c.mdev_uuid == uuid && c.owner != self &&
          c.owner.rfind("domain:", 0) == 0) {
        throw_refused("mdev " + uuid,
                      "was created by ptagent for " + c.owner + ", which removes it when it stops",
                      "give this domain its own mdev UUID");
      }
    }
  };
  for (const auto& m : info.mdevs) {
    check_mdev_free(m.uuid);
    if (!meta_uuids.count(m.uuid) && !find_mdev(root, m.uuid)) {
      throw_not_found(
          "mdev " + m.uuid,
          "does not exist and the domain's ptagent metadata does not say how to create it",
          "add <ptagent:mdev uuid=\"" + m.uuid +
              "\" parent=\"…\" type=\"…\"/> to the domain's "
              "metadata ('ptagent gen-xml --mdev … --metadata'), or create it ('ptagent mdev "
              "create')");
    }
  }
  for (const auto& m : meta.mdevs) {
    const std::string uuid = m.uuid.to_string();
    check_mdev_free(uuid);
    plan.mdevs.push_back(plan_mdev_create(root, m.parent, m.type, uuid));
  }
  // Two mdevs of one type on one parent need two free instances.
  std::map<std::pair<std::string, std::string>, unsigned> wanted;
  for (const auto& p : plan.mdevs) {
    if (!p.reuse) ++wanted[{p.parent, p.type}];
  }
  for (const auto& p : plan.mdevs) {
    auto need = wanted[{p.parent, p.type}];
    if (!p.reuse && p.available_before && *p.available_before < need) {
      throw_refused("mdev type " + p.type + " on " + p.parent,
                    "this domain needs " + std::to_string(need) + " instances but only " +
                        std::to_string(*p.available_before) + " are free",
                    "stop a guest that uses one, or pick another type ('ptagent mdev types')");
    }
  }

  // Unmanaged devices to bind: the metadata's, plus their group companions for group="whole".
  for (const auto& p : meta.pci) {
    auto consider = [&](const PciAddress& a) {
      const Device& d = inv.get(a);
      if (d.driver && *d.driver == "vfio-pci") return;  // nothing to do, nothing to undo
      if (std::find(plan.bind.begin(), plan.bind.end(), a) == plan.bind.end())
        plan.bind.push_back(a);
    };
    consider(p.address);
    const Device& d = inv.get(p.address);
    if (p.group == GroupPolicy::whole && d.iommu_group) {
      for (const auto& m : inv.group_members(*d.iommu_group)) {
        if (!is_infrastructure(inv.get(m))) consider(m);
      }
    }
  }
  if (!plan.bind.empty()) {
    BindRequest req;
    req.devices = plan.bind;
    req.owner = self;
    req.partial =
        PartialGroup::checked_by_caller;  // check_domain counted every device of the domain
    plan_bind(root, Journal(root, kJournalDir), req, PlanMode::execute);
  }
  return plan;
}

// Undoes this domain's journal entries, newest first. Returns the ids it could not undo.
std::vector<std::string> undo_domain(HookDeps& deps, const std::string& uuid) {
  Journal journal(deps.root, kJournalDir);
  std::vector<Change> mine;
  for (auto& c : journal.load()) {
    if (c.owner == owner_of(uuid)) mine.push_back(c);
  }
  std::vector<std::string> left;
  for (auto it = mine.rbegin(); it != mine.rend(); ++it) {
    const Change& c = *it;
    const auto deadline = std::chrono::steady_clock::now() + deps.config.busy_retry;
    for (;;) {
      try {
        undo_and_drop(deps.root, deps.writer, journal, c);
        deps.log("domain " + uuid + ": undid " + c.id);
        break;
      } catch (const Error& e) {
        // An mdev QEMU has not let go of yet: retry within the bound.
        const bool busy = e.sys_errno() == EBUSY ||
                          std::string(e.what()).find("busy") != std::string::npos ||
                          std::string(e.what()).find("held open") != std::string::npos;
        if (busy && std::chrono::steady_clock::now() < deadline) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          continue;
        }
        deps.log("domain " + uuid + ": could not undo " + c.id + ": " + e.what());
        left.push_back(c.id + " (" + e.what() + ")");
        break;
      }
    }
  }
  return left;
}

int prepare(HookDeps& deps, const Invocation& inv, std::string_view xml) {
  DomainInfo info;
  PassthroughMetadata meta;
  try {
    info = parse_domain_xml(xml);
    if (info.uuid.empty())
      throw_usage("domain XML", "has no <uuid>: ptagent keys everything on it");
    if (info.ptagent_metadata) {
      // The strict reader first (its messages name the attribute and the fix), then the schema
      // in xml/ (libxml2 is loaded only now, for domains that carry metadata), which holds the
      // metadata to its one written form (DDDD:BB:SS.F addresses, say).
      meta = parse_metadata(*info.ptagent_metadata);
      const ValidationResult v = validate_xml(SchemaKind::metadata, *info.ptagent_metadata);
      if (v.status == ValidationStatus::invalid) {
        throw_usage(
            "the domain's ptagent metadata", "does not match ptagent-metadata.rng: " + v.summary(),
            "write addresses as DDDD:BB:SS.F, UUIDs as 8-4-4-4-12 hex digits and no other "
            "elements or attributes ('ptagent gen-xml … --metadata' writes it), then 'virsh edit'");
      }
      if (v.status == ValidationStatus::unavailable) {
        deps.log("domain " + info.uuid + ": metadata not checked against ptagent-metadata.rng (" +
                 v.summary() + "); the strict reader checked it");
      }
    }
  } catch (const Error& e) {
    deps.err << "ptagent: domain '" << printable_name(inv.name) << "' cannot start: " << e.what()
             << "\n";
    if (!e.hint().empty()) deps.err << "  fix: " << e.hint() << "\n";
    deps.log("prepare refused (bad domain XML): " + std::string(e.what()));
    return 1;
  }
  if (info.pci.empty() && info.mdevs.empty() && meta.empty()) return 0;

  const std::string self = owner_of(info.uuid);
  try {
    HookLock lock(deps.root);
    // Leftovers of an earlier start that crashed before release: undo them first.
    if (!undo_domain(deps, info.uuid).empty()) {
      throw_failed("domain " + info.uuid, "an earlier start left changes that cannot be undone",
                   "run 'ptagent restore --all' and read its messages");
    }
    DomainPlan plan = check_domain(deps.root, info, meta);
    Journal journal(deps.root, kJournalDir);
    try {
      for (const auto& m : plan.mdevs) {
        if (m.reuse) {
          deps.log("domain " + info.uuid + ": reusing mdev " + m.uuid + " (" + m.type + " on " +
                   m.parent + ")");
          continue;
        }
        create_mdev(deps.root, deps.writer, journal, m, self);
        deps.log("domain " + info.uuid + ": created mdev " + m.uuid + " (" + m.type + " on " +
                 m.parent + ")");
      }
      if (!plan.bind.empty()) {
        BindRequest req;
        req.devices = plan.bind;
        req.owner = self;
        req.partial = PartialGroup::checked_by_caller;
        BindPlan done = bind_devices(deps.root, deps.writer, journal, req);
        deps.log("domain " + info.uuid + ": bound " + join(plan.bind) + " to vfio-pci");
        for (const auto& w : done.warnings) deps.log("domain " + info.uuid + ": " + w);
      }
    } catch (const Error&) {
      auto left = undo_domain(deps, info.uuid);
      for (const auto& l : left) deps.err << "ptagent: could not undo " << l << "\n";
      throw;
    }
  } catch (const Error& e) {
    deps.err << "ptagent: domain '" << printable_name(inv.name) << "' cannot start: " << e.what()
             << "\n";
    if (!e.hint().empty()) deps.err << "  fix: " << e.hint() << "\n";
    deps.log("domain " + info.uuid + ": prepare refused: " + e.what());
    return 1;
  }
  return 0;
}

int release(HookDeps& deps, const Invocation& inv, std::string_view xml) {
  DomainInfo info;
  try {
    info = parse_domain_xml(xml);
  } catch (const Error& e) {
    deps.log("release of '" + printable_name(inv.name) + "': unreadable domain XML: " + e.what());
    return 0;
  }
  if (info.uuid.empty()) return 0;
  try {
    HookLock lock(deps.root);
    auto left = undo_domain(deps, info.uuid);
    if (!left.empty()) {
      for (const auto& l : left)
        deps.err << "ptagent: domain " << info.uuid << ": could not undo " << l << "\n";
      deps.err << "  fix: run 'ptagent restore --all' once the devices are free\n";
      return 1;
    }
  } catch (const Error& e) {
    deps.err << "ptagent: release of domain " << info.uuid << ": " << e.what() << "\n";
    deps.log("domain " + info.uuid + ": release failed: " + e.what());
    return 1;
  }
  return 0;
}

}  // namespace

std::string printable_name(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, 200)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '\'' || c == '"' || c == '\\') {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  if (name.size() > 200) out += "…";
  return out;
}

Invocation parse_invocation(const std::vector<std::string>& args) {
  Invocation inv;
  if (args.size() < 3) return inv;
  inv.name = args[0];
  inv.op_text = args[1];
  inv.sub_op = args[2];
  if (args.size() > 3) inv.extra = args[3];
  if (inv.op_text == "prepare" && inv.sub_op == "begin")
    inv.op = Operation::prepare;
  else if (inv.op_text == "release" && inv.sub_op == "end")
    inv.op = Operation::release;
  else if (inv.op_text == "stopped" && inv.sub_op == "end")
    inv.op = Operation::stopped;
  else if (inv.op_text == "reconnect")
    inv.op = Operation::reconnect;
  return inv;
}

bool nothing_to_do(const Invocation& inv, std::string_view xml, const Root& root) {
  switch (inv.op) {
    case Operation::prepare:
      return !domain_xml_mentions_passthrough(xml);
    case Operation::release:
    case Operation::stopped:
      // Nothing to undo when ptagent never journaled anything on this host.
      return !root.exists(std::string(kJournalDir) + "/journal.json");
    default:
      return true;
  }
}

int run_hook(const std::vector<std::string>& args, std::string_view xml, HookDeps& deps) {
  if (args.size() < 3) {
    deps.err << "ptagent-hook: usage: qemu NAME OPERATION SUB-OPERATION [EXTRA] (libvirt's hook "
                "contract), "
                "domain XML on stdin\n";
    return 2;
  }
  Invocation inv = parse_invocation(args);
  if (nothing_to_do(inv, xml, deps.root)) return 0;
  try {
    switch (inv.op) {
      case Operation::prepare:
        return prepare(deps, inv, xml);
      case Operation::release:
      case Operation::stopped:
        return release(deps, inv, xml);
      default:
        return 0;
    }
  } catch (const std::exception& e) {
    // Never let an unexpected failure escape: refuse at prepare, report elsewhere.
    deps.err << "ptagent-hook: internal error: " << e.what() << "\n";
    return inv.op == Operation::prepare ? 1 : 0;
  }
}

}  // namespace ptagent::hook
