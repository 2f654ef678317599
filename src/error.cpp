#include "error.hpp"

#include <utility>

namespace ptagent {

namespace {
std::string compose(const std::string& object, const std::string& cause) {
  return object.empty() ? cause : object + ": " + cause;
}
}  // namespace

Error::Error(ErrorKind kind, std::string object, std::string cause, std::string hint,
             int sys_errno)
    : std::runtime_error(compose(object, cause)),
      kind_(kind),
      object_(std::move(object)),
      cause_(std::move(cause)),
      hint_(std::move(hint)),
      errno_(sys_errno) {}

void throw_usage(std::string object, std::string cause, std::string hint) {
  throw Error(ErrorKind::usage, std::move(object), std::move(cause), std::move(hint));
}
void throw_not_found(std::string object, std::string cause, std::string hint) {
  throw Error(ErrorKind::not_found, std::move(object), std::move(cause), std::move(hint));
}
void throw_refused(std::string object, std::string cause, std::string hint) {
  throw Error(ErrorKind::refused, std::move(object), std::move(cause), std::move(hint));
}
void throw_failed(std::string object, std::string cause, std::string hint, int sys_errno) {
  throw Error(ErrorKind::failed, std::move(object), std::move(cause), std::move(hint), sys_errno);
}

}  // namespace ptagent
