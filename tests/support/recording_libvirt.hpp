// A LibvirtClient for tests: answers from a small model of libvirtd (domains with their PCI
// hostdevs, live and persistent; node devices on vfio or on their host driver), records every call
// in order, and fails the call a test names (or the n-th call) with the Error it is given. The
// recorded calls and the model after a failure prove what was undone.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "domain/clock.hpp"
#include "domain/libvirt_client.hpp"
#include "error.hpp"

namespace ptagent::testing {

class RecordingLibvirt final : public LibvirtClient {
 public:
  struct Hostdev {
    PciAddress address;
    bool managed = true;
    bool operator==(const Hostdev&) const = default;
  };
  struct DomainModel {
    std::string uuid;
    bool active = true;
    std::vector<Hostdev> live, config;
    // A live detach leaves the device in the live XML (the guest never completes the unplug).
    bool guest_keeps_devices = false;
  };

  // The model. Domains by name; node devices libvirt knows, and those detached to vfio.
  std::map<std::string, DomainModel> domains;
  std::set<PciAddress> node_devices;
  std::set<PciAddress> on_vfio;
  bool daemon_down = false;  // connect fails as with libvirtd stopped

  // Every call, in order: "connect qemu:///system", "attach_device win10 0000:01:00.0 live", …
  std::vector<std::string> calls;
  // The calls that changed something (attach/detach of a hostdev, node-device detach/reattach/
  // reset), in order.
  std::vector<std::string> changes() const;

  // Fails the first call recorded as exactly `call` ("reattach_node_device 0000:02:00.0"), or
  // every such call with `always`, by throwing `error` (after recording it; nothing changes).
  void fail(const std::string& call, bool always = false);
  void fail(const std::string& call, const Error& error, bool always = false);
  // Fails the n-th call (0-based) whatever it is.
  void fail_call(std::size_t n);

  // A domain's XML as libvirt would give it (the parts ptagent reads).
  std::string xml_of(const std::string& name, bool inactive) const;

  void connect(const std::string& uri, std::chrono::milliseconds timeout) override;
  void lookup_domain(const std::string& domain) override;
  bool domain_is_active(const std::string& domain) override;
  std::string domain_xml(const std::string& domain, bool inactive) override;
  std::vector<std::pair<std::string, std::string>> running_domain_xmls() override;
  void attach_device(const std::string& domain, const std::string& xml, Affect affect) override;
  void detach_device(const std::string& domain, const std::string& xml, Affect affect) override;
  void lookup_node_device(const PciAddress& address) override;
  void detach_node_device(const PciAddress& address) override;
  void reattach_node_device(const PciAddress& address) override;
  void reset_node_device(const PciAddress& address) override;

 private:
  struct Failure {
    std::string call;
    Error error;
    bool always;
  };
  // Records the call and throws if it is to fail.
  void record(const std::string& call, const std::string& object);
  DomainModel& domain(const std::string& name);
  bool connected_ = false;
  std::vector<Failure> failures_;
  std::optional<std::size_t> fail_index_;
};

// A clock that only moves when slept on: waits take no time.
class ManualClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point now() override { return now_; }
  void sleep_for(std::chrono::milliseconds d) override {
    now_ += d;
    slept += d;
  }
  std::chrono::milliseconds slept{0};

 private:
  std::chrono::steady_clock::time_point now_{};
};

}  // namespace ptagent::testing
