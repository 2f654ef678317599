#include "virt/errors.hpp"

#include <libvirt/virterror.h>

namespace ptagent::virt {

namespace {
bool has(const std::string& text, const char* needle) {
  return text.find(needle) != std::string::npos;
}

std::string domain_from_in_use(const std::string& msg) {
  // "... is in use by driver QEMU, domain NAME"
  auto pos = msg.find(", domain ");
  if (pos == std::string::npos) return {};
  std::string name = msg.substr(pos + 9);
  while (!name.empty() && (name.back() == '\n' || name.back() == '.')) name.pop_back();
  return name;
}
}  // namespace

Translation translate(const LibvirtError& e, const std::string& operation) {
  const std::string& m = e.message;
  Translation t;
  if (has(m, "VFIO device assignment is currently not supported")) {
    t.cause = "the IOMMU or vfio is missing on this host";
    t.hint =
        "run 'ptagent check' for the exact steps (IOMMU on the kernel command line, vfio modules)";
    t.reason = Reason::unsupported;
  } else if (has(m, "no FLR, PM reset or bus reset available")) {
    t.cause = "the device cannot be reset on its own";
    t.hint =
        "it must be co-assigned with the devices that share its bus: run 'ptagent probe DEVICE' "
        "for the exact set";
    t.kind = ErrorKind::refused;
    t.reason = Reason::refused;
  } else if (has(m, "in use by driver")) {
    std::string dom = domain_from_in_use(m);
    t.cause = dom.empty() ? "the device is in use by a running guest"
                          : "the device is in use by the running domain '" + dom + "'";
    t.hint = dom.empty()
                 ? "shut the guest down or detach the device from it first"
                 : "shut down '" + dom + "' or run 'virsh detach-device " + dom + " ...' first";
    t.kind = ErrorKind::refused;
    t.reason = Reason::busy;
  } else if (has(m, "no connection driver available") || has(m, "Unable to parse URI") ||
             has(m, "unsupported URI") || has(m, "unexpected qemu URI path") ||
             (operation == "connect" && e.code == VIR_ERR_INVALID_ARG)) {
    t.cause = "libvirt does not accept this connection URI";
    t.hint = "use a URI such as qemu:///system" +
             where_spelled(Input::connect_uri, " (" + mention(Input::connect_uri) + ")");
    t.kind = ErrorKind::usage;
    t.reason = Reason::invalid_input;
  } else if (has(m, "Failed to connect socket") || e.code == VIR_ERR_NO_CONNECT ||
             (operation == "connect" &&
              (has(m, "No such file or directory") || has(m, "Connection refused")))) {
    t.cause = "libvirtd is not running or its socket is missing";
    t.hint = "start it: 'systemctl start libvirtd' (or 'libvirtd -d'), then retry";
  } else if (has(m, "Permission denied") || e.code == VIR_ERR_AUTH_FAILED ||
             e.code == VIR_ERR_AUTH_UNAVAILABLE || e.code == VIR_ERR_ACCESS_DENIED) {
    t.cause = "not allowed to talk to libvirtd";
    t.hint = "run as root or as a member of the libvirt group";
  } else if (e.code == VIR_ERR_NO_NODE_DEVICE) {
    t.cause = "libvirt does not know this node device";
    t.hint = "check 'virsh nodedev-list --cap pci'";
    t.kind = ErrorKind::not_found;
    t.reason = Reason::not_found;
  } else if (e.code == VIR_ERR_NO_DOMAIN) {
    t.cause = "no such domain";
    t.hint = "check 'virsh list --all'";
    t.kind = ErrorKind::not_found;
    t.reason = Reason::not_found;
  } else {
    t.cause = operation + " failed";
    t.hint = "see libvirt's message above; 'journalctl -u libvirtd' may say more";
  }
  return t;
}

void throw_libvirt(const std::string& object, const std::string& operation, const LibvirtError& e) {
  Translation t = translate(e, operation);
  std::string libvirt_text = e.message.empty() ? "(libvirt gave no message)" : e.message;
  throw Error(t.kind, t.reason, object,
              operation + ": " + t.cause + " (libvirt: " + libvirt_text + ")", t.hint);
}

}  // namespace ptagent::virt
