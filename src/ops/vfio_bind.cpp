#include "ops/vfio_bind.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <utility>

#include "error.hpp"
#include "host/critical.hpp"
#include "ops/errno_text.hpp"
#include "ops/restore.hpp"
#include "ops/vfio_holders.hpp"
#include "pci/inventory.hpp"
#include "sysfs/parse.hpp"
#include "sysfs/root.hpp"
#include "sysfs/sysfs_writer.hpp"

namespace ptagent {

namespace {

const std::string kDevices = "/sys/bus/pci/devices/";
const std::string kDrivers = "/sys/bus/pci/drivers/";
const std::string kProbe = "/sys/bus/pci/drivers_probe";

struct DevState {
  bool present = true;
  std::optional<std::string> driver;
  std::optional<std::string> override_value;
};

DevState read_state(const Root& root, const PciAddress& a) {
  DevState s;
  const std::string link = kDevices + a.to_string();
  s.present = root.is_dir(link);
  s.driver = root.link_name(link + "/driver");
  if (auto v = root.read(link + "/driver_override", 4096))
    s.override_value = parse_driver_override(*v);
  return s;
}

std::string shown(const std::optional<std::string>& driver) {
  return driver.value_or("none");
}

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

[[noreturn]] void step_failed(const PciAddress& a, const std::string& what, int err = 0,
                              const std::string& hint = {}) {
  std::string cause = what;
  if (err != 0) cause += ": " + std::string(std::strerror(err)) + " (" + errno_name(err) + ")";
  throw Error(ErrorKind::failed, a.to_string(), cause, hint, err);
}

void write_step(SysfsWriter& w, const PciAddress& a, const std::string& path,
                const std::string& value, const std::string& what, const std::string& hint = {}) {
  if (int rc = w.write(path, value); rc != 0) step_failed(a, what + " failed", rc, hint);
}

void set_override(const Root& root, SysfsWriter& w, const PciAddress& a,
                  const std::optional<std::string>& value) {
  const std::string what =
      value ? "setting driver_override to " + *value : "clearing driver_override";
  write_step(w, a, kDevices + a.to_string() + "/driver_override", value ? *value : "\n", what);
  const auto now = read_state(root, a).override_value;
  if (now != value) step_failed(a, "driver_override reads " + shown(now) + " after " + what);
}

void unbind(const Root& root, SysfsWriter& w, const PciAddress& a, const std::string& driver) {
  write_step(w, a, kDrivers + driver + "/unbind", a.to_string(), "unbind from " + driver);
  if (auto now = read_state(root, a).driver) {
    step_failed(a, "still bound to " + *now + " after the unbind from " + driver);
  }
}

std::string vfio_hint(const std::string& driver, const PciAddress& a) {
  if (driver != "vfio-pci") return "check dmesg for the driver's message";
  return "vfio-pci refuses a device without an IOMMU group, and libvirt a group with other devices "
         "on host drivers: see 'ptagent show " +
         a.to_string() + "', bind the whole group" +
         where_spelled(Input::whole_group, " with " + mention(Input::whole_group));
}

// After drivers_probe: the wanted driver, else its bind file (the probe may pick another one). A
// driver that does not claim the device by its IDs (pci-stub bound by hand) gets it through a
// temporary driver_override, which is then put back to `override_after`.
void ensure_bound(const Root& root, SysfsWriter& w, const PciAddress& a, const std::string& driver,
                  const std::optional<std::string>& override_after) {
  auto now = read_state(root, a).driver;
  if (now == driver) return;
  if (now) unbind(root, w, a, *now);
  if (!root.is_dir(kDrivers + driver)) {
    step_failed(a, driver + " is not loaded, so it cannot take the device", 0,
                "run 'modprobe " + driver + "', then 'ptagent restore --all'");
  }
  const int rc = w.write(kDrivers + driver + "/bind", a.to_string());
  if (rc == ENODEV && read_state(root, a).override_value != driver) {
    set_override(root, w, a, driver);
    write_step(w, a, kProbe, a.to_string(), "probe (drivers_probe) with driver_override " + driver);
    set_override(root, w, a, override_after);
  } else if (rc != 0) {
    step_failed(a, "bind to " + driver + " failed", rc, vfio_hint(driver, a));
  }
  now = read_state(root, a).driver;
  if (now != driver) {
    step_failed(a, "is on " + shown(now) + ", not " + driver + ", after the bind", 0,
                vfio_hint(driver, a));
  }
}

struct Target {
  PciAddress address;
  std::optional<std::string> driver;
  std::optional<std::string> override_value;
};

enum class OnFailure { stop, continue_others };

// Moves every device to its target in phases (all overrides, all unbinds, all probes, then each
// verified), so that vfio-pci never probes one function of a group while another is still on a
// host driver. With OnFailure::stop the first failure is thrown; otherwise failed devices are
// skipped from then on and the failures returned.
std::vector<Error> move_all(const Root& root, SysfsWriter& w, const std::vector<Target>& targets,
                            OnFailure mode) {
  std::vector<Error> failures;
  std::vector<bool> failed(targets.size(), false);
  auto run = [&](std::size_t i, const auto& fn) {
    if (failed[i]) return;
    try {
      fn(targets[i]);
    } catch (const Error& e) {
      if (mode == OnFailure::stop) throw;
      failed[i] = true;
      failures.push_back(e);
    }
  };
  for (std::size_t i = 0; i < targets.size(); ++i) {
    run(i, [&](const Target& t) {
      if (read_state(root, t.address).override_value != t.override_value) {
        set_override(root, w, t.address, t.override_value);
      }
    });
  }
  for (std::size_t i = 0; i < targets.size(); ++i) {
    run(i, [&](const Target& t) {
      auto s = read_state(root, t.address);
      if (s.driver && s.driver != t.driver) unbind(root, w, t.address, *s.driver);
    });
  }
  for (std::size_t i = 0; i < targets.size(); ++i) {
    run(i, [&](const Target& t) {
      if (t.driver && read_state(root, t.address).driver != t.driver) {
        write_step(w, t.address, kProbe, t.address.to_string(), "probe (drivers_probe)");
      }
    });
  }
  for (std::size_t i = 0; i < targets.size(); ++i) {
    run(i, [&](const Target& t) {
      if (t.driver) ensure_bound(root, w, t.address, *t.driver, t.override_value);
      auto s = read_state(root, t.address);
      if (s.driver != t.driver || s.override_value != t.override_value) {
        step_failed(t.address, "is on " + shown(s.driver) + " with driver_override " +
                                   shown(s.override_value) + ", not on " + shown(t.driver) +
                                   " with " + shown(t.override_value));
      }
    });
  }
  return failures;
}

// The Error thrown after a failed operation and the attempt to put things back.
[[noreturn]] void fail_after_rollback(const Error& first, const std::vector<Error>& rollback,
                                      const std::string& back_text,
                                      const std::string& journal_note) {
  std::string cause = first.cause();
  std::string hint = first.hint();
  if (rollback.empty()) {
    cause += "; " + back_text;
  } else {
    cause += "; putting it back failed too:";
    for (const auto& r : rollback) cause += " " + std::string(r.what()) + ";";
    cause += " " + journal_note;
    hint = "fix the cause (see dmesg), then run 'ptagent restore --all'";
  }
  if (hint.empty()) hint = "check dmesg for the driver's message";
  throw Error(ErrorKind::failed, first.reason(), first.object(), cause, hint, first.sys_errno());
}

void check_driver_name(const std::string& driver) {
  bool ok = !driver.empty() && driver.size() <= 64 && driver.front() != '.';
  for (char c : driver) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
      ok = false;
  }
  if (!ok) {
    throw_usage(mention(Input::driver) + " " + quoted(driver), "is not a driver name",
                "give the name of a directory under /sys/bus/pci/drivers, e.g. vfio-pci");
  }
}

const Change* find_bind_entry(const std::vector<Change>& changes, const PciAddress& a) {
  for (const auto& c : changes) {
    if (c.kind == ChangeKind::bind && c.address == a) return &c;
  }
  return nullptr;
}

[[noreturn]] void refuse_existing_entry(const Change& c) {
  throw_refused(c.address->to_string(),
                "the journal already holds a binding of it (to " + c.new_driver + ", by " +
                    c.owner + (c.time.empty() ? std::string() : " at " + c.time) +
                    (c.state == ChangeState::pending ? ", unfinished" : "") + ")",
                "run 'ptagent restore " + c.address->to_string() + "' first");
}

bool noiommu_mode(const Root& root) {
  auto v = root.read_value("/sys/module/vfio/parameters/enable_unsafe_noiommu_mode");
  return v && (*v == "Y" || *v == "1");
}

// Taking a device from vfio-pci while a guest holds its group open would block in the kernel
// until the guest lets go, and then unbind it under the guest's feet: refuse instead.
void refuse_if_held(const Root& root, const PciAddress& a, const std::string& driver) {
  const std::string link = kDevices + a.to_string();
  if (root.link_name(link + "/driver") != driver) return;
  auto g = root.link_name(link + "/iommu_group");
  if (!g) return;
  auto n = parse_int_attr(*g);
  if (!n || *n < 0) return;
  const auto holders = vfio_group_holders(root, static_cast<unsigned>(*n));
  if (holders.empty()) return;
  std::string who;
  for (const auto& h : holders) who += (who.empty() ? "" : ", ") + h.describe();
  throw_busy(a.to_string(), "is in use: /dev/vfio/" + *g + " is held open by " + who,
             "stop the guest that uses it, then restore it again");
}

// The group is the unit of assignment: binding only some of its endpoints leaves a group that
// no guest can use (vfio refuses to open it while another endpoint is on a host driver) and lets
// its functions drift to two guests. Refuse, naming the members left behind.
void refuse_partial_groups(const Inventory& inv,
                           const std::vector<std::pair<PciAddress, bool>>& wanted,
                           const BindRequest& request,
                           const std::optional<HostCritical>& critical) {
  std::vector<unsigned> seen;
  for (const auto& [a, named] : wanted) {
    const Device& d = inv.get(a);
    if (!d.iommu_group || std::find(seen.begin(), seen.end(), *d.iommu_group) != seen.end())
      continue;
    seen.push_back(*d.iommu_group);
    std::string left, stuck, held;
    for (const auto& m : inv.group_members(*d.iommu_group)) {
      const Device& md = inv.get(m);
      if (!md.driver || md.on_vfio() || md.driver == request.driver) continue;
      if (std::any_of(wanted.begin(), wanted.end(), [&](const auto& w) { return w.first == m; }))
        continue;
      const Infrastructure infra = infrastructure_kind(md);
      if (infra == Infrastructure::bus_bridge) continue;  // pcieport: the kernel allows it
      const std::string item = m.to_string() + " (" + *md.driver + ")";
      if (infra != Infrastructure::none) {
        stuck += (stuck.empty() ? "" : ", ") + item + ", " + infrastructure_name(infra);
      } else if (auto why = critical ? critical->reason(m) : std::nullopt) {
        held += (held.empty() ? "" : "; ") + m.to_string() + " " + *why;
      } else {
        left += (left.empty() ? "" : ", ") + item;
      }
    }
    const std::string g = "IOMMU group " + std::to_string(*d.iommu_group);
    if (!stuck.empty()) {
      throw_refused(
          a.to_string(),
          g + " also holds " + stuck +
              ": host infrastructure that stays with the host, so no device of the group can be "
              "assigned and binding it to " +
              request.driver + " would only take it from the host",
          "leave the group on the host; 'ptagent groups' shows which groups can be assigned");
    }
    if (!held.empty()) {
      throw_refused(a.to_string(),
                    "binding it would leave " + g + " split, and the rest cannot follow: " + held,
                    std::string("the group goes to one guest whole, so none of it can be assigned "
                                "while the host needs ") +
                        (held.find(';') == std::string::npos ? "that device" : "those devices"));
    }
    if (!left.empty()) {
      throw_refused(a.to_string(),
                    "binding it alone would leave " + g + " split: " + left +
                        " would stay on the host, and a group goes to one guest whole",
                    "bind the whole group: 'ptagent bind --group " + a.to_string() +
                        "' (or name every "
                        "member: 'ptagent groups' lists them)");
    }
  }
}

std::string journal_file(const Journal& journal) {
  return journal.dir() + "/journal.json";
}

}  // namespace

std::string bind_change_id(const PciAddress& address) {
  return "bind:" + address.to_string();
}

std::vector<std::string> restore_steps(const PciAddress& a,
                                       const std::optional<std::string>& current,
                                       const std::optional<std::string>& driver,
                                       const std::optional<std::string>& override_value) {
  const std::string addr = a.to_string();
  std::vector<std::string> steps;
  steps.push_back("write " + quoted(override_value ? *override_value : "\\n") + " to " + kDevices +
                  addr + "/driver_override" + (override_value ? "" : " (clears it)"));
  if (current && current != driver)
    steps.push_back("write " + quoted(addr) + " to " + kDrivers + *current + "/unbind");
  if (driver && current != driver) steps.push_back("write " + quoted(addr) + " to " + kProbe);
  steps.push_back("check that " + addr + " is on " + (driver ? *driver : "no driver"));
  return steps;
}

BindPlan plan_bind(const Root& root, const Journal& journal, const BindRequest& request,
                   PlanMode mode) {
  if (request.devices.empty())
    throw_usage("DEVICE", "no device given", "name at least one device, e.g. 0000:01:00.0");
  check_driver_name(request.driver);
  return plan_bind(root, Inventory::scan(root), journal, request, mode);
}

BindPlan plan_bind(const Root& root, const Inventory& inv, const Journal& journal,
                   const BindRequest& request, PlanMode mode) {
  if (request.devices.empty())
    throw_usage("DEVICE", "no device given", "name at least one device, e.g. 0000:01:00.0");
  check_driver_name(request.driver);
  const std::string& driver = request.driver;

  BindPlan plan;
  plan.driver = driver;
  std::vector<std::pair<PciAddress, bool>> wanted;  // address, named
  auto add = [&](const PciAddress& a, bool named) {
    for (const auto& w : wanted) {
      if (w.first == a) return;
    }
    wanted.emplace_back(a, named);
  };
  for (const auto& a : request.devices) inv.get(a);  // unknown devices first
  for (const auto& a : request.devices) {
    const Device& d = inv.get(a);
    if (is_infrastructure(d)) {
      throw_refused(a.to_string(), infrastructure_cause(d),
                    d.is_bridge
                        ? "name the endpoints behind it, or use " + mention(Input::whole_group) +
                              " on one of them to take every endpoint of its group"
                        : "bind the endpoints of its group instead, if any can go");
    }
    add(a, true);
    if (request.group == GroupMode::whole_group) {
      if (!d.iommu_group) {
        throw Error(
            ErrorKind::refused, Reason::unsupported, a.to_string(),
            "has no IOMMU group, so " + mention(Input::whole_group) + " has nothing to expand",
            "enable the IOMMU first (run 'ptagent check')");
      }
      for (const auto& m : inv.group_members(*d.iommu_group)) {
        if (!is_infrastructure(inv.get(m))) add(m, false);
      }
    }
  }

  std::optional<HostCritical> critical;
  if (request.guard == CriticalGuard::refuse) critical = HostCritical::scan(root, inv);
  if (request.partial == PartialGroup::refuse)
    refuse_partial_groups(inv, wanted, request, critical);

  if (critical) {
    for (const auto& [a, named] : wanted) {
      if (auto why = critical->reason(a)) {
        throw_refused(
            a.to_string(), *why + ": refusing to bind it to " + driver,
            "binding it would take it away from the host" +
                where_spelled(Input::force, "; add " + mention(Input::force) +
                                                " only if you are sure the host does not need it"));
      }
    }
  }

  for (const auto& [a, named] : wanted) {
    const Device& d = inv.get(a);
    if (d.driver == driver) {
      if (named && request.group != GroupMode::whole_group) {
        throw_refused(a.to_string(), "already bound to " + driver,
                      "nothing to do; 'ptagent restore " + a.to_string() +
                          "' gives it back to its host driver if ptagent bound it");
      }
      plan.already_bound.push_back(a);
      continue;
    }
    plan.devices.push_back({a, d.driver, d.driver_override, driver, named});
  }

  // The journal is checked again under its lock when the binding starts.
  try {
    const auto entries = journal.load();
    for (const auto& b : plan.devices) {
      if (const Change* c = find_bind_entry(entries, b.address)) refuse_existing_entry(*c);
    }
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::refused) throw;
    if (mode == PlanMode::dry_run)
      plan.warnings.push_back(std::string(e.what()) + " (fix: " + e.hint() + ")");
  }

  // Problems the administrator can fix before the real run.
  std::vector<Error> problems;
  if (!root.is_dir(kDrivers + driver)) {
    problems.emplace_back(ErrorKind::failed, driver,
                          "the driver is not loaded (" + kDrivers + driver + " does not exist)",
                          "run 'modprobe " + driver +
                              "' (and list it in /etc/modules-load.d/ to load it "
                              "at boot), then try again");
  }
  if (driver == "vfio-pci" && !noiommu_mode(root)) {
    for (const auto& b : plan.devices) {
      if (!inv.get(b.address).iommu_group) {
        problems.emplace_back(ErrorKind::refused, b.address.to_string(),
                              "has no IOMMU group, so vfio-pci cannot take it (the IOMMU is off)",
                              "enable the IOMMU (run 'ptagent check' for the steps on this host)");
      }
    }
  }
  if (!problems.empty()) {
    if (mode == PlanMode::execute) throw problems.front();
    for (const auto& p : problems)
      plan.warnings.push_back(std::string(p.what()) + " (fix: " + p.hint() + ")");
  }

  for (const auto& b : plan.devices) {
    plan.steps.push_back("record " + b.address.to_string() + " (driver " + shown(b.driver_before) +
                         ", driver_override " + shown(b.override_before) + ") in " +
                         journal_file(journal));
  }
  for (const auto& b : plan.devices) {
    plan.steps.push_back("write " + quoted(driver) + " to " + kDevices + b.address.to_string() +
                         "/driver_override");
  }
  for (const auto& b : plan.devices) {
    if (b.driver_before) {
      plan.steps.push_back("write " + quoted(b.address.to_string()) + " to " + kDrivers +
                           *b.driver_before + "/unbind");
    }
  }
  for (const auto& b : plan.devices) {
    plan.steps.push_back("write " + quoted(b.address.to_string()) + " to " + kProbe);
  }
  for (const auto& b : plan.devices) {
    plan.steps.push_back("check that " + b.address.to_string() + " is on " + driver);
  }
  plan.steps.push_back("mark the journal entries done");
  return plan;
}

BindPlan bind_devices(const Root& root, SysfsWriter& writer, Journal& journal,
                      const BindRequest& request) {
  return bind_devices(root, writer, journal, request,
                      plan_bind(root, journal, request, PlanMode::execute));
}

BindPlan bind_devices(const Root& root, SysfsWriter& writer, Journal& journal,
                      const BindRequest& request, BindPlan plan) {
  if (plan.devices.empty()) return plan;

  // Recorded before any change, under the journal's lock (a concurrent bind of the same device
  // finds this entry and stops).
  journal.update([&](std::vector<Change>& changes) {
    for (const auto& b : plan.devices) {
      if (const Change* c = find_bind_entry(changes, b.address)) refuse_existing_entry(*c);
    }
    for (const auto& b : plan.devices) {
      Change c;
      c.id = bind_change_id(b.address);
      c.kind = ChangeKind::bind;
      c.state = ChangeState::pending;
      c.owner = request.owner;
      c.address = b.address;
      c.original_driver = b.driver_before;
      c.original_override = b.override_before;
      c.new_driver = plan.driver;
      changes.push_back(std::move(c));
    }
  });
  auto is_ours = [&](const Change& c) {
    for (const auto& b : plan.devices) {
      if (c.id == bind_change_id(b.address)) return true;
    }
    return false;
  };

  std::vector<Target> targets;
  for (const auto& b : plan.devices) targets.push_back({b.address, plan.driver, plan.driver});
  try {
    move_all(root, writer, targets, OnFailure::stop);
  } catch (const Error& e) {
    std::vector<Target> back;
    for (const auto& b : plan.devices)
      back.push_back({b.address, b.driver_before, b.override_before});
    const std::vector<Error> rollback = move_all(root, writer, back, OnFailure::continue_others);
    std::string note = "the journal keeps the entries of the devices that are not back";
    try {
      journal.update([&](std::vector<Change>& changes) {
        std::erase_if(changes, [&](const Change& c) {
          if (!is_ours(c)) return false;
          for (const auto& r : rollback) {
            if (c.address && r.object() == c.address->to_string()) return false;
          }
          return true;
        });
      });
    } catch (const Error& j) {
      note = std::string("the journal could not be cleaned up (") + j.what() +
             "); 'ptagent restore --all' will";
    }
    fail_after_rollback(e, rollback,
                        plan.devices.size() == 1 ? "the device was put back as it was"
                                                 : "every device was put back as it was",
                        note);
  }

  try {
    journal.update([&](std::vector<Change>& changes) {
      for (auto& c : changes) {
        if (is_ours(c)) c.state = ChangeState::done;
      }
    });
  } catch (const Error& e) {
    plan.warnings.push_back(std::string("bound, but the journal entries stay marked unfinished: ") +
                            e.what());
  }
  return plan;
}

RestorePlan plan_restore(const Root& root, const std::vector<Change>& journal,
                         std::span<const PciAddress> devices) {
  if (devices.empty()) {
    throw_usage("DEVICE", "no device given",
                "name a device" +
                    where_spelled(Input::all_changes, ", or use " + mention(Input::all_changes)));
  }
  RestorePlan plan;
  for (const auto& a : devices) {
    if (std::any_of(plan.devices.begin(), plan.devices.end(),
                    [&](const DeviceRestore& r) { return r.address == a; })) {
      continue;
    }
    const Change* c = find_bind_entry(journal, a);
    if (!c) {
      throw_not_found(
          a.to_string(), "the journal has no binding of it, so there is nothing to restore",
          "'ptagent restore' undoes only what ptagent did; 'ptagent reattach " + a.to_string() +
              "' gives a device back to its host driver through libvirt");
    }
    const DevState s = read_state(root, a);
    plan.devices.push_back({a, s.driver, c->original_driver, c->original_override, c->owner});
    plan.entries.push_back(*c);
    if (!s.present) {
      plan.steps.push_back(a.to_string() + " is gone from the host: only drop its journal entry");
    } else {
      for (auto& step : restore_steps(a, s.driver, c->original_driver, c->original_override)) {
        plan.steps.push_back(std::move(step));
      }
    }
    plan.steps.push_back("remove the journal entry " + c->id);
  }
  return plan;
}

std::vector<DeviceRestore> restore_devices(const Root& root, SysfsWriter& writer, Journal& journal,
                                           std::span<const PciAddress> devices) {
  const std::vector<Change> entries = read_journal_for_restore(journal);
  RestorePlan plan = plan_restore(root, entries, devices);

  for (std::size_t i = 0; i < plan.devices.size(); ++i) {
    refuse_if_held(root, plan.devices[i].address, plan.entries[i].new_driver);
  }
  std::vector<Target> targets, back;
  for (const auto& d : plan.devices) {
    const DevState s = read_state(root, d.address);
    if (!s.present) continue;
    targets.push_back({d.address, d.driver_after, d.override_after});
    back.push_back({d.address, s.driver, s.override_value});
  }
  try {
    move_all(root, writer, targets, OnFailure::stop);
  } catch (const Error& e) {
    const std::vector<Error> rollback = move_all(root, writer, back, OnFailure::continue_others);
    fail_after_rollback(e, rollback,
                        std::string(targets.size() == 1 ? "the device is" : "the devices are") +
                            " bound as before and the journal keeps the entries",
                        "the journal keeps the entries");
  }
  try {
    journal.update([&](std::vector<Change>& changes) {
      std::erase_if(changes, [&](const Change& c) {
        return std::any_of(plan.entries.begin(), plan.entries.end(),
                           [&](const Change& e) { return e.id == c.id; });
      });
    });
  } catch (const Error& e) {
    // The entries must keep describing the host: bind the devices again, as the call found them.
    const std::vector<Error> rollback = move_all(root, writer, back, OnFailure::continue_others);
    fail_after_rollback(e, rollback,
                        std::string("the journal could not drop the entries, so ") +
                            (targets.size() == 1 ? "the device is" : "the devices are") +
                            " bound as before and the journal keeps them",
                        "the journal keeps the entries");
  }
  return plan.devices;
}

void undo_bind_change(const Root& root, SysfsWriter& writer, const Change& change) {
  if (!change.address) throw_failed(change.id, "the journal entry has no device address");
  const PciAddress& a = *change.address;
  const DevState before = read_state(root, a);
  if (!before.present) return;  // the device is gone: nothing left to undo
  refuse_if_held(root, a, change.new_driver);
  try {
    move_all(root, writer, {{a, change.original_driver, change.original_override}},
             OnFailure::stop);
  } catch (const Error& e) {
    const auto rollback = move_all(root, writer, {{a, before.driver, before.override_value}},
                                   OnFailure::continue_others);
    fail_after_rollback(e, rollback, "it is bound as before (on " + shown(before.driver) + ")",
                        "the journal keeps the entry");
  }
}

}  // namespace ptagent
