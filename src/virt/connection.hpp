// RAII handles over the libvirt C API, with errors captured per call and every call bounded in
// time: a hung daemon gives an Error, never a hung CLI.
#pragma once

#include <libvirt/libvirt.h>

#include <chrono>
#include <functional>
#include <string>
#include <utility>

#include "pci/address.hpp"
#include "util/bounded_call.hpp"

namespace ptagent::virt {

struct LibvirtError {
  int code = 0;    // virErrorNumber
  int domain = 0;  // virErrorDomain
  std::string message;
};

// Reads and clears the calling thread's libvirt error.
LibvirtError take_last_error();
// Remembers that a call was abandoned after its timeout; its thread may still be blocked in
// libvirt, so handles are leaked rather than closed under it.
void mark_abandoned();
bool calls_abandoned();
[[noreturn]] void throw_timeout(const std::string& what, std::chrono::milliseconds timeout);

// Runs fn in a worker thread bounded by `timeout`. fn must capture by value: it may outlive the
// caller's frame when abandoned. `failed(result)` tells whether libvirt reported an error, which
// is then captured in that thread and returned through `error`.
template <typename T>
T bounded(const std::string& what, std::chrono::milliseconds timeout, std::function<T()> fn,
          std::function<bool(const T&)> failed, LibvirtError& error) {
  auto r = call_with_timeout<std::pair<T, LibvirtError>>(
      [fn, failed] {
        T value = fn();
        LibvirtError e;
        if (failed(value)) e = take_last_error();
        return std::pair<T, LibvirtError>(value, std::move(e));
      },
      timeout);
  if (!r) {
    mark_abandoned();
    throw_timeout(what, timeout);
  }
  error = std::move(r->second);
  return r->first;
}

class Connection {
 public:
  // Opens `uri` (e.g. qemu:///system). Throws a translated Error if libvirtd is down or the URI
  // is bad; the open itself is bounded by `timeout`, as is every call made with this connection.
  static Connection open(const std::string& uri, std::chrono::milliseconds timeout);
  ~Connection();
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&&) = delete;
  Connection(const Connection&) = delete;

  virConnectPtr get() const { return conn_; }
  const std::string& uri() const { return uri_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  Connection(virConnectPtr c, std::string uri, std::chrono::milliseconds t)
      : conn_(c), uri_(std::move(uri)), timeout_(t) {}
  virConnectPtr conn_ = nullptr;
  std::string uri_;
  std::chrono::milliseconds timeout_;
};

class NodeDevice {
 public:
  // Looks up pci_DDDD_BB_SS_F; throws a translated Error if libvirt does not know the device.
  static NodeDevice lookup(const Connection& conn, const PciAddress& address);
  ~NodeDevice();
  NodeDevice(NodeDevice&& other) noexcept;
  NodeDevice& operator=(NodeDevice&&) = delete;
  NodeDevice(const NodeDevice&) = delete;
  virNodeDevicePtr get() const { return dev_; }
  const PciAddress& address() const { return address_; }

 private:
  NodeDevice(virNodeDevicePtr d, PciAddress a) : dev_(d), address_(a) {}
  virNodeDevicePtr dev_ = nullptr;
  PciAddress address_;
};

class Domain {
 public:
  // By name or UUID; throws Error(not_found) naming the domain.
  static Domain lookup(const Connection& conn, const std::string& name_or_uuid);
  ~Domain();
  Domain(Domain&& other) noexcept;
  Domain& operator=(Domain&&) = delete;
  Domain(const Domain&) = delete;
  virDomainPtr get() const { return dom_; }
  const std::string& name() const { return name_; }

 private:
  Domain(virDomainPtr d, std::string n) : dom_(d), name_(std::move(n)) {}
  virDomainPtr dom_ = nullptr;
  std::string name_;
};

}  // namespace ptagent::virt
