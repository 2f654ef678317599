#include "domain/holders.hpp"

#include <algorithm>
#include <utility>

namespace ptagent::domain {

namespace {

std::string domain_of(const std::string& owner) {
  return owner.rfind("domain:", 0) == 0 ? owner.substr(7) : std::string();
}

}  // namespace

DeviceHolders::DeviceHolders(std::vector<Change> journal, RunningDomains running)
    : journal_(std::move(journal)), running_(std::move(running)) {}

DeviceHolders DeviceHolders::read(const Root& root, std::vector<Change> journal) {
  return DeviceHolders(std::move(journal), read_running_domains(root));
}

DeviceHolders DeviceHolders::read(const Root& root) {
  return read(root, Journal(root).load());
}

std::vector<Hold> DeviceHolders::of_pci(const PciAddress& address,
                                        const std::string& except_uuid) const {
  std::vector<Hold> out;
  for (const auto& c : journal_) {
    if (c.kind != ChangeKind::bind || c.address != address) continue;
    const std::string uuid = domain_of(c.owner);
    if (!except_uuid.empty() && uuid == except_uuid) continue;
    out.push_back({Hold::Via::journal, c.owner, uuid});
  }
  for (const auto& d : running_.domains) {
    if (!except_uuid.empty() && d.uuid == except_uuid) continue;
    if (std::find(d.pci.begin(), d.pci.end(), address) != d.pci.end())
      out.push_back({Hold::Via::running_domain, d.name, d.uuid});
  }
  return out;
}

std::vector<Hold> DeviceHolders::of_mdev(const std::string& uuid,
                                         const std::string& except_uuid) const {
  std::vector<Hold> out;
  for (const auto& c : journal_) {
    if (c.kind != ChangeKind::mdev || c.mdev_uuid != uuid) continue;
    const std::string owner_uuid = domain_of(c.owner);
    if (!except_uuid.empty() && owner_uuid == except_uuid) continue;
    out.push_back({Hold::Via::journal, c.owner, owner_uuid});
  }
  for (const auto& d : running_.domains) {
    if (!except_uuid.empty() && d.uuid == except_uuid) continue;
    if (std::find(d.mdevs.begin(), d.mdevs.end(), uuid) != d.mdevs.end())
      out.push_back({Hold::Via::running_domain, d.name, d.uuid});
  }
  return out;
}

PciHolders DeviceHolders::pci_reasons() const {
  PciHolders holders = journal_pci_holders(journal_);
  for (auto& [addr, why] : status_pci_holders(running_)) {
    auto& list = holders[addr];
    list.insert(list.end(), why.begin(), why.end());
  }
  return holders;
}

MdevHolders DeviceHolders::mdev_reasons() const {
  MdevHolders holders = journal_mdev_holders(journal_);
  for (auto& [uuid, why] : status_mdev_holders(running_)) {
    auto& list = holders[uuid];
    list.insert(list.end(), why.begin(), why.end());
  }
  return holders;
}

}  // namespace ptagent::domain
