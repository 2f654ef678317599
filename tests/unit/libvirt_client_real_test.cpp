// The real LibvirtClient against libvirt's test driver (no daemon): its default connection runs
// one domain, "test", without host devices.
#include "virt/libvirt_client_real.hpp"

#include <gtest/gtest.h>

#include "error.hpp"
#include "support/error_of.hpp"

using namespace ptagent;
using ptagent::testing::error_of;
using ptagent::virt::RealLibvirtClient;

TEST(RealLibvirtClient, AnswersFromTheTestDriver) {
  RealLibvirtClient c;
  c.connect("test:///default", std::chrono::milliseconds(5000));
  EXPECT_NO_THROW(c.lookup_domain("test"));
  EXPECT_TRUE(c.domain_is_active("test"));
  EXPECT_NE(c.domain_xml("test", false).find("<name>test</name>"), std::string::npos);
  EXPECT_NE(c.domain_xml("test", true).find("<name>test</name>"), std::string::npos);
  const auto running = c.running_domain_xmls();
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].first, "test");
}

TEST(RealLibvirtClient, UnknownDomainsAndDevicesAreErrorsNamingThem) {
  RealLibvirtClient c;
  c.connect("test:///default", std::chrono::milliseconds(5000));
  Error e = error_of([&] { c.lookup_domain("nosuch"); });
  EXPECT_EQ(e.kind(), ErrorKind::not_found);
  EXPECT_EQ(e.object(), "domain 'nosuch'");
  e = error_of([&] { c.domain_is_active("nosuch"); });
  EXPECT_EQ(e.object(), "domain 'nosuch'");
  e = error_of([&] { c.lookup_node_device(parse_pci_address("0000:7f:1f.7")); });
  EXPECT_EQ(e.object(), "0000:7f:1f.7");
}

TEST(RealLibvirtClient, EveryCallNeedsAConnection) {
  RealLibvirtClient c;
  EXPECT_THROW(c.running_domain_xmls(), Error);
  EXPECT_THROW(c.lookup_domain("test"), Error);
  EXPECT_THROW(c.connect("nosuchdriver:///x", std::chrono::milliseconds(5000)), Error);
  EXPECT_THROW(c.running_domain_xmls(), Error);
}
