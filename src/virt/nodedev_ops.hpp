// The node-device calls of libvirt, one device at a time, errors translated and no rollback:
// RealLibvirtClient's (src/virt/libvirt_client_real.hpp); the multi-device flows with their
// rollback are the core's (src/domain/node_devices.hpp).
#pragma once

#include "pci/address.hpp"
#include "virt/connection.hpp"

namespace ptagent::virt {

void detach_one(const Connection& conn, const PciAddress& address);
void reattach_one(const Connection& conn, const PciAddress& address);
void reset_one(const Connection& conn, const PciAddress& address);

}  // namespace ptagent::virt
