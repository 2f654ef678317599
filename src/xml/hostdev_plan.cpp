#include "xml/hostdev_plan.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace ptagent {

std::optional<PciAddress> repeated_device(const std::vector<PciAddress>& pci) {
  std::set<PciAddress> seen;
  for (const auto& a : pci) {
    if (!seen.insert(a).second) return a;
  }
  return std::nullopt;
}

std::optional<HostdevRequestProblem> check_hostdev_request(const HostdevRequest& request) {
  using Kind = HostdevRequestProblem::Kind;
  const auto& pci = request.pci;
  if (auto a = repeated_device(pci)) return HostdevRequestProblem{Kind::repeated_device, *a, *a};
  if (request.guest && pci.size() > 1) {
    for (const auto& a : pci) {
      if (a.slot_string() != pci.front().slot_string()) {
        return HostdevRequestProblem{Kind::guest_slot_spans_slots, a, pci.front()};
      }
    }
    if (std::none_of(pci.begin(), pci.end(), [](const PciAddress& a) { return a.function == 0; })) {
      return HostdevRequestProblem{Kind::guest_slot_lacks_function0, pci.front(), pci.front()};
    }
  }
  return std::nullopt;
}

namespace {

HostdevPlan plan_mdev(const HostdevRequest& r) {
  HostdevPlan plan;
  HostdevMdevSource src;
  src.uuid = r.mdev->uuid;
  src.display = r.mdev_display;
  src.ramfb = r.mdev_ramfb;
  HostdevSpec s;
  s.source = src;
  s.rom_bar = r.rom_bar;
  s.rom_file = r.rom_file;
  s.boot_order = r.boot_order;
  s.alias = r.alias;
  if (r.guest) s.guest_address = GuestPciAddress{r.guest->bus, r.guest->slot, 0, false};
  plan.hostdevs.push_back(s);
  if (r.metadata) plan.metadata = PassthroughMetadata{{*r.mdev}, {}, {}};
  return plan;
}

}  // namespace

HostdevPlan plan_hostdevs(const HostdevRequest& r) {
  if (check_hostdev_request(r)) throw std::invalid_argument("plan_hostdevs: unchecked request");
  if (r.mdev) return plan_mdev(r);
  HostdevPlan plan;
  PassthroughMetadata md;
  const std::size_t n = r.pci.size();
  for (std::size_t i = 0; i < n; ++i) {
    HostdevPciSource src;
    src.address = r.pci[i];
    src.managed = r.managed;
    src.driver_vfio = r.driver_vfio;
    src.driver_model = r.driver_model;
    HostdevSpec s;
    s.source = src;
    s.rom_bar = r.rom_bar;
    if (i == 0) {
      s.rom_file = r.rom_file;
      s.boot_order = r.boot_order;
    }
    if (r.alias) s.alias = i == 0 ? *r.alias : *r.alias + "-" + std::to_string(i);
    if (r.guest) {
      // One device keeps function 0; several keep the host's function numbers, and function 0
      // says the slot has more.
      GuestPciAddress g = *r.guest;
      g.function = n == 1 ? 0 : r.pci[i].function;
      g.multifunction = n > 1 && g.function == 0;
      s.guest_address = g;
    }
    if (s.alias) parse_alias(*s.alias);  // a long base alias may overflow with its suffix
    plan.hostdevs.push_back(s);
    // The hook binds unmanaged functions; libvirt detaches managed ones itself.
    if (r.metadata && src.managed == YesNo::no) {
      MetadataPci p;
      p.address = src.address;
      p.group = r.group;
      md.pci.push_back(p);
    }
  }
  if (r.metadata) {
    if (md.empty())
      plan.metadata_has_nothing = true;
    else
      plan.metadata = md;
  }
  return plan;
}

}  // namespace ptagent
