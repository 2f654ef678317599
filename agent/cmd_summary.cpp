// `ptagent` with no command: a short summary of the host (ready or not, from check's readiness
// checks; how many endpoints could go to a guest and what keeps the rest, from the verdicts groups
// prints) and the three commands to try next. --json gives the same as an object.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "agent/commands.hpp"
#include "agent/render.hpp"
#include "check/readiness.hpp"
#include "host/critical.hpp"
#include "host/vfio_host.hpp"
#include "ops/group_report.hpp"
#include "pci/inventory.hpp"
#include "sysfs/root.hpp"
#include "util/join.hpp"

namespace ptagent::cli {

namespace {

constexpr std::size_t kBlockLines = 8;  // then "... and N more"

// A device for the third suggestion: an assignable display device first (what people pass
// through most), else any assignable endpoint, else the first blocked one, else none.
std::optional<PciAddress> example_device(const Inventory& inv, const PassthroughTally& t) {
  for (const auto& a : t.assignable) {
    if (inv.get(a).base_class() == 0x03) return a;
  }
  if (!t.assignable.empty()) return t.assignable.front();
  if (!t.blocks.empty()) return t.blocks.front().cause->address;
  return std::nullopt;
}

// The cause of a block without its device: blocks with the same cause (no IOMMU group, say)
// are said once.
std::string cause_text(const ResetAnalysis& r) {
  const std::string line = refusal_line(r), who = r.address.to_string();
  if (line.rfind(who + ": ", 0) == 0) return line.substr(who.size() + 2);
  if (line.rfind(who + " ", 0) == 0) return line.substr(who.size() + 1);
  return line;
}

// At most kBlockLines addresses, then how many more.
std::string first_few(const std::vector<PciAddress>& list) {
  if (list.size() <= kBlockLines) return join(list, ", ");
  const std::vector<PciAddress> head(list.begin(), list.begin() + kBlockLines);
  return join(head, ", ") + " and " + std::to_string(list.size() - kBlockLines) + " more";
}

struct Next {
  std::string command, why;
};

}  // namespace

int cmd_summary(Context& ctx) {
  const Root& root = ctx.root();
  const std::vector<Check> checks = check_readiness(root);
  const CheckSummary readiness = summarize(checks);
  std::vector<std::string> failing;
  for (const auto& c : checks) {
    if (c.status == CheckStatus::fail) failing.push_back(c.id);
  }
  Inventory inv = Inventory::scan(root, Naming::with_names);
  HostCritical critical = HostCritical::scan(root, inv);
  const HostAssessment assessment = assess_host(inv, critical, read_vfio_host(root));
  const PassthroughTally tally = tally_passthrough(assessment);

  // One line per block; blocks with the same cause (no IOMMU group, say) on one line.
  struct Line {
    std::string cause;
    std::vector<const PassthroughTally::Block*> blocks;
  };
  std::vector<Line> lines;
  for (const auto& b : tally.blocks) {
    const std::string text = cause_text(*b.cause);
    auto it =
        std::find_if(lines.begin(), lines.end(), [&](const Line& l) { return l.cause == text; });
    if (it == lines.end()) {
      lines.push_back({text, {&b}});
    } else {
      it->blocks.push_back(&b);
    }
  }
  auto line_text = [](const Line& l) {
    std::vector<PciAddress> who, others;
    for (const auto* b : l.blocks) {
      who.push_back(b->cause->address);
      for (const auto& h : b->held) {
        if (h != b->cause->address) others.push_back(h);
      }
    }
    std::string text =
        who.size() == 1 ? refusal_line(*l.blocks.front()->cause) : join(who, ", ") + ": " + l.cause;
    if (!others.empty()) {
      text += "; it keeps " + join(others, ", ") + " of its IOMMU group from a guest too";
    }
    return text;
  };

  const std::optional<PciAddress> example = example_device(inv, tally);
  std::vector<Next> next;
  next.push_back({"ptagent check", readiness.ready()
                                       ? "each readiness check with what it saw"
                                       : "what the host still needs, with the fix for each FAIL"});
  next.push_back({"ptagent groups --tree", "the PCI tree: IOMMU groups, drivers, verdicts"});
  if (example) {
    next.push_back({"ptagent plan " + example->to_string(),
                    "what this host still needs to pass that device through, step by step"});
  } else {
    next.push_back({"ptagent list", "every PCI function of the host"});
  }

  if (ctx.global.json) {
    nlohmann::ordered_json j;
    j["host"] = root.is_system_root() ? "/" : ctx.global.root;
    j["ready"] = readiness.ready();
    j["checks"] = {{"pass", readiness.pass},
                   {"warn", readiness.warn},
                   {"fail", readiness.fail},
                   {"skip", readiness.skip},
                   {"failing", failing}};
    j["endpoints"] = tally.endpoints;
    nlohmann::ordered_json assignable = nlohmann::ordered_json::array();
    for (const auto& a : tally.assignable) assignable.push_back(a.to_string());
    j["assignable"] = assignable;
    nlohmann::ordered_json blocked = nlohmann::ordered_json::array();
    for (const auto& b : tally.blocks) {
      nlohmann::ordered_json held = nlohmann::ordered_json::array();
      for (const auto& h : b.held) held.push_back(h.to_string());
      blocked.push_back({{"device", b.cause->address.to_string()},
                         {"reason", cause_text(*b.cause)},
                         {"holds_back", held}});
    }
    j["blocked"] = blocked;
    nlohmann::ordered_json n = nlohmann::ordered_json::array();
    for (const auto& x : next) n.push_back({{"command", x.command}, {"why", x.why}});
    j["next"] = n;
    ctx.out << j.dump(2) << "\n";
    return 0;
  }

  std::ostream& out = ctx.out;
  out << "ptagent " << PTAGENT_VERSION << " on "
      << (root.is_system_root() ? std::string("this host")
                                : "the simulated host " + ctx.global.root)
      << "\n\n";
  out << "  readiness  ";
  if (readiness.ready()) {
    out << "ready for PCI passthrough (" << checks.size() << " checks"
        << (readiness.warn ? ", " + std::to_string(readiness.warn) + " warnings" : "") << ")\n";
  } else {
    out << "not ready: " << readiness.fail << " of " << checks.size() << " checks FAIL ("
        << join(failing, ", ") << ")\n";
  }
  out << "  devices    " << tally.assignable.size() << " of " << tally.endpoints
      << " PCI endpoints could be passed through"
      << (tally.assignable.empty() ? std::string() : ": " + first_few(tally.assignable))
      << (readiness.ready() || tally.assignable.empty() ? "" : " (once the host is ready)") << "\n";
  std::size_t shown = 0;
  for (const auto& l : lines) {
    if (shown == kBlockLines) break;
    out << (shown == 0 ? "  blocked    " : "             ") << line_text(l) << "\n";
    ++shown;
  }
  if (lines.size() > shown) {
    out << "             ... and " << lines.size() - shown
        << " more causes ('ptagent groups' lists every group)\n";
  }
  out << "\nTry next:\n";
  std::size_t width = 0;
  for (const auto& x : next) width = std::max(width, x.command.size());
  for (const auto& x : next) {
    std::string c = x.command;
    c.resize(width + 2, ' ');
    out << "  " << c << x.why << "\n";
  }
  out << "\n'ptagent --help' lists every command.\n";
  return 0;
}

}  // namespace ptagent::cli
