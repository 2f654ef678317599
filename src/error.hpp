// The one error type of the core: names the object, the cause and what the user can do.
#pragma once

#include <stdexcept>
#include <string>

namespace ptagent {

enum class ErrorKind {
  usage,      // malformed input or bad usage: exit 2
  not_found,  // a well-formed reference to something that is not there: exit 1
  refused,    // a check said no (guard, viability, in use): exit 1
  failed,     // the operation was tried and failed: exit 1
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string object, std::string cause, std::string hint = {},
        int sys_errno = 0);

  ErrorKind kind() const { return kind_; }
  const std::string& object() const { return object_; }
  const std::string& cause() const { return cause_; }
  const std::string& hint() const { return hint_; }
  int sys_errno() const { return errno_; }
  int exit_code() const { return kind_ == ErrorKind::usage ? 2 : 1; }

 private:
  ErrorKind kind_;
  std::string object_;
  std::string cause_;
  std::string hint_;
  int errno_;
};

// Shorthands for the common kinds.
[[noreturn]] void throw_usage(std::string object, std::string cause, std::string hint = {});
[[noreturn]] void throw_not_found(std::string object, std::string cause, std::string hint = {});
[[noreturn]] void throw_refused(std::string object, std::string cause, std::string hint = {});
[[noreturn]] void throw_failed(std::string object, std::string cause, std::string hint = {},
                               int sys_errno = 0);

}  // namespace ptagent
