#include "hooks/hook.hpp"

#include <ostream>

#include "domain/lifecycle.hpp"
#include "error.hpp"
#include "sysfs/host_paths.hpp"
#include "sysfs/root.hpp"
#include "xml/domain.hpp"

namespace ptagent::hook {

namespace {

domain::StartDeps start_deps(HookDeps& deps) {
  return domain::StartDeps{deps.root, deps.writer, deps.config.busy_retry, deps.log,
                           deps.journal_fault};
}

// How the hook names an input the core names: by the domain XML that gives it.
std::optional<std::string> xml_spelling(Input input) {
  switch (input) {
    case Input::mdev_uuid:
      return "uuid= of <ptagent:mdev>";
    case Input::mdev_parent:
      return "parent= of <ptagent:mdev>";
    case Input::mdev_type:
      return "type= of <ptagent:mdev>";
    case Input::whole_group:
      return "group=\"whole\" on <ptagent:pci>";
    case Input::driver:
      return "bind= of <ptagent:pci>";
    default:
      return std::nullopt;  // no such input in a domain's XML
  }
}

// A refusal at prepare as libvirt shows it to the user who started the domain.
void print_cannot_start(HookDeps& deps, const Invocation& inv, const Error& e) {
  deps.err << report(
      e, "ptagent: domain '" + printable_name(inv.name) + "' cannot start: ", xml_spelling);
}

int prepare(HookDeps& deps, const Invocation& inv, std::string_view xml) {
  using Result = domain::PrepareOutcome::Result;
  const domain::PrepareOutcome out = domain::prepare(start_deps(deps), xml);
  switch (out.result) {
    case Result::nothing_to_do:
      return 0;
    case Result::started:
      for (const auto& w : out.accepted)
        deps.log("domain " + out.uuid + ": starts despite the accepted warning " + w);
      return 0;
    case Result::bad_xml:
      print_cannot_start(deps, inv, *out.error);
      deps.log("prepare refused (bad domain XML): " + std::string(out.error->what()));
      return 1;
    case Result::refused:
      for (const auto& l : out.not_undone) deps.err << "ptagent: could not undo " << l << "\n";
      print_cannot_start(deps, inv, *out.error);
      deps.log("domain " + out.uuid + ": prepare refused: " + out.error->what());
      return 1;
  }
  return 1;
}

int release(HookDeps& deps, const Invocation& inv, std::string_view xml) {
  using Result = domain::ReleaseOutcome::Result;
  const domain::ReleaseOutcome out = inv.op == Operation::stopped
                                         ? domain::stopped(start_deps(deps), xml)
                                         : domain::release(start_deps(deps), xml);
  switch (out.result) {
    case Result::nothing_to_do:
    case Result::released:
      return 0;
    case Result::bad_xml:
      deps.log("release of '" + printable_name(inv.name) +
               "': unreadable domain XML: " + out.error->what());
      return 0;
    case Result::not_undone:
      for (const auto& l : out.not_undone)
        deps.err << "ptagent: domain " << out.uuid << ": could not undo " << l << "\n";
      deps.err << "  fix: run 'ptagent restore --all' once the devices are free\n";
      return 1;
    case Result::failed:
      deps.err << "ptagent: release of domain " << out.uuid << ": " << out.error->what() << "\n";
      deps.log("domain " + out.uuid + ": release failed: " + out.error->what());
      return 1;
  }
  return 1;
}

}  // namespace

Invocation parse_invocation(const std::vector<std::string>& args) {
  Invocation inv;
  if (args.size() < 3) return inv;
  inv.complete = true;
  inv.name = args[0];
  inv.op_text = args[1];
  inv.sub_op = args[2];
  if (args.size() > 3) inv.extra = args[3];
  if (inv.op_text == "prepare" && inv.sub_op == "begin")
    inv.op = Operation::prepare;
  else if (inv.op_text == "release" && inv.sub_op == "end")
    inv.op = Operation::release;
  else if (inv.op_text == "stopped" && inv.sub_op == "end")
    inv.op = Operation::stopped;
  else if (inv.op_text == "reconnect")
    inv.op = Operation::reconnect;
  return inv;
}

bool nothing_to_do(const Invocation& inv, std::string_view xml, const Root& root) {
  switch (inv.op) {
    case Operation::prepare:
      return !domain_xml_mentions_passthrough(xml);
    case Operation::release:
    case Operation::stopped:
      // Nothing to undo when ptagent never journaled anything on this host.
      return !root.exists(journal_file());
    default:
      return true;
  }
}

int run_hook(const std::vector<std::string>& args, std::string_view xml, HookDeps& deps) {
  const Invocation inv = parse_invocation(args);
  if (inv.complete && nothing_to_do(inv, xml, deps.root)) return 0;
  return run_hook(inv, xml, deps);
}

int run_hook(const Invocation& inv, std::string_view xml, HookDeps& deps) {
  if (!inv.complete) {
    deps.err << "ptagent-hook: usage: qemu NAME OPERATION SUB-OPERATION [EXTRA] (libvirt's hook "
                "contract), "
                "domain XML on stdin\n";
    return 2;
  }
  try {
    switch (inv.op) {
      case Operation::prepare:
        return prepare(deps, inv, xml);
      case Operation::release:
      case Operation::stopped:
        return release(deps, inv, xml);
      case Operation::reconnect:
        domain::reconnect(start_deps(deps), xml);
        return 0;
      default:
        return 0;
    }
  } catch (const std::exception& e) {
    // Never let an unexpected failure escape: refuse at prepare, report elsewhere.
    deps.err << "ptagent-hook: internal error: " << e.what() << "\n";
    return inv.op == Operation::prepare ? 1 : 0;
  }
}

}  // namespace ptagent::hook
