// ptagent check: host readiness, one line per check with its evidence and the fix for this host.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "agent/commands.hpp"
#include "check/readiness.hpp"

namespace ptagent::cli {

namespace {

// Found by name: the table's order belongs to everyone.
const Command& this_command() {
  for (const auto& c : commands()) {
    if (std::string_view(c.name) == "check") return c;
  }
  return commands().front();  // unreachable: "check" is in the table
}

const char* kDetails =
    "Checks: cpu, bootloader, iommu-cmdline, iommu, iommu-groups, interrupt-remapping,\n"
    "unsafe-interrupts, acs-override, vfio-modules, vfio-virqfd, vfio-device, kvm, hugepages;\n"
    "the boot configuration (modprobe.d, modules-load.d, driverctl, kernel command line): "
    "boot-critical,\n"
    "boot-virqfd, boot-initramfs, boot-pending.\n"
    "Each line is PASS, WARN, FAIL or SKIP with what was seen; a line that is not PASS is\n"
    "followed by the fix for this host (its CPU vendor, boot loader and initramfs tool).\n"
    "Exit status: 0 when nothing FAILs, 1 otherwise.\n";

void print_text(std::ostream& out, const std::vector<Check>& checks, const CheckSummary& s) {
  std::size_t width = 0;
  for (const auto& c : checks) width = std::max(width, c.id.size());
  width += 2;
  const std::string indent(6 + width, ' ');
  for (const auto& c : checks) {
    std::string status = check_status_name(c.status);
    status.resize(6, ' ');
    std::string id = c.id;
    id.resize(width, ' ');
    out << status << id << c.evidence << "\n";
    if (!c.fix.empty()) out << indent << "fix: " << c.fix << "\n";
  }
  out << checks.size() << " checks: " << s.pass << " pass, " << s.warn << " warn, " << s.fail
      << " fail, " << s.skip << " skip: "
      << (!s.ready() ? "not ready for PCI passthrough, fix the FAIL lines"
          : s.warn   ? "ready for PCI passthrough, read the warnings"
                     : "ready for PCI passthrough")
      << "\n";
}

void print_json(std::ostream& out, const std::vector<Check>& checks, const CheckSummary& s) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& c : checks) {
    list.push_back({{"id", c.id},
                    {"status", check_status_name(c.status)},
                    {"title", c.title},
                    {"evidence", c.evidence},
                    {"fix", c.fix}});
  }
  nlohmann::ordered_json j;
  j["checks"] = std::move(list);
  j["summary"] = {{"pass", s.pass}, {"warn", s.warn}, {"fail", s.fail}, {"skip", s.skip}};
  j["ready"] = s.ready();
  out << j.dump(2) << "\n";
}

}  // namespace

int cmd_check(Context& ctx, const Args& args) {
  po::options_description desc("Options");
  po::variables_map vm;
  if (!parse_options(ctx, this_command(), desc, {}, args, vm, kDetails)) return 0;

  const std::vector<Check> checks = check_readiness(ctx.root());
  const CheckSummary summary = summarize(checks);
  if (ctx.global.json) {
    print_json(ctx.out, checks, summary);
  } else {
    print_text(ctx.out, checks, summary);
  }
  return summary.ready() ? 0 : 1;
}

}  // namespace ptagent::cli
