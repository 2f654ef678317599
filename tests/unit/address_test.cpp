#include "pci/address.hpp"

#include <gtest/gtest.h>

#include "error.hpp"

using namespace ptagent;

TEST(Address, placeholder) { EXPECT_EQ(parse_pci_address("ff:17.6").to_string(), "0000:ff:17.6"); }
