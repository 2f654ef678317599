// The one error type of the core: names the object, the cause and what the user can do, and says
// why in a form code can act on (the reason), so that nothing ever matches message text.
#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ptagent {

// The class of failure, which decides the exit code.
enum class ErrorKind {
  usage,      // malformed input or bad usage: exit 2
  not_found,  // a well-formed reference to something that is not there: exit 1
  refused,    // a check said no (guard, viability, in use): exit 1
  failed,     // the operation was tried and failed: exit 1
};

// Why, for code to decide on (a retry, a rollback, a JSON field). Each has a stable name.
enum class Reason {
  invalid_input,  // malformed input (every usage error unless said otherwise)
  not_found,      // a reference to something that is not there
  refused,        // a check said no
  busy,           // in use (held open, bound, EBUSY): may clear once the user lets go
  wedged,         // the device no longer answers after a reset
  unsupported,    // this host or device cannot do it (no IOMMU, no SR-IOV, ...)
  timeout,        // did not finish within its time bound (ETIMEDOUT)
  io_failed,      // reading or writing a file failed
  failed,         // tried and failed, no finer reason known
};

// "invalid_input", "busy", ...: stable, for JSON.
std::string_view reason_name(Reason reason);
// The reason an error of `kind` has unless its thrower says otherwise (EBUSY is busy, ETIMEDOUT
// a timeout).
Reason default_reason(ErrorKind kind, int sys_errno = 0);

// An input the core names in a message. The core says what it is ("VF count", "mdev UUID"); each
// front end spells it as its user wrote it: the CLI as its flag (--vfs), the hook as the domain
// XML's attribute. Messages hold mention(input); report() and what() spell it.
enum class Input {
  vf_count,             // how many VFs (CLI --vfs)
  mdev_uuid,            // the UUID of an mdev (CLI --uuid)
  new_uuid,             // leaving the mdev UUID out to get a new one (CLI: --uuid left out)
  mdev_parent,          // an mdev's parent device (CLI --parent)
  mdev_type,            // an mdev's type (CLI --type)
  force,                // overriding a refusal (CLI --force)
  whole_group,          // taking a device's whole IOMMU group (CLI --group)
  driver,               // the driver to bind to (CLI --driver)
  host_root,            // the directory that stands for the host (CLI --root)
  autoprobe,            // letting the host probe new VFs (CLI --autoprobe)
  all_changes,          // every journaled change (CLI --all)
  hook_binary,          // the hook program to install (CLI --binary)
  by_address,           // matching a device by its address rather than its IDs (CLI --by-address)
  replace_conflicting,  // removing conflicting settings (CLI --replace-conflicting)
  timeout,              // a time bound for libvirt (CLI --timeout)
  connect_uri,          // the libvirt connection URI (CLI --connect)
};

// How a front end spells an input; nullopt when it has no such input (a mention then reads as
// the core's name, and text given to where_spelled() is left out).
using InputNames = std::function<std::optional<std::string>(Input)>;

// The core's own name of an input ("VF count"); nullopt for an input that is only a front end's
// option (force, new_uuid).
std::optional<std::string> core_name(Input input);
// A reference to `input` to embed in an object, cause or hint.
std::string mention(Input input);
// `text` (which may mention `input`) kept only where a front end spells `input`: ", or pass " +
// mention(Input::force) + " to remove it anyway" is shown by the CLI, left out by the hook (and
// by what(), which speaks for no front end).
std::string where_spelled(Input input, std::string text);
// `text` with its mentions spelled by `names` (the core's names when empty).
std::string spell(std::string_view text, const InputNames& names = {});

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string object, std::string cause, std::string hint = {},
        int sys_errno = 0);
  Error(ErrorKind kind, Reason reason, std::string object, std::string cause, std::string hint = {},
        int sys_errno = 0);

  ErrorKind kind() const { return kind_; }
  Reason reason() const { return reason_; }
  // The parts as written (they may hold mentions: show them through spell() or report(); give
  // them as they are to a new Error that wraps this one). what() is spelled with the core's names.
  const std::string& object() const { return object_; }
  const std::string& cause() const { return cause_; }
  const std::string& hint() const { return hint_; }
  int sys_errno() const { return errno_; }
  int exit_code() const { return kind_ == ErrorKind::usage ? 2 : 1; }

 private:
  ErrorKind kind_;
  Reason reason_;
  std::string object_;
  std::string cause_;
  std::string hint_;
  int errno_;
};

// The error as a user reads it: `lead` (e.g. "ptagent: error: ") then "OBJECT: cause" and, when
// there is one, a line "  fix: hint"; each line ends in "\n". Inputs spelled by `names`.
std::string report(const Error& e, std::string_view lead, const InputNames& names = {});

// Shorthands for the common kinds.
[[noreturn]] void throw_usage(std::string object, std::string cause, std::string hint = {});
[[noreturn]] void throw_not_found(std::string object, std::string cause, std::string hint = {});
[[noreturn]] void throw_refused(std::string object, std::string cause, std::string hint = {});
[[noreturn]] void throw_failed(std::string object, std::string cause, std::string hint = {},
                               int sys_errno = 0);
// A refusal because something is in use (Reason::busy).
[[noreturn]] void throw_busy(std::string object, std::string cause, std::string hint = {});

}  // namespace ptagent
