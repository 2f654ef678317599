#include "ops/vfio_bind_plan.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include "error.hpp"
#include "host/critical.hpp"
#include "ops/journal.hpp"
#include "pci/inventory.hpp"
#include "pci/vfio_variant.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/parse.hpp"
#include "sysfs/root.hpp"

namespace ptagent {

namespace {

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
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

bool noiommu_mode(const Root& root) {
  auto v = root.read_value(module_parameter("vfio", "enable_unsafe_noiommu_mode"));
  return v && (*v == "Y" || *v == "1");
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

// The driver a device is bound to: its best VFIO driver, or the named one after checking that it
// can take the device. pci-stub takes anything; any other name must be one of the device's VFIO
// drivers, so a typo or a host driver is refused before anything changes.
std::string bind_target(const Device& d, const VfioAliases& aliases, const std::string& driver) {
  const VfioChoice c = vfio_choice(d, aliases);
  if (driver == kBestVfioDriver) {
    if (!c.best()) throw_refused(d.address.to_string(), infrastructure_cause(d));
    return c.best()->driver;
  }
  if (const VfioCandidate* named = c.find(driver)) return named->driver;
  throw_refused(d.address.to_string(),
                driver + " is not a VFIO driver that can take it: its VFIO drivers are " +
                    (c.candidates.empty() ? std::string("none") : c.names()),
                "name one of them with " + mention(Input::driver) + ", or leave " +
                    mention(Input::driver) + " out to bind the best (" +
                    (c.best() ? c.best()->driver : std::string("vfio-pci")) +
                    "); pci-stub also takes any device");
}

}  // namespace

BindingState read_binding_state(const Root& root, const PciAddress& a) {
  BindingState s;
  const std::string link = pci_device_dir(a.to_string());
  s.present = root.is_dir(link);
  s.driver = root.link_name(link + "/driver");
  if (auto v = root.read(link + "/driver_override", 4096))
    s.override_value = parse_driver_override(*v);
  return s;
}

std::string driver_or_none(const std::optional<std::string>& driver) {
  return driver.value_or("none");
}

const Change* find_bind_entry(const std::vector<Change>& changes, const PciAddress& a) {
  for (const auto& c : changes) {
    if (c.kind == ChangeKind::bind && c.address == a) return &c;
  }
  return nullptr;
}

void refuse_existing_entry(const Change& c) {
  throw_refused(c.address->to_string(),
                "the journal already holds a binding of it (to " + c.new_driver + ", by " +
                    c.owner + (c.time.empty() ? std::string() : " at " + c.time) +
                    (c.state == ChangeState::pending ? ", unfinished" : "") + ")",
                "run 'ptagent restore " + c.address->to_string() + "' first");
}

std::string bind_change_id(const PciAddress& address) {
  return "bind:" + address.to_string();
}

std::vector<std::string> restore_steps(const PciAddress& a,
                                       const std::optional<std::string>& current,
                                       const std::optional<std::string>& driver,
                                       const std::optional<std::string>& override_value) {
  const std::string addr = a.to_string();
  std::vector<std::string> steps;
  steps.push_back("write " + quoted(override_value ? *override_value : "\\n") + " to " +
                  pci_device_dir(addr) + "/driver_override" +
                  (override_value ? "" : " (clears it)"));
  if (current && current != driver)
    steps.push_back("write " + quoted(addr) + " to " + pci_driver_dir(*current) + "/unbind");
  if (driver && current != driver)
    steps.push_back("write " + quoted(addr) + " to " + kPciDriversProbe);
  steps.push_back("check that " + addr + " is on " + (driver ? *driver : "no driver"));
  return steps;
}

BindPlan plan_bind(const Root& root, const Journal& journal, const BindRequest& request,
                   PlanMode mode) {
  if (request.devices.empty())
    throw_usage("DEVICE", "no device given", "name at least one device, e.g. 0000:01:00.0");
  if (request.driver != kBestVfioDriver) check_driver_name(request.driver);
  return plan_bind(root, Inventory::scan(root), journal, request, mode);
}

BindPlan plan_bind(const Root& root, const Inventory& inv, const Journal& journal,
                   const BindRequest& request, PlanMode mode) {
  if (request.devices.empty())
    throw_usage("DEVICE", "no device given", "name at least one device, e.g. 0000:01:00.0");
  if (request.driver != kBestVfioDriver) check_driver_name(request.driver);
  const std::string& driver = request.driver;

  BindPlan plan;
  plan.driver = driver;
  plan.owner = request.owner;
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
            a.to_string(),
            *why + ": refusing to bind it to " +
                (driver == kBestVfioDriver ? std::string("a VFIO driver") : driver),
            "binding it would take it away from the host" +
                where_spelled(Input::force, "; add " + mention(Input::force) +
                                                " only if you are sure the host does not need it"));
      }
    }
  }

  std::optional<VfioAliases> aliases;
  if (driver != "pci-stub") aliases = VfioAliases::load(root);
  for (const auto& [a, named] : wanted) {
    const Device& d = inv.get(a);
    const std::string target = aliases ? bind_target(d, *aliases, driver) : driver;
    if (d.driver == target) {
      if (named && request.group != GroupMode::whole_group) {
        throw_refused(a.to_string(), "already bound to " + target,
                      "nothing to do; 'ptagent restore " + a.to_string() +
                          "' gives it back to its host driver if ptagent bound it");
      }
      plan.already_bound.push_back(a);
      continue;
    }
    plan.devices.push_back({a, d.driver, d.driver_override, target, named});
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
  std::vector<std::string> targets;
  if (plan.devices.empty() && driver != kBestVfioDriver) targets.push_back(driver);
  for (const auto& b : plan.devices) {
    if (std::find(targets.begin(), targets.end(), b.driver_after) == targets.end())
      targets.push_back(b.driver_after);
  }
  for (const auto& t : targets) {
    if (!root.is_dir(pci_driver_dir(t))) {
      problems.emplace_back(ErrorKind::failed, t,
                            "the driver is not loaded (" + pci_driver_dir(t) + " does not exist)",
                            "run 'modprobe " + t +
                                "' (and list it in /etc/modules-load.d/ to load it "
                                "at boot), then try again");
    }
  }
  if (!noiommu_mode(root)) {
    for (const auto& b : plan.devices) {
      if (b.driver_after != "pci-stub" && !inv.get(b.address).iommu_group) {
        problems.emplace_back(
            ErrorKind::refused, b.address.to_string(),
            "has no IOMMU group, so " + b.driver_after + " cannot take it (the IOMMU is off)",
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
    plan.steps.push_back("record " + b.address.to_string() + " (driver " +
                         driver_or_none(b.driver_before) + ", driver_override " +
                         driver_or_none(b.override_before) + ") in " + journal_file(journal.dir()));
  }
  for (const auto& b : plan.devices) {
    plan.steps.push_back("write " + quoted(b.driver_after) + " to " +
                         pci_device_dir(b.address.to_string()) + "/driver_override");
  }
  for (const auto& b : plan.devices) {
    if (b.driver_before) {
      plan.steps.push_back("write " + quoted(b.address.to_string()) + " to " +
                           pci_driver_dir(*b.driver_before) + "/unbind");
    }
  }
  for (const auto& b : plan.devices) {
    plan.steps.push_back("write " + quoted(b.address.to_string()) + " to " + kPciDriversProbe);
  }
  for (const auto& b : plan.devices) {
    plan.steps.push_back("check that " + b.address.to_string() + " is on " + b.driver_after);
  }
  plan.steps.push_back("mark the journal entries done");
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
    const BindingState s = read_binding_state(root, a);
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

}  // namespace ptagent
