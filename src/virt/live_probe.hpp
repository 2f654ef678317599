// probe's live part and its verdict: who holds the device (running domains, then processes with
// its VFIO group open), libvirt's own check (detach to vfio, reset, give it back), and the
// conclusion drawn from the static analysis and that check. Never prints.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "ops/reset_probe.hpp"
#include "pci/address.hpp"

namespace ptagent {
class Root;
struct Device;
}  // namespace ptagent

namespace ptagent::virt {

enum class LiveOutcome {
  passed,       // libvirt detached (if needed) and reset the device
  refused,      // libvirt ran the check and refused a step
  in_use,       // a running domain (or a process) holds the device: nothing was tried
  not_checked,  // libvirt could not run the check (unreachable, no node device for it)
};

struct LiveProbeRequest {
  std::string uri;  // libvirt connection URI
  std::chrono::milliseconds timeout{30000};
  bool keep_detached = false;  // leave it on vfio-pci after a successful check
};

struct LiveProbe {
  LiveOutcome outcome = LiveOutcome::not_checked;
  // refused: libvirt's refusal, translated; in_use: "in use by running domain l2pci";
  // not_checked: why libvirt could not run it.
  std::string why;
  std::vector<std::string> holders;  // domain names, or "pid 4242 (qemu-system-x86)"
  std::vector<std::string> steps;    // what was done, in order
  std::string failed_step;           // "detach" / "reset" when refused
  bool left_detached = false;
};

// Runs the live check for `device` (as scanned under `root`). Throws only for a wedged device
// (reboot needed); everything else is an outcome.
LiveProbe run_live_probe(const Root& root, const Device& device, const LiveProbeRequest& request);

enum class ProbeVerdict { alone, together, not_assignable, in_use, not_checked };

struct ProbeConclusion {
  ProbeVerdict verdict = ProbeVerdict::not_assignable;
  std::string reason;  // one sentence; the holder or why it was not checked, for those verdicts
  std::vector<PciAddress> together_with;
};

// The static analysis, refined by the live check when it ran: a libvirt refusal makes it not
// assignable (with libvirt's reason), except a refused reset of a device that is only assignable
// together; otherwise a device that is statically not assignable stays so, and one in use or not
// checked says that instead of guessing.
ProbeConclusion conclude_probe(const ResetAnalysis& analysis, const std::optional<LiveProbe>& live);

// "assignable alone", "assignable together with", "not assignable", "in use", "not checked".
std::string probe_verdict_name(ProbeVerdict verdict);
// "alone", "together", "not_assignable", "in_use", "not_checked".
std::string probe_verdict_key(ProbeVerdict verdict);

}  // namespace ptagent::virt
