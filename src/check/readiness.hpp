// Host readiness for PCI passthrough: one result per check, each with its evidence and, when it
// is not a PASS, the fix for this very host (its CPU vendor, boot loader and initramfs tool).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptagent {

class Root;
struct HostFacts;

enum class CheckStatus { pass, warn, fail, skip };
// "PASS", "WARN", "FAIL", "SKIP".
const char* check_status_name(CheckStatus status);

struct Check {
  std::string id;  // stable, used in JSON: "iommu-groups"
  CheckStatus status = CheckStatus::skip;
  std::string title;     // "IOMMU groups present"
  std::string evidence;  // what was seen, with the file it came from
  std::string fix;       // empty when PASS (and for a SKIP that needs nothing)
};

struct CheckSummary {
  int pass = 0;
  int warn = 0;
  int fail = 0;
  int skip = 0;
  bool ready() const { return fail == 0; }
};
CheckSummary summarize(const std::vector<Check>& checks);

// The checks in a fixed order: cpu, bootloader, iommu-cmdline, iommu, iommu-groups,
// interrupt-remapping, unsafe-interrupts, acs-override, vfio-modules, vfio-virqfd, vfio-device,
// kvm, hugepages.
std::vector<Check> evaluate_readiness(const HostFacts& facts);
// gather_host_facts + evaluate_readiness.
std::vector<Check> check_readiness(const Root& root);

}  // namespace ptagent
