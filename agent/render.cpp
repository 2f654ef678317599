#include "agent/render.hpp"

#include <algorithm>
#include <cstdio>

#include "pci/inventory.hpp"
#include "util/join.hpp"

namespace ptagent::cli {

using nlohmann::json;

std::string hex(std::uint32_t value, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%0*x", digits, value);
  return buf;
}

std::string display_name(const Device& d) {
  std::string v = d.vendor_name.empty() ? "Vendor " + hex(d.vendor_id, 4) : d.vendor_name;
  std::string n = d.device_name.empty() ? "Device " + hex(d.device_id, 4) : d.device_name;
  return v + " " + n;
}

std::string sriov_role(const Device& d) {
  if (d.sriov)
    return "PF " + std::to_string(d.sriov->num_vfs) + "/" + std::to_string(d.sriov->total_vfs);
  if (d.physfn) return "VF of " + d.physfn->to_string();
  return "-";
}

std::string reset_summary(const Device& d) {
  if (!d.reset_methods) return "none";
  if (d.reset_methods->empty()) return "none";
  std::string out;
  for (const auto& m : *d.reset_methods) {
    if (!out.empty()) out += ",";
    out += m;
  }
  return out;
}

std::string class_label(const Device& d) {
  const std::string code = "[" + hex(d.class_code >> 8, 4) + "]";
  if (d.class_name.empty()) return "Class " + code;
  // libpci names unknown classes "Unassigned class [ffff]" itself.
  if (d.class_name.back() == ']') return d.class_name;
  return d.class_name + " " + code;
}

json vfio_json(const VfioChoice& c) {
  if (c.candidates.empty()) return nullptr;
  json list = json::array();
  for (const auto& x : c.candidates) {
    list.push_back({{"driver", x.driver},
                    {"module", x.module},
                    {"alias", x.alias.empty() ? json(nullptr) : json(x.alias)},
                    {"wildcards", x.wildcards},
                    {"variant", x.variant()}});
  }
  return {{"candidates", list},
          {"best", c.best()->driver},
          {"current", c.current ? json(*c.current) : json(nullptr)}};
}

json device_json(const Device& d, const std::optional<std::string>& host_critical,
                 const VfioAliases* aliases) {
  json j;
  j["address"] = d.address.to_string();
  j["class"] = "0x" + hex(d.class_code, 6);
  j["class_name"] = d.class_name;
  j["vendor_id"] = "0x" + hex(d.vendor_id, 4);
  j["device_id"] = "0x" + hex(d.device_id, 4);
  j["vendor_name"] = d.vendor_name;
  j["device_name"] = d.device_name;
  j["subsystem_vendor_id"] = "0x" + hex(d.subsys_vendor_id, 4);
  j["subsystem_device_id"] = "0x" + hex(d.subsys_device_id, 4);
  j["subsystem_name"] = d.subsys_name;
  j["revision"] = "0x" + hex(d.revision, 2);
  j["driver"] = d.driver ? json(*d.driver) : json(nullptr);
  j["driver_override"] = d.driver_override ? json(*d.driver_override) : json(nullptr);
  j["modules"] = d.modules;
  if (aliases) j["vfio_drivers"] = vfio_json(vfio_choice(d, *aliases));
  j["iommu_group"] = d.iommu_group ? json(*d.iommu_group) : json(nullptr);
  j["numa_node"] = d.numa_node;
  j["boot_vga"] = d.boot_vga ? json(*d.boot_vga) : json(nullptr);
  j["reset_methods"] = d.reset_methods ? json(*d.reset_methods) : json(json::array());
  j["bridge"] = d.is_bridge;
  j["upstream"] = d.upstream ? json(d.upstream->to_string()) : json(nullptr);
  if (d.sriov) {
    json vfs = json::array();
    for (const auto& v : d.sriov->vfs) vfs.push_back(v.to_string());
    j["sriov"] = {{"role", "pf"},
                  {"total_vfs", d.sriov->total_vfs},
                  {"num_vfs", d.sriov->num_vfs},
                  {"vfs", vfs}};
  } else if (d.physfn) {
    j["sriov"] = {{"role", "vf"}, {"physfn", d.physfn->to_string()}};
  } else {
    j["sriov"] = nullptr;
  }
  j["mdev"] =
      d.mdev ? json{{"types", d.mdev->types.size()}, {"type_names", d.mdev->types}} : json(nullptr);
  j["host_critical"] = host_critical ? json(*host_critical) : json(nullptr);
  j["sysfs_path"] = d.sysfs_path;
  j["problems"] = d.problems;
  return j;
}

json verdict_json(const GroupVerdict& v) {
  json members = json::array();
  for (const auto& m : v.members) {
    members.push_back({{"address", m.address.to_string()},
                       {"driver", m.driver ? json(*m.driver) : json(nullptr)},
                       {"state", member_state_name(m.state)}});
  }
  json blockers = json::array();
  for (const auto& b : v.blockers()) blockers.push_back(b.to_string());
  return {{"iommu_group", v.group ? json(*v.group) : json(nullptr)},
          {"viable", v.viable},
          {"members", members},
          {"blockers", blockers},
          {"explanation", v.explain()}};
}

std::string verdict_summary(Assignability verdict, const std::vector<PciAddress>& together,
                            const std::string& reason) {
  std::string line = assignability_name(verdict);
  if (verdict == Assignability::together) {
    line += ":";
    for (const auto& t : together) line += " " + t.to_string();
  }
  if (verdict == Assignability::not_assignable) line += ": " + reason;
  return line;
}

std::string verdict_key(Assignability verdict) {
  switch (verdict) {
    case Assignability::alone:
      return "alone";
    case Assignability::together:
      return "together";
    case Assignability::not_assignable:
      return "not_assignable";
  }
  return "?";
}

json health_json(const std::vector<HealthFinding>& findings) {
  json out = json::array();
  for (const auto& f : findings) {
    out.push_back({{"code", f.code},
                   {"blocks", f.blocks()},
                   {"severity", severity_name(f.severity)},
                   {"evidence", f.evidence},
                   {"fix", f.fix}});
  }
  return out;
}

std::string health_cell(const std::vector<HealthFinding>& findings) {
  const auto worst = worst_severity(findings);
  if (!worst) return "ok";
  std::string codes;
  for (const auto& f : findings) {
    if (f.severity != *worst) continue;
    codes += (codes.empty() ? "" : ",") + f.code;
  }
  const char* word = *worst == Severity::blocking  ? "blocked"
                     : *worst == Severity::warning ? "warning"
                                                   : "info";
  return std::string(word) + " (" + codes + ")";
}

json assignability_json(const ResetAnalysis& r) {
  json tw = json::array(), unit = json::array();
  if (r.verdict == Assignability::together) {
    for (const auto& t : r.together_with) tw.push_back(t.to_string());
  }
  for (const auto& u : r.unit) unit.push_back(u.to_string());
  return {{"verdict", verdict_key(r.verdict)},
          {"health", health_json(r.health)},
          {"together_with", tw},
          {"assign_together", unit},
          {"infrastructure", r.infrastructure == Infrastructure::none
                                 ? json(nullptr)
                                 : json(infrastructure_name(r.infrastructure))},
          {"reason", r.reason},
          {"advice", r.advice.empty() ? json(nullptr) : json(r.advice)},
          {"summary", verdict_summary(r.verdict, r.together_with, r.reason)}};
}

std::string kind_label(const Device& d) {
  if (d.is_bridge) return "bridge";
  if (is_infrastructure(d))
    return "infrastructure (" + infrastructure_name(infrastructure_kind(d)) + ")";
  return "endpoint";
}

std::string verdict_cell(const ResetAnalysis& r) {
  if (r.infrastructure == Infrastructure::bus_bridge) return "-";
  if (r.infrastructure != Infrastructure::none) return "infrastructure";
  switch (r.verdict) {
    case Assignability::alone:
      return "alone";
    case Assignability::together:
      return "together with " + join(r.together_with, " ");
    case Assignability::not_assignable:
      return "not assignable";
  }
  return "?";
}

std::string refusal_line(const ResetAnalysis& r) {
  const std::string who = r.address.to_string();
  return r.reason.rfind(who, 0) == 0 ? r.reason : who + ": " + r.reason;
}

std::string group_verdict_line(const Inventory& inv, const GroupReport& g) {
  switch (g.outcome) {
    case GroupOutcome::infrastructure_only:
      return "host infrastructure only: it stays with the host";
    case GroupOutcome::bridges_only:
      return "bridges only";
    case GroupOutcome::refused:
      return "not assignable: " + refusal_line(g.analyses[*g.refused]);
    case GroupOutcome::ready:
    case GroupOutcome::needs_binding:
      break;
  }
  if (g.endpoints.size() == 1) {
    const ResetAnalysis& first = *g.first_endpoint();
    return g.endpoints.front().to_string() + " " +
           verdict_summary(first.verdict, first.together_with, first.reason);
  }
  std::string line = together_phrase(g.endpoints);
  if (g.viable) return line + "; viable: every endpoint is on vfio-pci or has no driver";
  std::string list;
  for (const auto& h : g.on_host_driver)
    list += (list.empty() ? "" : ", ") + h.to_string() + " (" + *inv.get(h).driver + ")";
  return line + "; not viable yet: " + list + (g.on_host_driver.size() == 1 ? " is" : " are") +
         " on a host driver ('ptagent bind --group " + g.endpoints.front().to_string() +
         "' binds the group, or give them to libvirt as managed hostdevs)";
}

Table::Table(std::vector<std::string> header) {
  rows_.push_back(std::move(header));
}

void Table::add(std::vector<std::string> row) {
  rows_.push_back(std::move(row));
}

void Table::print(std::ostream& out, const std::string& indent) const {
  std::vector<std::size_t> width;
  for (const auto& r : rows_) {
    if (width.size() < r.size()) width.resize(r.size(), 0);
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (const auto& r : rows_) {
    std::string line = indent;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line.append(width[i] - r[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  }
}

}  // namespace ptagent::cli
