// Which running domains hold a PCI device, from their live XML.
#include "domain/libvirt_holders.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "error.hpp"
#include "virt/libvirt_client_real.hpp"

using namespace ptagent;
using ptagent::virt::RealLibvirtClient;

namespace {

std::string dom(const std::string& name, const std::string& uuid, const std::string& devices) {
  return "<domain type='kvm'><name>" + name + "</name><uuid>" + uuid + "</uuid><devices>" +
         devices + "</devices></domain>";
}

std::string hostdev(const char* bus, const char* slot, const char* fn) {
  return std::string(
             "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' "
             "bus='") +
         bus + "' slot='" + slot + "' function='" + fn + "'/></source></hostdev>";
}

constexpr const char* kU1 = "11111111-2222-3333-4444-555555555551";
constexpr const char* kU2 = "11111111-2222-3333-4444-555555555552";

}  // namespace

TEST(DomainHolders, NamesEveryRunningDomainWithTheHostdev) {
  const DomainXmls running = {
      {"l2pci", dom("l2pci", kU1, hostdev("0x01", "0x00", "0x0"))},
      {"other", dom("other", kU2, hostdev("0x01", "0x00", "0x1"))},
      {"vf",
       dom("vf", "11111111-2222-3333-4444-555555555553",
           "<interface type='hostdev' managed='yes'><source><address type='pci' domain='0x0000' "
           "bus='0x01' slot='0x00' function='0x0'/></source></interface>")},
  };
  EXPECT_EQ(domains_holding(running, parse_pci_address("0000:01:00.0")),
            (std::vector<std::string>{"l2pci", "vf"}));
  EXPECT_EQ(domains_holding(running, parse_pci_address("0000:01:00.1")),
            (std::vector<std::string>{"other"}));
  EXPECT_TRUE(domains_holding(running, parse_pci_address("0000:02:00.0")).empty());
  EXPECT_EQ(join_domain_names({"l2pci", "vf"}), "l2pci, vf");
}

TEST(DomainHolders, TheDomainBeingChangedAndUnreadableDocumentsHoldNothing) {
  const DomainXmls running = {
      {"self", dom("self", kU1, hostdev("0x01", "0x00", "0x0"))},
      {"broken", "<domain><devices><hostdev"},
      {"dtd", "<!DOCTYPE x [<!ENTITY a 'b'>]><domain/>"},
  };
  EXPECT_TRUE(domains_holding(running, parse_pci_address("0000:01:00.0"), kU1).empty());
  EXPECT_EQ(domains_holding(running, parse_pci_address("0000:01:00.0"), kU2),
            (std::vector<std::string>{"self"}));
  EXPECT_TRUE(domain_xml_holds(dom("x", kU1, hostdev("0x01", "0x00", "0x0")),
                               parse_pci_address("0000:01:00.0")));
  EXPECT_FALSE(domain_xml_holds(dom("x", kU1, hostdev("0x01", "0x00", "0x0")),
                                parse_pci_address("0000:01:00.1")));
  EXPECT_FALSE(domain_xml_holds("<domain><devices><hostdev", parse_pci_address("0000:01:00.0")));
}

// Through the real client against libvirt's test driver: its default connection runs one domain,
// "test", without host devices; a node file runs one that holds 0000:01:10.0.
TEST(DomainHolders, RefusesADeviceARunningDomainHolds) {
  const std::filesystem::path file = std::filesystem::temp_directory_path() /
                                     ("ptagent-holders-" + std::to_string(::getpid()) + ".xml");
  std::ofstream(file)
      << "<node><domain type='test'><name>l2pci</name><uuid>" << kU1
      << "</uuid><memory>65536</memory><os><type>hvm</type></os><devices>"
         "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' "
         "bus='0x01' slot='0x10' function='0x0'/></source></hostdev></devices></domain></node>";
  {
    RealLibvirtClient conn;
    conn.connect("test://" + file.string(), std::chrono::milliseconds(5000));
    const auto a = parse_pci_address("0000:01:10.0");
    EXPECT_EQ(domains_holding(conn.running_domain_xmls(), a), (std::vector<std::string>{"l2pci"}));
    try {
      refuse_held_devices(conn, {parse_pci_address("0000:01:10.1"), a}, "reset");
      ADD_FAILURE() << "not refused";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::refused);
      EXPECT_EQ(e.object(), "0000:01:10.0");
      EXPECT_NE(e.cause().find("running domain 'l2pci': reset refused"), std::string::npos)
          << e.cause();
    }
    EXPECT_NO_THROW(refuse_held_devices(conn, {a}, "attach", kU1));  // the domain itself
    EXPECT_NO_THROW(refuse_held_devices(conn, {parse_pci_address("0000:01:10.1")}, "reset"));
  }
  RealLibvirtClient def;
  def.connect("test:///default", std::chrono::milliseconds(5000));
  EXPECT_TRUE(
      domains_holding(def.running_domain_xmls(), parse_pci_address("0000:01:10.0")).empty());
  std::filesystem::remove(file);
}
