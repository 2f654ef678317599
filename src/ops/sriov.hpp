// SR-IOV virtual functions of a PF: what exists, who uses it, and changing the count safely
// (never over sriov_totalvfs, through 0 between two non-zero counts, never under a guest).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ops/wait.hpp"
#include "pci/address.hpp"

namespace ptagent {

class Root;
class SysfsWriter;
class Journal;
struct Change;

// Who holds a PCI function besides its driver, as the caller found out (libvirt's status files,
// the journal): address -> reasons ("running domain web1").
using PciHolders = std::map<PciAddress, std::vector<std::string>>;

struct VfState {
  unsigned index = 0;  // the PF's virtfn<index> link
  PciAddress address;
  std::optional<std::string> driver;
  std::optional<unsigned> iommu_group;
  std::vector<std::string> in_use;  // why the VF is in use; empty when it is free
};

struct SriovState {
  PciAddress pf;
  std::optional<std::string> pf_driver;
  unsigned total_vfs = 0;
  unsigned num_vfs = 0;
  std::optional<bool> drivers_autoprobe;  // nullopt: the kernel has no sriov_drivers_autoprobe
  std::vector<VfState> vfs;               // in virtfn order
};

// Reads a PF. A VF is in use when bound to vfio-pci, when a process holds its /dev/vfio/<group>
// open, or when `holders` names it. Throws Error(not_found) for a missing device and Error(usage)
// for a device that is not an SR-IOV PF (the hint names the PF when it is a VF).
SriovState read_sriov(const Root& root, const PciAddress& pf, const PciHolders& holders = {});

// Holders according to the journal: vfio bindings made for a domain (owner "domain:<uuid>").
PciHolders journal_pci_holders(const std::vector<Change>& changes);

// The --vfs value: decimal digits only, at most 65535. Throws Error(usage) naming the value.
unsigned parse_vf_count(std::string_view text);

enum class VfInUse { refuse, force };
enum class Autoprobe { unchanged, on, off };

struct SriovPlan {
  PciAddress pf;
  unsigned from = 0;
  unsigned to = 0;
  unsigned total = 0;
  std::optional<bool> autoprobe_before;
  std::optional<bool> autoprobe;    // written to sriov_drivers_autoprobe first, when set
  std::vector<unsigned> writes;     // written to sriov_numvfs in order: {0, 2} for 4 -> 2
  std::vector<VfState> destroyed;   // VFs the change removes (all of them when it goes through 0)
  std::vector<std::string> forced;  // in-use VFs that VfInUse::force lets through, with why
  bool nothing_to_do() const { return writes.empty() && !autoprobe; }
};

// Checks a change and lists its steps. Throws Error(refused) when `requested` is above
// sriov_totalvfs, when the PF has no driver, when autoprobe is asked for on a kernel without it,
// or when a VF the change removes is in use (unless VfInUse::force).
SriovPlan plan_sriov(const SriovState& state, unsigned requested, Autoprobe autoprobe,
                     VfInUse in_use);

// Carries out a plan. The journal entry (the count before ptagent's first change of this PF) is
// written before anything else. When a write fails after the count went to 0, the previous count
// (and autoprobe value) is put back and the error says so; if that fails too the entry stays for
// `ptagent restore`. Waits (bounded) for the new VFs' virtfn links. Returns the new state.
SriovState apply_sriov(const Root& root, SysfsWriter& writer, Journal& journal,
                       const SriovPlan& plan, const std::string& owner,
                       const WaitLimits& limits = {});

// Puts a PF's VF count back to change.previous_numvfs (used by `ptagent restore`). Does nothing
// when it already is; refuses when a VF it would remove is bound to vfio-pci or held open.
void undo_sriov_change(const Root& root, SysfsWriter& writer, const Change& change);

// The journal id of a PF's SR-IOV entry: "sriov:0000:01:00.0".
std::string sriov_change_id(const PciAddress& pf);

}  // namespace ptagent
