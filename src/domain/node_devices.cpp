#include "domain/node_devices.hpp"

#include "domain/effects.hpp"
#include "domain/libvirt_client.hpp"
#include "domain/libvirt_holders.hpp"
#include "error.hpp"
#include "pci/config_space.hpp"
#include "pci/inventory.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/parse.hpp"
#include "sysfs/root.hpp"

namespace ptagent {

const char* nodedev_op_name(NodedevOp op) {
  switch (op) {
    case NodedevOp::detach:
      return "detach";
    case NodedevOp::reattach:
      return "reattach";
    case NodedevOp::reset:
      return "reset";
  }
  return "?";
}

void check_node_devices(const Inventory& inventory, const NodedevRequest& request) {
  for (const auto& a : request.devices) {
    const Device& d = inventory.get(a);
    if (request.op == NodedevOp::detach && d.on_vfio()) {
      throw_refused(
          a.to_string(), "is already detached (bound to " + *d.driver + ")",
          "nothing to do; 'ptagent reattach " + a.to_string() + "' gives it back to the host");
    }
    if (request.op == NodedevOp::reattach && !d.on_vfio()) {
      throw_refused(
          a.to_string(),
          "is not detached: it is " + (d.driver ? "on " + *d.driver : std::string("unbound")),
          "reattach only gives back devices that are on vfio-pci or pci-stub");
    }
  }
}

ActionLog run_node_devices(const Root& root, Effects& effects, const NodedevRequest& request) {
  LibvirtClient& libvirt = effects.libvirt;
  libvirt.connect(request.uri, request.timeout);
  refuse_held_devices(libvirt, request.devices, nodedev_op_name(request.op));
  switch (request.op) {
    case NodedevOp::detach:
      return detach_node_devices(root, libvirt, request.devices);
    case NodedevOp::reattach:
      return reattach_node_devices(libvirt, request.devices);
    case NodedevOp::reset:
      break;
  }
  return reset_node_devices(root, libvirt, request.devices);
}

void check_not_wedged(const Root& root, const PciAddress& address) {
  const std::string base = pci_device_dir(address.to_string());
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

ActionLog detach_node_devices(const Root& root, LibvirtClient& libvirt,
                              const std::vector<PciAddress>& devices) {
  // Check all: every device is known to libvirt before anything changes.
  for (const auto& a : devices) libvirt.lookup_node_device(a);
  ActionLog log;
  std::vector<PciAddress> detached;
  // A failed step leaves every device where it was: reattach what was detached, newest first,
  // then report the failure (a wedged device keeps its cause and its "reboot the host" remedy).
  auto rollback = [&](const Error& e, const std::string& step) {
    std::string undone, failed;
    std::string failure;
    for (auto it = detached.rbegin(); it != detached.rend(); ++it) {
      try {
        libvirt.reattach_node_device(*it);
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
      libvirt.detach_node_device(a);
    } catch (const Error& e) {
      rollback(e, "detach");
    }
    detached.push_back(a);
    log.push_back(a.to_string() + ": detached from its host driver to vfio (libvirt)");
  }
  for (const auto& a : devices) {
    try {
      libvirt.reset_node_device(a);
      check_not_wedged(root, a);
    } catch (const Error& e) {
      rollback(e, "reset");
    }
    log.push_back(a.to_string() + ": reset (libvirt)");
  }
  return log;
}

ActionLog reattach_node_devices(LibvirtClient& libvirt, const std::vector<PciAddress>& devices) {
  for (const auto& a : devices) libvirt.lookup_node_device(a);
  ActionLog log;
  std::vector<PciAddress> done;
  for (const auto& a : devices) {
    try {
      libvirt.reattach_node_device(a);
    } catch (const Error& e) {
      std::string redone;
      for (auto it = done.rbegin(); it != done.rend(); ++it) {
        try {
          libvirt.detach_node_device(*it);
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

ActionLog reset_node_devices(const Root& root, LibvirtClient& libvirt,
                             const std::vector<PciAddress>& devices) {
  for (const auto& a : devices) libvirt.lookup_node_device(a);
  ActionLog log;
  for (const auto& a : devices) {
    libvirt.reset_node_device(a);
    check_not_wedged(root, a);
    log.push_back(a.to_string() + ": reset (libvirt)");
  }
  return log;
}

}  // namespace ptagent
