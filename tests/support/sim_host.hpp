// A copy of a simulated host whose sysfs writes go to a kernel double on that copy: the base of
// the test fixtures that run ptagent (its commands, the hook) against a host and then look at it.
#pragma once

#include <string>

#include "support/kernel_double.hpp"
#include "support/temp_host.hpp"

namespace ptagent::testing {

struct SimHost {
  // Copies tests/fixtures/hosts/<fixture> (see TempHost::copy_of) and puts a double on the copy.
  explicit SimHost(const std::string& fixture)
      : host(TempHost::copy_of(fixture)), kernel(host.root()) {}

  TempHost host;
  KernelDouble kernel;
};

}  // namespace ptagent::testing
