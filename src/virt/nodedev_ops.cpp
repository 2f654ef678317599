#include "virt/nodedev_ops.hpp"

#include "error.hpp"
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

}  // namespace ptagent::virt
