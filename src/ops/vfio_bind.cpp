#include "ops/vfio_bind.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "error.hpp"
#include "ops/errno_text.hpp"
#include "ops/restore.hpp"
#include "ops/vfio_holders.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/parse.hpp"
#include "sysfs/root.hpp"
#include "sysfs/sysfs_writer.hpp"
#include "util/join.hpp"

namespace ptagent {

namespace {

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
  write_step(w, a, pci_device_dir(a.to_string()) + "/driver_override", value ? *value : "\n", what);
  const auto now = read_binding_state(root, a).override_value;
  if (now != value)
    step_failed(a, "driver_override reads " + driver_or_none(now) + " after " + what);
}

void unbind(const Root& root, SysfsWriter& w, const PciAddress& a, const std::string& driver) {
  write_step(w, a, pci_driver_dir(driver) + "/unbind", a.to_string(), "unbind from " + driver);
  if (auto now = read_binding_state(root, a).driver) {
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
  auto now = read_binding_state(root, a).driver;
  if (now == driver) return;
  if (now) unbind(root, w, a, *now);
  if (!root.is_dir(pci_driver_dir(driver))) {
    step_failed(a, driver + " is not loaded, so it cannot take the device", 0,
                "run 'modprobe " + driver + "', then 'ptagent restore --all'");
  }
  const int rc = w.write(pci_driver_dir(driver) + "/bind", a.to_string());
  if (rc == ENODEV && read_binding_state(root, a).override_value != driver) {
    set_override(root, w, a, driver);
    write_step(w, a, kPciDriversProbe, a.to_string(),
               "probe (drivers_probe) with driver_override " + driver);
    set_override(root, w, a, override_after);
  } else if (rc != 0) {
    step_failed(a, "bind to " + driver + " failed", rc, vfio_hint(driver, a));
  }
  now = read_binding_state(root, a).driver;
  if (now != driver) {
    step_failed(a, "is on " + driver_or_none(now) + ", not " + driver + ", after the bind", 0,
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
      if (read_binding_state(root, t.address).override_value != t.override_value) {
        set_override(root, w, t.address, t.override_value);
      }
    });
  }
  for (std::size_t i = 0; i < targets.size(); ++i) {
    run(i, [&](const Target& t) {
      auto s = read_binding_state(root, t.address);
      if (s.driver && s.driver != t.driver) unbind(root, w, t.address, *s.driver);
    });
  }
  for (std::size_t i = 0; i < targets.size(); ++i) {
    run(i, [&](const Target& t) {
      if (t.driver && read_binding_state(root, t.address).driver != t.driver) {
        write_step(w, t.address, kPciDriversProbe, t.address.to_string(), "probe (drivers_probe)");
      }
    });
  }
  for (std::size_t i = 0; i < targets.size(); ++i) {
    run(i, [&](const Target& t) {
      if (t.driver) ensure_bound(root, w, t.address, *t.driver, t.override_value);
      auto s = read_binding_state(root, t.address);
      if (s.driver != t.driver || s.override_value != t.override_value) {
        step_failed(t.address, "is on " + driver_or_none(s.driver) + " with driver_override " +
                                   driver_or_none(s.override_value) + ", not on " +
                                   driver_or_none(t.driver) + " with " +
                                   driver_or_none(t.override_value));
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

// Taking a device from vfio-pci while a guest holds its group open would block in the kernel
// until the guest lets go, and then unbind it under the guest's feet: refuse instead.
void refuse_if_held(const Root& root, const PciAddress& a, const std::string& driver) {
  const std::string link = pci_device_dir(a.to_string());
  if (root.link_name(link + "/driver") != driver) return;
  auto g = root.link_name(link + "/iommu_group");
  if (!g) return;
  auto n = parse_int_attr(*g);
  if (!n || *n < 0) return;
  const auto holders = vfio_group_holders(root, static_cast<unsigned>(*n));
  if (holders.empty()) return;
  std::string who = join(holders, ", ", [](const auto& h) { return h.describe(); });
  throw_busy(a.to_string(), "is in use: /dev/vfio/" + *g + " is held open by " + who,
             "stop the guest that uses it, then restore it again");
}

}  // namespace

BindPlan bind_devices(const Root& root, SysfsWriter& writer, Journal& journal, BindPlan plan) {
  if (plan.devices.empty()) return plan;

  // Recorded before any change, under the journal's lock (a concurrent bind of the same device
  // finds this entry and stops).
  journal.update([&](std::vector<Change>& changes) {
    for (const auto& b : plan.devices) {
      if (const Change* c = find_bind_entry(changes, b.address)) refuse_existing_entry(*c);
    }
    for (const auto& b : plan.devices) {
      Change c = pending_change(bind_change_id(b.address), ChangeKind::bind, plan.owner);
      c.address = b.address;
      c.original_driver = b.driver_before;
      c.original_override = b.override_before;
      c.new_driver = b.driver_after;
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
  for (const auto& b : plan.devices) targets.push_back({b.address, b.driver_after, b.driver_after});
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

std::vector<DeviceRestore> restore_devices(const Root& root, SysfsWriter& writer, Journal& journal,
                                           std::span<const PciAddress> devices) {
  const std::vector<Change> entries = read_journal_for_restore(journal);
  RestorePlan plan = plan_restore(root, entries, devices);

  for (std::size_t i = 0; i < plan.devices.size(); ++i) {
    refuse_if_held(root, plan.devices[i].address, plan.entries[i].new_driver);
  }
  std::vector<Target> targets, back;
  for (const auto& d : plan.devices) {
    const BindingState s = read_binding_state(root, d.address);
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
  const BindingState before = read_binding_state(root, a);
  if (!before.present) return;  // the device is gone: nothing left to undo
  refuse_if_held(root, a, change.new_driver);
  try {
    move_all(root, writer, {{a, change.original_driver, change.original_override}},
             OnFailure::stop);
  } catch (const Error& e) {
    const auto rollback = move_all(root, writer, {{a, before.driver, before.override_value}},
                                   OnFailure::continue_others);
    fail_after_rollback(e, rollback,
                        "it is bound as before (on " + driver_or_none(before.driver) + ")",
                        "the journal keeps the entry");
  }
}

}  // namespace ptagent
