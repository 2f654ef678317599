// Who holds a host device, from what ptagent and the host know without asking libvirtd: ptagent's
// journal (what it bound or created, and for whom), libvirt's status files of running domains
// (/run/libvirt/qemu/<name>.xml). Read once, asked many times: by the hook's admission,
// `attach`, `mdev`, `sriov` and `probe`. The processes with a VFIO group open are the third
// source (ops/vfio_holders.hpp: read_sriov and mdev_use ask it themselves).
#pragma once

#include <string>
#include <vector>

#include "ops/journal.hpp"
#include "ops/mdev.hpp"
#include "ops/sriov.hpp"
#include "pci/address.hpp"
#include "xml/domain_status.hpp"

namespace ptagent {
class Root;
}  // namespace ptagent

namespace ptagent::domain {

// One reason a device is held.
struct Hold {
  enum class Via { journal, running_domain };
  Via via = Via::journal;
  // journal: the entry's owner ("domain:<uuid>" or "cli"); running_domain: the domain's name.
  std::string who;
  std::string domain_uuid;  // the holding domain's UUID ("" for a journal owner "cli")
};

class DeviceHolders {
 public:
  // From a journal already loaded and the status files already read.
  DeviceHolders(std::vector<Change> journal, RunningDomains running);
  // Reads libvirt's status files under the root; the journal is the caller's (loaded once).
  static DeviceHolders read(const Root& root, std::vector<Change> journal);
  // Loads the journal too.
  static DeviceHolders read(const Root& root);

  // The holds on a PCI function: ptagent's vfio bindings (any owner) and running domains that
  // have it as a host device. A domain whose UUID is `except_uuid` is left out (with its journal
  // entries): a domain does not hold a device against itself.
  std::vector<Hold> of_pci(const PciAddress& address, const std::string& except_uuid = {}) const;
  // The holds on an mdev: the mdevs ptagent created (any owner) and running domains using it.
  std::vector<Hold> of_mdev(const std::string& uuid, const std::string& except_uuid = {}) const;

  // Reasons by device, for read_sriov and mdev_use: vfio bindings and mdevs created for a domain
  // ("bound for domain <uuid> (ptagent journal)"), then "assigned to running domain <name>".
  PciHolders pci_reasons() const;
  MdevHolders mdev_reasons() const;

  const std::vector<Change>& journal() const { return journal_; }
  const RunningDomains& running() const { return running_; }
  // Status files that could not be read or parsed (left out of every answer).
  const std::vector<std::string>& problems() const { return running_.problems; }

 private:
  std::vector<Change> journal_;
  RunningDomains running_;
};

}  // namespace ptagent::domain
