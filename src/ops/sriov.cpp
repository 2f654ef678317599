#include "ops/sriov.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>

#include "error.hpp"
#include "ops/errno_text.hpp"
#include "ops/journal.hpp"
#include "ops/vfio_holders.hpp"
#include "pci/device.hpp"
#include "pci/vfio_variant.hpp"
#include "printable.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/parse.hpp"
#include "sysfs/root.hpp"
#include "sysfs/sysfs_writer.hpp"
#include "util/join.hpp"

namespace ptagent {

namespace {

std::string pf_link(const PciAddress& pf) {
  return pci_device_dir(pf.to_string());
}

std::optional<unsigned> read_count(const Root& root, const std::string& path) {
  auto text = root.read(path, 64);
  if (!text) return std::nullopt;
  auto v = parse_int_attr(*text);
  if (!v || *v < 0) return std::nullopt;
  return static_cast<unsigned>(*v);
}

std::string vfs_word(unsigned n) {
  return std::to_string(n) + (n == 1 ? " VF" : " VFs");
}

// True once sriov_numvfs reads n and exactly virtfn0..virtfn(n-1) lead to existing devices.
bool vfs_present(const Root& root, const PciAddress& pf, unsigned n) {
  const std::string link = pf_link(pf);
  auto cur = read_count(root, link + "/sriov_numvfs");
  if (!cur || *cur != n) return false;
  for (unsigned i = 0; i < n; ++i) {
    if (!root.exists(link + "/virtfn" + std::to_string(i))) return false;
  }
  return !root.is_symlink(link + "/virtfn" + std::to_string(n));
}

struct WriteFailure {
  int err = 0;         // 0: every write succeeded
  unsigned value = 0;  // the value whose write failed
};

// Writes the counts in order and stops at the first failure.
WriteFailure write_counts(SysfsWriter& writer, const std::string& path,
                          const std::vector<unsigned>& counts) {
  for (unsigned v : counts) {
    if (int err = writer.write(path, std::to_string(v)); err != 0) return {err, v};
  }
  return {};
}

// The kernel refuses one non-zero count to another (EBUSY): go through 0.
std::vector<unsigned> count_steps(unsigned from, unsigned to) {
  if (from == to) return {};
  if (from != 0 && to != 0) return {0, to};
  return {to};
}

std::string in_use_list(const std::vector<VfState>& vfs) {
  std::string out;
  for (const auto& vf : vfs) {
    if (vf.in_use.empty()) continue;
    std::string why = join(vf.in_use, "; ");
    out += (out.empty() ? "" : ", ") + vf.address.to_string() + " (" + why + ")";
  }
  return out;
}

}  // namespace

std::string sriov_change_id(const PciAddress& pf) {
  return "sriov:" + pf.to_string();
}

SriovState read_sriov(const Root& root, const PciAddress& pf, const PciHolders& holders) {
  const Device d = read_device(root, pf);
  if (!d.sriov) {
    if (d.physfn) {
      throw Error(ErrorKind::refused, Reason::unsupported, pf.to_string(),
                  "is an SR-IOV virtual function, not a physical function",
                  "give its PF: ptagent sriov " + d.physfn->to_string());
    }
    throw Error(ErrorKind::refused, Reason::unsupported, pf.to_string(),
                "is not an SR-IOV physical function (it has no sriov_totalvfs)",
                "run 'ptagent list' and pick a device whose SR-IOV column shows PF");
  }
  SriovState st;
  st.pf = pf;
  st.pf_driver = d.driver;
  st.total_vfs = d.sriov->total_vfs;
  st.num_vfs = d.sriov->num_vfs;
  const std::string link = pf_link(pf);
  if (auto v = root.read(link + "/sriov_drivers_autoprobe", 64)) {
    if (auto n = parse_int_attr(*v)) st.drivers_autoprobe = *n != 0;
  }
  for (const auto& name : root.list(link)) {
    if (name.rfind("virtfn", 0) != 0) continue;
    auto index = parse_int_attr(std::string_view(name).substr(6));
    auto target = root.link_name(link + "/" + name);
    if (!index || *index < 0 || !target) continue;
    auto addr = try_parse_pci_address(*target);
    if (!addr) continue;
    VfState vf;
    vf.index = static_cast<unsigned>(*index);
    vf.address = *addr;
    const std::string vf_link = pci_device_dir(addr->to_string());
    vf.driver = root.link_name(vf_link + "/driver");
    if (auto g = root.link_name(vf_link + "/iommu_group")) {
      if (auto n = parse_int_attr(*g); n && *n >= 0) vf.iommu_group = static_cast<unsigned>(*n);
    }
    if (vf.driver && (*vf.driver == "vfio-pci" || is_vfio_variant_driver(root, *vf.driver)))
      vf.in_use.push_back("bound to " + *vf.driver);
    if (auto it = holders.find(vf.address); it != holders.end()) {
      for (const auto& why : it->second) {
        if (std::find(vf.in_use.begin(), vf.in_use.end(), why) == vf.in_use.end()) {
          vf.in_use.push_back(why);
        }
      }
    }
    st.vfs.push_back(std::move(vf));
  }
  std::sort(st.vfs.begin(), st.vfs.end(),
            [](const VfState& a, const VfState& b) { return a.index < b.index; });
  // One /proc scan for every VF group: a process with /dev/vfio/<group> open uses the VF.
  std::vector<unsigned> groups;
  for (const auto& vf : st.vfs) {
    if (vf.iommu_group) groups.push_back(*vf.iommu_group);
  }
  const auto open = vfio_group_holders(root, groups);
  std::size_t gi = 0;
  for (auto& vf : st.vfs) {
    if (!vf.iommu_group) continue;
    for (const auto& h : open[gi]) {
      vf.in_use.push_back("/dev/vfio/" + std::to_string(*vf.iommu_group) + " held open by " +
                          h.describe());
    }
    ++gi;
  }
  return st;
}

PciHolders journal_pci_holders(const std::vector<Change>& changes) {
  PciHolders out;
  for (const auto& c : changes) {
    if (c.kind != ChangeKind::bind || !c.address || c.owner.rfind("domain:", 0) != 0) continue;
    out[*c.address].push_back("bound for domain " + c.owner.substr(7) + " (ptagent journal)");
  }
  return out;
}

unsigned parse_vf_count(std::string_view text) {
  const std::string shown = printable(text, 40);
  if (text.empty())
    throw_usage(mention(Input::vf_count), "needs a number of VFs",
                "e.g. " + mention(Input::vf_count) + " 4 (0 removes every VF)");
  if (text.front() == '-') {
    throw_usage(mention(Input::vf_count) + " " + shown, "the number of VFs cannot be negative",
                "give 0 to remove every VF");
  }
  const bool digits =
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  const auto n = digits && text.size() <= 5 ? parse_int_attr(text) : std::nullopt;
  if (!n || *n > 65535) {
    throw_usage(mention(Input::vf_count) + " " + shown,
                "is not a number of VFs (decimal, 0 to 65535)",
                "e.g. " + mention(Input::vf_count) + " 4");
  }
  return static_cast<unsigned>(*n);
}

SriovPlan plan_sriov(const SriovState& st, unsigned requested, Autoprobe autoprobe,
                     VfInUse in_use) {
  const std::string pf = st.pf.to_string();
  if (requested > st.total_vfs) {
    if (st.total_vfs == 0) {
      throw Error(ErrorKind::refused, Reason::unsupported, pf,
                  "its sriov_totalvfs is 0: the device offers no VFs",
                  "enable SR-IOV for the device in the firmware setup (and in the adapter's own "
                  "configuration), then reboot");
    }
    throw_refused(
        pf,
        mention(Input::vf_count) + " " + std::to_string(requested) + " is above sriov_totalvfs (" +
            std::to_string(st.total_vfs) + ")",
        "give " + mention(Input::vf_count) + " between 0 and " + std::to_string(st.total_vfs));
  }
  SriovPlan plan;
  plan.pf = st.pf;
  plan.from = st.num_vfs;
  plan.to = requested;
  plan.total = st.total_vfs;
  plan.autoprobe_before = st.drivers_autoprobe;
  if (autoprobe != Autoprobe::unchanged) {
    if (!st.drivers_autoprobe) {
      throw Error(ErrorKind::refused, Reason::unsupported, pf,
                  "this kernel has no sriov_drivers_autoprobe attribute (it came in Linux 4.12)",
                  "leave out " + mention(Input::autoprobe) + " and bind the VFs afterwards");
    }
    const bool want = autoprobe == Autoprobe::on;
    if (*st.drivers_autoprobe != want) plan.autoprobe = want;
  }
  plan.writes = count_steps(plan.from, plan.to);
  if (!plan.writes.empty() && !st.pf_driver) {
    throw_refused(
        pf, "no driver is bound to the PF, and the kernel enables VFs through the PF's driver",
        "bind the PF to its vendor driver first (see 'ptagent show " + pf + "')");
  }
  if (plan.from != 0 && plan.to != plan.from) plan.destroyed = st.vfs;
  const std::string busy = in_use_list(plan.destroyed);
  if (!busy.empty()) {
    if (in_use == VfInUse::force) {
      for (const auto& vf : plan.destroyed) {
        if (!vf.in_use.empty()) plan.forced.push_back(in_use_list({vf}));
      }
    } else {
      const std::string how = plan.to == 0 ? "removing every VF"
                                           : "changing " + std::to_string(plan.from) + " to " +
                                                 std::to_string(plan.to) +
                                                 " VFs goes through 0 and removes every VF first";
      throw_busy(pf, how + ", and VFs in use would go with them: " + busy,
                 "stop the guests that use them and release them from vfio-pci" +
                     where_spelled(Input::force, ", or pass " + mention(Input::force) +
                                                     " to remove them anyway"));
    }
  }
  return plan;
}

SriovState apply_sriov(const Root& root, SysfsWriter& writer, Journal& journal,
                       const SriovPlan& plan, const std::string& owner, const WaitLimits& limits) {
  const std::string pf = plan.pf.to_string();
  if (plan.nothing_to_do()) return read_sriov(root, plan.pf);
  const std::string link = pf_link(plan.pf);
  const std::string numvfs = link + "/sriov_numvfs";
  const std::string id = sriov_change_id(plan.pf);
  auto same_id = [&](const Change& c) { return c.id == id; };

  // Journal first: keep the count from before ptagent's first change, so restore goes back there.
  std::optional<Change> before;  // the entry as it was, if there was one
  if (!plan.writes.empty()) {
    journal.update([&](std::vector<Change>& entries) {
      auto it = std::find_if(entries.begin(), entries.end(), same_id);
      if (it != entries.end()) {
        before = *it;
        it->state = ChangeState::pending;
        return;
      }
      Change c = pending_change(id, ChangeKind::sriov, owner);
      c.address = plan.pf;
      c.previous_numvfs = plan.from;
      entries.push_back(std::move(c));
    });
  }
  auto journal_rollback = [&] {
    if (plan.writes.empty()) return;
    journal.update([&](std::vector<Change>& entries) {
      auto it = std::find_if(entries.begin(), entries.end(), same_id);
      if (it == entries.end()) return;
      if (before) {
        *it = *before;
      } else {
        entries.erase(it);
      }
    });
  };

  if (plan.autoprobe) {
    if (int err = writer.write(link + "/sriov_drivers_autoprobe", *plan.autoprobe ? "1" : "0");
        err != 0) {
      journal_rollback();
      const ErrnoText t = sriov_autoprobe_errno(err);
      throw Error(ErrorKind::failed, pf, "cannot set sriov_drivers_autoprobe: " + t.cause, t.hint,
                  err);
    }
  }
  auto restore_autoprobe = [&]() -> bool {
    if (!plan.autoprobe || !plan.autoprobe_before) return true;
    return writer.write(link + "/sriov_drivers_autoprobe", *plan.autoprobe_before ? "1" : "0") == 0;
  };

  if (const WriteFailure f = write_counts(writer, numvfs, plan.writes); f.err != 0) {
    const ErrnoText t = sriov_numvfs_errno(f.err, f.value, plan.total);
    std::string cause =
        "writing " + std::to_string(f.value) + " to sriov_numvfs failed: " + t.cause;
    // Put the previous count back, from wherever the failed step left it. Autoprobe first: the
    // VFs that come back get their drivers as they had them.
    const unsigned now = read_count(root, numvfs).value_or(plan.from);
    bool back = restore_autoprobe();
    if (now != plan.from) {
      back = write_counts(writer, numvfs, count_steps(now, plan.from)).err == 0 &&
             wait_until(limits, [&] { return vfs_present(root, plan.pf, plan.from); }) && back;
    }
    if (back) {
      journal_rollback();
      if (now != plan.from) cause += "; the previous " + vfs_word(plan.from) + " were put back";
      throw Error(ErrorKind::failed, pf, cause, t.hint, f.err);
    }
    const unsigned left = read_count(root, numvfs).value_or(0);
    throw Error(ErrorKind::failed, pf,
                cause + "; putting back the previous " + vfs_word(plan.from) +
                    " failed too, the PF now has " + vfs_word(left),
                t.hint + "; then run 'ptagent restore' to put back " + vfs_word(plan.from), f.err);
  }

  const bool appeared = plan.writes.empty() ||
                        wait_until(limits, [&] { return vfs_present(root, plan.pf, plan.to); });
  // The count changed: the entry is settled, or dropped when the PF is back where ptagent found it.
  if (!plan.writes.empty()) {
    journal.update([&](std::vector<Change>& entries) {
      auto it = std::find_if(entries.begin(), entries.end(), same_id);
      if (it == entries.end()) return;
      if (it->previous_numvfs == plan.to) {
        entries.erase(it);
      } else {
        it->state = ChangeState::done;
      }
    });
  }
  if (!appeared) {
    const unsigned seen = read_count(root, numvfs).value_or(0);
    throw_failed(pf,
                 "the kernel accepted " + vfs_word(plan.to) +
                     " but they did not all appear within " +
                     std::to_string(limits.timeout.count()) + " ms (sriov_numvfs reads " +
                     std::to_string(seen) + ")",
                 "check dmesg for the PF driver's messages, then 'ptagent sriov " + pf + "' again");
  }
  return read_sriov(root, plan.pf);
}

void undo_sriov_change(const Root& root, SysfsWriter& writer, const Change& change) {
  if (!change.address) {
    throw_failed("journal entry " + change.id, "an SR-IOV entry without a PF address",
                 "remove the entry from the journal under /run/ptagent by hand");
  }
  const PciAddress pf_addr = *change.address;
  const std::string pf = pf_addr.to_string();
  const SriovState st = read_sriov(root, pf_addr);
  const unsigned to = change.previous_numvfs;
  if (st.num_vfs == to) return;
  if (to > st.total_vfs) {
    throw_failed(pf,
                 "the journal asks for " + vfs_word(to) + " but sriov_totalvfs is " +
                     std::to_string(st.total_vfs),
                 "set sriov_numvfs by hand");
  }
  const std::string busy = st.num_vfs != 0 ? in_use_list(st.vfs) : std::string();
  if (!busy.empty()) {
    throw_busy(pf, "putting back " + vfs_word(to) + " would remove VFs that are in use: " + busy,
               "stop the guests that use them and release them from vfio-pci, then run "
               "'ptagent restore' again");
  }
  const std::string numvfs = pf_link(pf_addr) + "/sriov_numvfs";
  if (const WriteFailure f = write_counts(writer, numvfs, count_steps(st.num_vfs, to));
      f.err != 0) {
    const ErrnoText t = sriov_numvfs_errno(f.err, f.value, st.total_vfs);
    throw Error(ErrorKind::failed, pf,
                "putting back " + vfs_word(to) + ": writing " + std::to_string(f.value) +
                    " to sriov_numvfs failed: " + t.cause,
                t.hint, f.err);
  }
  if (!wait_until(WaitLimits{}, [&] { return vfs_present(root, pf_addr, to); })) {
    throw_failed(pf, "the kernel accepted " + vfs_word(to) + " but they did not all appear in time",
                 "check dmesg for the PF driver's messages");
  }
}

}  // namespace ptagent
