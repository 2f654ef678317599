// The LibvirtClient of ptagent itself: libvirt's C API (loaded with dlopen at the first connect),
// every call bounded in time and its error translated (src/virt/errors.hpp).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "domain/libvirt_client.hpp"
#include "virt/connection.hpp"

namespace ptagent::virt {

class RealLibvirtClient final : public LibvirtClient {
 public:
  RealLibvirtClient();
  ~RealLibvirtClient() override;

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
  const Connection& conn() const;
  // The handle of a domain, looked up at its first use and kept.
  const Domain& domain(const std::string& name_or_uuid);

  std::optional<Connection> conn_;
  std::map<std::string, std::unique_ptr<Domain>> domains_;
};

}  // namespace ptagent::virt
