#include "virt/libvirt_api.hpp"

#include <gtest/gtest.h>

using namespace ptagent;

// libvirt0 is a build dependency here (libvirt-dev), so it loads, and every pointer is set.
TEST(LibvirtApi, LoadsEveryFunction) {
  const LibvirtApi& api = libvirt();
#define PTAGENT_CHECK_POINTER(name) EXPECT_NE(api.name, nullptr) << #name;
  PTAGENT_LIBVIRT_FUNCTIONS(PTAGENT_CHECK_POINTER)
#undef PTAGENT_CHECK_POINTER
  // Loaded once: the same table every time.
  EXPECT_EQ(&libvirt(), &api);
}
