// libvirt's status files of running domains (/run/libvirt/qemu/<name>.xml): which host PCI
// functions and mdevs each running guest holds, for the "in use" checks of sriov and mdev.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ops/mdev.hpp"
#include "ops/sriov.hpp"
#include "pci/address.hpp"
#include "sysfs/host_paths.hpp"

namespace ptagent {

class Root;

struct DomainStatus {
  std::string name;
  std::string uuid;
  std::vector<PciAddress> pci;     // <hostdev type='pci'> and <interface> with a hostdev source
  std::vector<std::string> mdevs;  // <hostdev type='mdev'> UUIDs, lower case
};

// Parses a <domstatus> document (or a bare <domain>). Throws Error(usage) naming the problem: not
// XML, a DTD, no <domain>, a malformed host address or mdev UUID.
DomainStatus parse_domain_status(std::string_view xml);

struct RunningDomains {
  std::vector<DomainStatus> domains;
  std::vector<std::string> problems;  // status files that could not be read or parsed
};

// Every *.xml under dir (libvirt removes a domain's status file when it stops).
RunningDomains read_running_domains(const Root& root,
                                    const std::string& dir = kLibvirtQemuStatusDir);

// "running domain web1" for each device a running domain holds.
PciHolders status_pci_holders(const RunningDomains& running);
MdevHolders status_mdev_holders(const RunningDomains& running);

}  // namespace ptagent
