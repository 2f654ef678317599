#include "virt/nodedev_ops.hpp"

#include "error.hpp"
#include "pci/config_space.hpp"
#include "sysfs/parse.hpp"
#include "sysfs/root.hpp"
#include "virt/errors.hpp"
#include "virt/libvirt_api.hpp"

namespace ptagent::virt {

namespace {

enum class Call { detach, reattach, reset };

const char* call_name(Call c) {
  switch (c) {
    case Call::detach:
      return "detach";
    case Call::reattach:
      return "reattach";
    case Call::reset:
      return "reset";
  }
  return "?";
}

void run(const Connection& conn, const PciAddress& address, Call call) {
  NodeDevice dev = NodeDevice::lookup(conn, address);
  virNodeDevicePtr p = dev.get();
  LibvirtError err;
  int rc = bounded<int>(
      address.to_string(), conn.timeout(),
      [p, call]() {
        switch (call) {
          case Call::detach:
            return libvirt().virNodeDeviceDetachFlags(p, "vfio", 0);
          case Call::reattach:
            return libvirt().virNodeDeviceReAttach(p);
          case Call::reset:
            return libvirt().virNodeDeviceReset(p);
        }
        return -1;
      },
      [](const int& r) { return r < 0; }, err);
  if (rc < 0) throw_libvirt(address.to_string(), call_name(call), err);
}

}  // namespace

void detach_one(const Connection& conn, const PciAddress& a) {
  run(conn, a, Call::detach);
}
void reattach_one(const Connection& conn, const PciAddress& a) {
  run(conn, a, Call::reattach);
}
void reset_one(const Connection& conn, const PciAddress& a) {
  run(conn, a, Call::reset);
}

void check_not_wedged(const Root& root, const PciAddress& address) {
  const std::string base = "/sys/bus/pci/devices/" + address.to_string();
  // A VF's vendor/device ID read 0xffff by design (PCIe SR-IOV): judge it by the registers it does
  // implement (revision/class, command/status), never by its IDs.
  const bool vf = root.is_symlink(base + "/physfn");
  const ConfigOrigin origin = vf ? ConfigOrigin::virtual_function : ConfigOrigin::function;
  std::optional<bool> dead;
  if (auto cfg = root.read(base + "/config", 64)) dead = config_space_dead(*cfg, origin);
  if (!dead && !vf) {
    // No config space to read: the sysfs vendor file (a VF's holds the real ID, so not for a VF).
    if (auto v = root.read(base + "/vendor", 64)) {
      if (auto id = parse_hex_attr(*v)) dead = *id == 0xffff;
    }
  }
  if (dead && *dead) {
    throw Error(ErrorKind::failed, Reason::wedged, address.to_string(),
                vf ? "the virtual function's config space reads all ones (class/revision or "
                     "command/status 0xffffffff) after reset: it is wedged and no longer answers"
                   : "the device reads vendor ID 0xffff after reset: it is wedged and no longer "
                     "answers",
                "stop here and reboot the host; then co-assign it with the devices on its bus "
                "instead of resetting it alone");
  }
}

bool is_wedged_error(const Error& e) {
  return e.reason() == Reason::wedged;
}

ActionLog detach_devices(const NodedevSteps& steps, const std::vector<PciAddress>& devices) {
  ActionLog log;
  std::vector<PciAddress> detached;
  // A failed step leaves every device where it was: reattach what was detached, newest first,
  // then report the failure (a wedged device keeps its cause and its "reboot the host" remedy).
  auto rollback = [&](const Error& e, const std::string& step) {
    std::string undone, failed;
    std::string failure;
    for (auto it = detached.rbegin(); it != detached.rend(); ++it) {
      try {
        steps.reattach(*it);
        undone += (undone.empty() ? "" : ", ") + it->to_string();
      } catch (const Error& re) {
        failed += (failed.empty() ? "" : ", ") + it->to_string();
        if (failure.empty()) failure = re.what();
      }
    }
    if (!failed.empty()) {
      throw Error(ErrorKind::failed, e.reason(), e.object(),
                  step + " failed: " + e.cause() + "; rollback failed too: " + failure +
                      (undone.empty() ? std::string() : "; reattached " + undone),
                  "still on vfio-pci: " + failed + "; 'ptagent reattach " + failed +
                      "' gives them back" + (e.hint().empty() ? std::string() : "; " + e.hint()));
    }
    throw Error(e.kind(), e.reason(), e.object(),
                step + " failed: " + e.cause() +
                    (undone.empty() ? std::string("; nothing was changed")
                                    : "; rolled back: reattached " + undone),
                e.hint());
  };
  for (const auto& a : devices) {
    try {
      steps.detach(a);
    } catch (const Error& e) {
      rollback(e, "detach");
    }
    detached.push_back(a);
    log.push_back(a.to_string() + ": detached from its host driver to vfio (libvirt)");
  }
  for (const auto& a : devices) {
    try {
      steps.reset(a);
      steps.check(a);
    } catch (const Error& e) {
      rollback(e, "reset");
    }
    log.push_back(a.to_string() + ": reset (libvirt)");
  }
  return log;
}

ActionLog detach_devices(const Connection& conn, const Root& root,
                         const std::vector<PciAddress>& devices) {
  // Check all: every device is known to libvirt before anything changes.
  for (const auto& a : devices) NodeDevice::lookup(conn, a);
  NodedevSteps steps;
  steps.detach = [&](const PciAddress& a) { detach_one(conn, a); };
  steps.reattach = [&](const PciAddress& a) { reattach_one(conn, a); };
  steps.reset = [&](const PciAddress& a) { reset_one(conn, a); };
  steps.check = [&](const PciAddress& a) { check_not_wedged(root, a); };
  return detach_devices(steps, devices);
}

ActionLog reattach_devices(const Connection& conn, const std::vector<PciAddress>& devices) {
  ActionLog log;
  for (const auto& a : devices) NodeDevice::lookup(conn, a);
  std::vector<PciAddress> done;
  for (const auto& a : devices) {
    try {
      reattach_one(conn, a);
    } catch (const Error& e) {
      std::string redone;
      for (auto it = done.rbegin(); it != done.rend(); ++it) {
        try {
          detach_one(conn, *it);
          redone += (redone.empty() ? "" : ", ") + it->to_string();
        } catch (const Error&) {
        }
      }
      throw Error(e.kind(), e.reason(), e.object(),
                  "reattach failed: " + e.cause() +
                      (redone.empty() ? std::string("; nothing was changed")
                                      : "; rolled back: detached " + redone + " again"),
                  e.hint());
    }
    done.push_back(a);
    log.push_back(a.to_string() + ": reattached to its host driver (libvirt)");
  }
  return log;
}

ActionLog reset_devices(const Connection& conn, const Root& root,
                        const std::vector<PciAddress>& devices) {
  ActionLog log;
  for (const auto& a : devices) NodeDevice::lookup(conn, a);
  for (const auto& a : devices) {
    reset_one(conn, a);
    check_not_wedged(root, a);
    log.push_back(a.to_string() + ": reset (libvirt)");
  }
  return log;
}

}  // namespace ptagent::virt
