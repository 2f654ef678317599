#include "virt/connection.hpp"

#include <libvirt/virterror.h>

#include <atomic>
#include <cstdio>
#include <utility>

#include "error.hpp"
#include "virt/errors.hpp"
#include "virt/libvirt_api.hpp"

namespace ptagent::virt {

namespace {

std::atomic<bool> g_abandoned{false};

void silent_handler(void*, virErrorPtr) {}

void init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    libvirt().virInitialize();
    // libvirt prints every error to stderr by default; ptagent reports them itself.
    libvirt().virSetErrorFunc(nullptr, silent_handler);
  });
}

}  // namespace

LibvirtError take_last_error() {
  LibvirtError e;
  if (virErrorPtr p = libvirt().virGetLastError()) {
    e.code = p->code;
    e.domain = p->domain;
    e.message = p->message ? p->message : "";
  }
  libvirt().virResetLastError();
  return e;
}

void mark_abandoned() {
  g_abandoned = true;
}
bool calls_abandoned() {
  return g_abandoned;
}

void throw_timeout(const std::string& what, std::chrono::milliseconds timeout) {
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f", static_cast<double>(timeout.count()) / 1000.0);
  throw Error(
      ErrorKind::failed, Reason::timeout, what,
      std::string("libvirtd did not answer within ") + secs + " s",
      "check that libvirtd is healthy ('systemctl status libvirtd')" +
          where_spelled(Input::timeout, "; raise the bound with " + mention(Input::timeout) +
                                            " if it is merely slow"));
}

Connection Connection::open(const std::string& uri, std::chrono::milliseconds timeout) {
  init_once();
  LibvirtError err;
  std::string u = uri;
  virConnectPtr c = bounded<virConnectPtr>(
      "libvirt connection " + uri, timeout,
      [u]() {
        libvirt().virSetErrorFunc(nullptr, silent_handler);
        return libvirt().virConnectOpen(u.c_str());
      },
      [](const virConnectPtr& p) { return p == nullptr; }, err);
  if (!c) throw_libvirt("libvirt connection " + uri, "connect", err);
  return Connection(c, uri, timeout);
}

Connection::~Connection() {
  // A thread abandoned inside libvirt may still use the connection: leak it rather than race.
  if (conn_ && !calls_abandoned()) libvirt().virConnectClose(conn_);
}

Connection::Connection(Connection&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)),
      uri_(std::move(other.uri_)),
      timeout_(other.timeout_) {}

NodeDevice NodeDevice::lookup(const Connection& conn, const PciAddress& address) {
  LibvirtError err;
  virConnectPtr c = conn.get();
  std::string name = address.nodedev_name();
  virNodeDevicePtr d = bounded<virNodeDevicePtr>(
      address.to_string(), conn.timeout(),
      [c, name]() { return libvirt().virNodeDeviceLookupByName(c, name.c_str()); },
      [](const virNodeDevicePtr& p) { return p == nullptr; }, err);
  if (!d) throw_libvirt(address.to_string(), "lookup of node device " + name, err);
  return NodeDevice(d, address);
}

NodeDevice::~NodeDevice() {
  if (dev_ && !calls_abandoned()) libvirt().virNodeDeviceFree(dev_);
}

NodeDevice::NodeDevice(NodeDevice&& other) noexcept
    : dev_(std::exchange(other.dev_, nullptr)), address_(other.address_) {}

Domain Domain::lookup(const Connection& conn, const std::string& name_or_uuid) {
  LibvirtError err;
  virConnectPtr c = conn.get();
  std::string key = name_or_uuid;
  virDomainPtr d = bounded<virDomainPtr>(
      "domain " + key, conn.timeout(),
      [c, key]() {
        virDomainPtr p = libvirt().virDomainLookupByName(c, key.c_str());
        if (!p && key.size() == 36) {
          libvirt().virResetLastError();
          p = libvirt().virDomainLookupByUUIDString(c, key.c_str());
        }
        return p;
      },
      [](const virDomainPtr& p) { return p == nullptr; }, err);
  if (!d) throw_libvirt("domain '" + key + "'", "lookup", err);
  return Domain(d, key);
}

Domain::~Domain() {
  if (dom_ && !calls_abandoned()) libvirt().virDomainFree(dom_);
}

Domain::Domain(Domain&& other) noexcept
    : dom_(std::exchange(other.dom_, nullptr)), name_(std::move(other.name_)) {}

}  // namespace ptagent::virt
