// The libvirt qemu hook: libvirt's argv/stdin contract and the lifecycle dispatch. A library so
// that tests and fuzzers drive it in-process; hooks/main.cpp is a thin wrapper.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "domain/domain_name.hpp"
#include "ops/hook_config.hpp"
#include "ops/journal.hpp"

namespace ptagent {
class Root;
class SysfsWriter;
}  // namespace ptagent

namespace ptagent::hook {

struct HookDeps {
  const Root& root;
  SysfsWriter& writer;
  HookConfig config;
  std::ostream& err;                            // the paragraph libvirt shows the user
  std::function<void(const std::string&)> log;  // one line per action (syslog in production)
  JournalFault journal_fault{};                 // the journal's fault seam (tests only)
};

// What libvirt asks for, from argv (without the program name): NAME OPERATION SUB-OPERATION EXTRA.
enum class Operation { prepare, release, stopped, reconnect, other };

struct Invocation {
  bool complete = false;  // NAME, OPERATION and SUB-OPERATION were given
  std::string name;       // the domain name: for messages only, never for paths
  Operation op = Operation::other;
  std::string op_text, sub_op, extra;
};

// Throws nothing. A missing argument gives exit 2 with a usage line on deps.err.
int run_hook(const std::vector<std::string>& args, std::string_view domain_xml, HookDeps& deps);
// The same for an invocation parsed once, whose do-nothing path (nothing_to_do) the caller has
// already taken or ruled out.
int run_hook(const Invocation& inv, std::string_view domain_xml, HookDeps& deps);

// True when this invocation cannot concern ptagent: the do-nothing path, decided without parsing.
bool nothing_to_do(const Invocation& inv, std::string_view domain_xml, const Root& root);

Invocation parse_invocation(const std::vector<std::string>& args);

// Control characters and quotes escaped, capped at 200 bytes: safe in one log line.
using domain::printable_name;

}  // namespace ptagent::hook
