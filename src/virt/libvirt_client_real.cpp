#include "virt/libvirt_client_real.hpp"

#include "error.hpp"
#include "virt/domain_ops.hpp"
#include "virt/nodedev_ops.hpp"

namespace ptagent::virt {

RealLibvirtClient::RealLibvirtClient() = default;

// Domains go before the connection they came from.
RealLibvirtClient::~RealLibvirtClient() {
  domains_.clear();
}

void RealLibvirtClient::connect(const std::string& uri, std::chrono::milliseconds timeout) {
  domains_.clear();
  conn_.reset();
  conn_.emplace(Connection::open(uri, timeout));
}

const Connection& RealLibvirtClient::conn() const {
  if (!conn_) throw_failed("libvirt", "no connection", "connect first");
  return *conn_;
}

const Domain& RealLibvirtClient::domain(const std::string& name_or_uuid) {
  auto it = domains_.find(name_or_uuid);
  if (it == domains_.end()) {
    it = domains_
             .emplace(name_or_uuid, std::make_unique<Domain>(Domain::lookup(conn(), name_or_uuid)))
             .first;
  }
  return *it->second;
}

void RealLibvirtClient::lookup_domain(const std::string& d) {
  domain(d);
}

bool RealLibvirtClient::domain_is_active(const std::string& d) {
  return virt::domain_is_active(conn(), domain(d));
}

std::string RealLibvirtClient::domain_xml(const std::string& d, bool inactive) {
  return virt::domain_xml(conn(), domain(d), inactive);
}

std::vector<std::pair<std::string, std::string>> RealLibvirtClient::running_domain_xmls() {
  return virt::running_domain_xmls(conn());
}

void RealLibvirtClient::attach_device(const std::string& d, const std::string& xml, Affect affect) {
  virt::attach_device(conn(), domain(d), xml, affect);
}

void RealLibvirtClient::detach_device(const std::string& d, const std::string& xml, Affect affect) {
  virt::detach_device(conn(), domain(d), xml, affect);
}

void RealLibvirtClient::lookup_node_device(const PciAddress& address) {
  NodeDevice::lookup(conn(), address);
}

void RealLibvirtClient::detach_node_device(const PciAddress& address) {
  detach_one(conn(), address);
}

void RealLibvirtClient::reattach_node_device(const PciAddress& address) {
  reattach_one(conn(), address);
}

void RealLibvirtClient::reset_node_device(const PciAddress& address) {
  reset_one(conn(), address);
}

}  // namespace ptagent::virt
