// Catching the Error a call must throw, so that a test can check its kind, message and hint.
#pragma once

#include <functional>

#include "error.hpp"

namespace ptagent::testing {

// Runs fn and returns the Error it throws. If it throws none, fails the current test and
// returns Error(ErrorKind::failed, "", "").
Error error_of(const std::function<void()>& fn);

}  // namespace ptagent::testing
