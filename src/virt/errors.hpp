// libvirt error text -> a cause and a fix a host administrator can act on. libvirt's own words
// are kept in the message.
#pragma once

#include <string>

#include "error.hpp"
#include "virt/connection.hpp"

namespace ptagent::virt {

struct Translation {
  std::string cause;  // our reading of it
  std::string hint;   // what to do
  ErrorKind kind = ErrorKind::failed;
  Reason reason = Reason::failed;
};

// `object` names the device or domain; `operation` the call ("detach", "reset", ...).
Translation translate(const LibvirtError& error, const std::string& operation);
[[noreturn]] void throw_libvirt(const std::string& object, const std::string& operation,
                                const LibvirtError& error);

}  // namespace ptagent::virt
