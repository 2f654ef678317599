// The admission rules of a guest start: whether the devices a domain names may go to it, and the
// plan of what ptagent does for it (mdevs to create, unmanaged devices to bind). Nothing changes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ops/mdev.hpp"
#include "ops/vfio_bind.hpp"
#include "pci/address.hpp"
#include "xml/domain.hpp"
#include "xml/metadata.hpp"

namespace ptagent {
class Root;
class Inventory;
class Journal;
}  // namespace ptagent

namespace ptagent::domain {

class DeviceHolders;

// The journal owner of what ptagent does for a domain: "domain:<uuid>".
std::string owner_of(const std::string& domain_uuid);

struct StartPlan {
  DomainInfo info;
  PassthroughMetadata meta;
  std::vector<MdevCreatePlan> mdevs;  // to create or reuse
  std::vector<PciAddress> bind;       // unmanaged devices (and group companions) to bind
  std::optional<BindPlan> bind_plan;  // how (set when `bind` is not empty)
  // Warning findings the domain accepts (<ptagent:accept>), "code: evidence", for the log.
  std::vector<std::string> accepted;
};

// The bind of the plan's unmanaged devices, for this domain.
BindRequest bind_request(const StartPlan& plan);

// Every check, nothing changed: each device is on the host, not host infrastructure or
// host-critical, answers, has a viable IOMMU group; an unmanaged device is not managed='yes';
// nothing is held by another domain (`holders`); each mdev exists or can be created, with enough
// free instances. Throws Error naming the device and the fix.
StartPlan admit(const Root& root, const Inventory& inventory, const DeviceHolders& holders,
                const Journal& journal, const DomainInfo& info, const PassthroughMetadata& meta);

}  // namespace ptagent::domain
