// Shared rendering: device JSON, hex formatting and plain-text tables.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "ops/group_report.hpp"
#include "ops/reset_probe.hpp"
#include "pci/device.hpp"
#include "pci/iommu_group.hpp"
#include "pci/vfio_variant.hpp"

namespace ptagent {
class Inventory;
}

namespace ptagent::cli {

std::string hex(std::uint32_t value, int digits);  // hex(0x10de, 4) -> "10de"
std::string display_name(const Device& d);         // "NVIDIA Corporation GP104 [GeForce GTX 1070]"
std::string sriov_role(const Device& d);           // "PF 4/63", "VF of 0000:01:00.0", "-"
std::string reset_summary(const Device& d);
std::string class_label(
    const Device& d);  // "VGA compatible controller [0300]"        // "flr bus", "none", "?"

// With aliases: "vfio_drivers", the VFIO drivers that could take it (vfio_json).
nlohmann::json device_json(const Device& d, const std::optional<std::string>& host_critical,
                           const VfioAliases* aliases = nullptr);
// {"candidates": [{"driver", "module", "alias", "wildcards"}...], "best", "current"}; null for
// host infrastructure.
nlohmann::json vfio_json(const VfioChoice& choice);
nlohmann::json verdict_json(const GroupVerdict& v);
// The assignability verdict as show, probe and groups print it: "assignable alone",
// "assignable together with: A B", "not assignable: why".
std::string verdict_summary(Assignability verdict, const std::vector<PciAddress>& together,
                            const std::string& reason);
std::string verdict_key(Assignability verdict);  // "alone", "together", "not_assignable"
nlohmann::json assignability_json(const ResetAnalysis& r);
// Each finding of device_health: code, blocks, evidence, fix.
nlohmann::json health_json(const std::vector<HealthFinding>& findings);
// One table cell: "ok", "blocked (d3cold, config-inaccessible)", "warning (no-rom)", "info (...)".
std::string health_cell(const std::vector<HealthFinding>& findings);
std::string kind_label(const Device& d);
// A member's verdict in one cell: "alone", "together with A B", "not assignable",
// "infrastructure", "-" for a bridge.
std::string verdict_cell(const ResetAnalysis& r);
// A refused device's cause after its address: "0000:00:02.0 is the boot VGA device ...".
std::string refusal_line(const ResetAnalysis& r);
// A group's verdict in one line: the unit, whether it is ready, or why it cannot go.
std::string group_verdict_line(
    const Inventory& inv,
    const GroupReport& g);  // "endpoint", "bridge", "infrastructure (host bridge)"

// Columns padded to the widest cell; the last column is not padded.
class Table {
 public:
  explicit Table(std::vector<std::string> header);
  void add(std::vector<std::string> row);
  void print(std::ostream& out, const std::string& indent = {}) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace ptagent::cli
