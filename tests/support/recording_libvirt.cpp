#include "support/recording_libvirt.hpp"

#include <algorithm>
#include <cstdio>

#include "xml/domain.hpp"

namespace ptagent::testing {

namespace {

const char* affect_name(Affect a) {
  switch (a) {
    case Affect::current:
      return "current";
    case Affect::live:
      return "live";
    case Affect::config:
      return "config";
    case Affect::live_and_config:
      return "live+config";
  }
  return "?";
}

// The one PCI host device of a <hostdev> document, read as libvirt reads it.
RecordingLibvirt::Hostdev parse_hostdev(const std::string& xml) {
  const DomainInfo info = parse_domain_xml("<domain><devices>" + xml + "</devices></domain>");
  if (info.pci.size() != 1) throw_usage("hostdev XML", "not one PCI host device: " + xml);
  return {info.pci.front().address, info.pci.front().managed};
}

std::string hostdev_text(const RecordingLibvirt::Hostdev& h) {
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "<hostdev mode='subsystem' type='pci' managed='%s'><source><address "
                "domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/></source></hostdev>",
                h.managed ? "yes" : "no", h.address.domain, h.address.bus, h.address.slot,
                h.address.function);
  return buf;
}

}  // namespace

std::vector<std::string> RecordingLibvirt::changes() const {
  std::vector<std::string> out;
  for (const auto& c : calls) {
    if (c.starts_with("attach_device") || c.starts_with("detach_device") ||
        c.starts_with("detach_node_device") || c.starts_with("reattach_node_device") ||
        c.starts_with("reset_node_device")) {
      out.push_back(c);
    }
  }
  return out;
}

void RecordingLibvirt::fail(const std::string& call, bool always) {
  fail(call, Error(ErrorKind::failed, call, "injected failure", "test"), always);
}

void RecordingLibvirt::fail(const std::string& call, const Error& error, bool always) {
  failures_.push_back(Failure{call, error, always});
}

void RecordingLibvirt::fail_call(std::size_t n) {
  fail_index_ = n;
}

void RecordingLibvirt::record(const std::string& call, const std::string& object) {
  const std::size_t index = calls.size();
  calls.push_back(call);
  if (fail_index_ && *fail_index_ == index) {
    throw Error(ErrorKind::failed, object, "injected failure of call " + std::to_string(index),
                "test");
  }
  for (auto it = failures_.begin(); it != failures_.end(); ++it) {
    if (it->call != call) continue;
    Error e = it->error;
    if (!it->always) failures_.erase(it);
    throw e;
  }
  if (!connected_ && !call.starts_with("connect")) {
    throw Error(ErrorKind::failed, object, "no connection", "connect first");
  }
}

RecordingLibvirt::DomainModel& RecordingLibvirt::domain(const std::string& name) {
  auto it = domains.find(name);
  if (it == domains.end()) {
    throw_not_found("domain '" + name + "'", "libvirt has no such domain",
                    "see 'virsh list --all'");
  }
  return it->second;
}

std::string RecordingLibvirt::xml_of(const std::string& name, bool inactive) const {
  const DomainModel& d = domains.at(name);
  std::string xml = "<domain type='kvm'><name>" + name + "</name>";
  if (!d.uuid.empty()) xml += "<uuid>" + d.uuid + "</uuid>";
  xml += "<devices>";
  for (const auto& h : (inactive || !d.active) ? d.config : d.live) xml += hostdev_text(h);
  return xml + "</devices></domain>";
}

void RecordingLibvirt::connect(const std::string& uri, std::chrono::milliseconds) {
  record("connect " + uri, "libvirt connection " + uri);
  if (daemon_down) {
    throw_failed("libvirt connection " + uri,
                 "libvirtd is not running (Failed to connect socket to "
                 "'/var/run/libvirt/libvirt-sock': No such file or directory)",
                 "start it: systemctl start libvirtd");
  }
  connected_ = true;
}

void RecordingLibvirt::lookup_domain(const std::string& name) {
  record("lookup_domain " + name, "domain '" + name + "'");
  domain(name);
}

bool RecordingLibvirt::domain_is_active(const std::string& name) {
  record("domain_is_active " + name, "domain '" + name + "'");
  return domain(name).active;
}

std::string RecordingLibvirt::domain_xml(const std::string& name, bool inactive) {
  record("domain_xml " + name + (inactive ? " inactive" : " live"), "domain '" + name + "'");
  domain(name);
  return xml_of(name, inactive);
}

std::vector<std::pair<std::string, std::string>> RecordingLibvirt::running_domain_xmls() {
  record("running_domain_xmls", "libvirt");
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, d] : domains) {
    if (d.active) out.emplace_back(name, xml_of(name, false));
  }
  return out;
}

void RecordingLibvirt::attach_device(const std::string& name, const std::string& xml,
                                     Affect affect) {
  const Hostdev h = parse_hostdev(xml);
  record("attach_device " + name + " " + h.address.to_string() + " " + affect_name(affect),
         "domain '" + name + "'");
  DomainModel& d = domain(name);
  const bool live = affects_live(affect, d.active);
  const bool config = affect == Affect::config || affect == Affect::live_and_config || !live;
  if (live && !d.active) throw_failed("domain '" + name + "'", "domain is not running");
  if (live) d.live.push_back(h);
  if (config) d.config.push_back(h);
}

void RecordingLibvirt::detach_device(const std::string& name, const std::string& xml,
                                     Affect affect) {
  const Hostdev h = parse_hostdev(xml);
  record("detach_device " + name + " " + h.address.to_string() + " " + affect_name(affect),
         "domain '" + name + "'");
  DomainModel& d = domain(name);
  const bool live = affects_live(affect, d.active);
  const bool config = affect == Affect::config || affect == Affect::live_and_config || !live;
  auto drop = [&](std::vector<Hostdev>& list) {
    auto it = std::find_if(list.begin(), list.end(),
                           [&](const Hostdev& x) { return x.address == h.address; });
    if (it == list.end()) {
      throw_not_found("domain '" + name + "'", "device not found: " + h.address.to_string());
    }
    list.erase(it);
  };
  if (live && !d.guest_keeps_devices) drop(d.live);
  if (config) drop(d.config);
}

void RecordingLibvirt::lookup_node_device(const PciAddress& a) {
  record("lookup_node_device " + a.to_string(), a.to_string());
  if (!node_devices.count(a)) {
    throw_not_found(a.to_string(), "libvirt has no node device " + a.nodedev_name(),
                    "see 'virsh nodedev-list --cap pci'");
  }
}

void RecordingLibvirt::detach_node_device(const PciAddress& a) {
  record("detach_node_device " + a.to_string(), a.to_string());
  if (!node_devices.count(a)) throw_not_found(a.to_string(), "no node device");
  on_vfio.insert(a);
}

void RecordingLibvirt::reattach_node_device(const PciAddress& a) {
  record("reattach_node_device " + a.to_string(), a.to_string());
  if (!node_devices.count(a)) throw_not_found(a.to_string(), "no node device");
  on_vfio.erase(a);
}

void RecordingLibvirt::reset_node_device(const PciAddress& a) {
  record("reset_node_device " + a.to_string(), a.to_string());
  if (!node_devices.count(a)) throw_not_found(a.to_string(), "no node device");
}

}  // namespace ptagent::testing
