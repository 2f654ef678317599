#include "support/error_of.hpp"

#include <gtest/gtest.h>

namespace ptagent::testing {

Error error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no Error thrown";
  return Error(ErrorKind::failed, "", "");
}

}  // namespace ptagent::testing
