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
  std::optional<std::uint32_t> vendor;
  if (auto cfg = root.read(base + "/config", 64); cfg && cfg->size() >= 2) {
    vendor = static_cast<std::uint32_t>(static_cast<unsigned char>((*cfg)[0]) |
                                        (static_cast<unsigned char>((*cfg)[1]) << 8));
  } else if (auto v = root.read(base + "/vendor", 64)) {
    vendor = parse_hex_attr(*v);
  }
  if (vendor && *vendor == 0xffff) {
    throw_failed(
        address.to_string(),
        "the device reads vendor ID 0xffff after reset: it is wedged and no longer answers",
        "stop here and reboot the host; then co-assign it with the devices on its bus "
        "instead of resetting it alone");
  }
}

ActionLog detach_devices(const Connection& conn, const Root& root,
                         const std::vector<PciAddress>& devices) {
  ActionLog log;
  // Check all: every device is known to libvirt before anything changes.
  for (const auto& a : devices) NodeDevice::lookup(conn, a);
  std::vector<PciAddress> detached;
  auto rollback = [&](const Error& e, const std::string& step) {
    std::string undone;
    for (auto it = detached.rbegin(); it != detached.rend(); ++it) {
      try {
        reattach_one(conn, *it);
        undone += (undone.empty() ? "" : ", ") + it->to_string();
      } catch (const Error& re) {
        throw Error(ErrorKind::failed, e.object(),
                    e.cause() + "; rollback failed too: " + re.what(),
                    "the devices listed may still be on vfio-pci: 'ptagent reattach' them");
      }
    }
    throw Error(e.kind(), e.object(),
                step + " failed: " + e.cause() +
                    (undone.empty() ? std::string("; nothing was changed")
                                    : "; rolled back: reattached " + undone),
                e.hint());
  };
  for (const auto& a : devices) {
    try {
      detach_one(conn, a);
    } catch (const Error& e) {
      rollback(e, "detach");
    }
    detached.push_back(a);
    log.push_back(a.to_string() + ": detached from its host driver to vfio (libvirt)");
  }
  for (const auto& a : devices) {
    try {
      reset_one(conn, a);
      check_not_wedged(root, a);
    } catch (const Error& e) {
      if (e.cause().find("wedged") != std::string::npos) throw;  // nothing sane to roll back to
      rollback(e, "reset");
    }
    log.push_back(a.to_string() + ": reset (libvirt)");
  }
  return log;
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
      throw Error(e.kind(), e.object(),
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
