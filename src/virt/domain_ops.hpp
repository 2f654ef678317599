// The few libvirt domain calls the CLI needs (never the hook: it would deadlock libvirtd).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "virt/connection.hpp"

namespace ptagent::virt {

enum class Affect { current, live, config, live_and_config };

// Domain XML (inactive definition when `inactive`).
std::string domain_xml(const Connection& conn, const Domain& dom, bool inactive);
bool domain_is_active(const Connection& conn, const Domain& dom);
// name -> live XML of every running domain.
std::vector<std::pair<std::string, std::string>> running_domain_xmls(const Connection& conn);

void attach_device(const Connection& conn, const Domain& dom, const std::string& xml, Affect affect);
void detach_device(const Connection& conn, const Domain& dom, const std::string& xml, Affect affect);

}  // namespace ptagent::virt
