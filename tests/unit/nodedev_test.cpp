#include "xml/nodedev.hpp"

#include <gtest/gtest.h>

#include "error.hpp"

using namespace ptagent;

namespace {

// What `virsh nodedev-dumpxml pci_0000_00_05_0` prints on libvirt 9.0.
const char* kVirtioRng =
    "<device>\n"
    "  <name>pci_0000_00_05_0</name>\n"
    "  <path>/sys/devices/pci0000:00/0000:00:05.0</path>\n"
    "  <parent>computer</parent>\n"
    "  <driver>\n"
    "    <name>virtio-pci</name>\n"
    "  </driver>\n"
    "  <capability type='pci'>\n"
    "    <class>0xffff00</class>\n"
    "    <domain>0</domain>\n"
    "    <bus>0</bus>\n"
    "    <slot>5</slot>\n"
    "    <function>0</function>\n"
    "    <product id='0x1044'>Virtio 1.0 RNG</product>\n"
    "    <vendor id='0x1af4'>Red Hat, Inc.</vendor>\n"
    "  </capability>\n"
    "</device>\n";

std::string pci_cap(const std::string& domain, const std::string& bus, const std::string& slot,
                    const std::string& function) {
  return "<device><name>pci_x</name><capability type='pci'><domain>" + domain + "</domain><bus>" +
         bus + "</bus><slot>" + slot + "</slot><function>" + function +
         "</function></capability></device>";
}

}  // namespace

TEST(Nodedev, RealVirshOutput) {
  EXPECT_EQ(parse_nodedev_xml(kVirtioRng).to_string(), "0000:00:05.0");
}

TEST(Nodedev, DecimalFieldsBecomeHex) {
  struct Case {
    std::string xml;
    const char* address;
  };
  const Case cases[] = {
      {pci_cap("0", "255", "23", "6"), "0000:ff:17.6"},
      {pci_cap("65535", "0", "31", "7"), "ffff:00:1f.7"},
      {pci_cap(" 0\n", "\t10 ", "1", "0"), "0000:0a:01.0"},    // whitespace around values
      {pci_cap("0x0", "0x1f", "0x1", "0x0"), "0000:1f:01.0"},  // explicit hex is honoured
      {pci_cap("0", "16", "0", "0"), "0000:10:00.0"},          // "16" is decimal, never 0x16
      // Other capabilities first (a PCI device with an SR-IOV sub-capability, say).
      {"<device><capability type='net'/><capability "
       "type='pci'><domain>0</domain><bus>1</bus><slot>0</slot>"
       "<function>1</function><capability type='virt_functions'/></capability></device>",
       "0000:01:00.1"},
  };
  for (const auto& c : cases) EXPECT_EQ(parse_nodedev_xml(c.xml).to_string(), c.address) << c.xml;
}

TEST(Nodedev, RefusesWithAReason) {
  struct Case {
    std::string xml;
    const char* why;
  };
  const Case cases[] = {
      {"", "well-formed"},
      {"   \n", "well-formed"},
      {"not xml", "well-formed"},
      {"<device><capability type='pci'>", "well-formed"},
      {"<domain/>", "no <device>"},
      {"<device><name>net_eth0</name><capability "
       "type='net'><interface>eth0</interface></capability></device>",
       "no <capability type='pci'>"},
      {"<device><capability "
       "type='pci'><domain>0</domain><bus>1</bus><slot>0</slot></capability></device>",
       "<function>"},
      {pci_cap("0", "256", "0", "0"), "bus 256"},
      {pci_cap("0", "0", "32", "0"), "slot 32"},
      {pci_cap("0", "0", "0", "8"), "function 8"},
      {pci_cap("65536", "0", "0", "0"), "domain 65536"},
      {pci_cap("0", "-1", "0", "0"), "-1"},
      {pci_cap("0", "ff", "0", "0"), "not a number"},
      {pci_cap("0", "1.5", "0", "0"), "not a number"},
      {pci_cap("0", "", "0", "0"), "not a number"},
      {pci_cap("0", "99999999999999999999", "0", "0"), "not a number"},
      {pci_cap("0", std::string(100000, '9'), "0", "0"), "not a number"},
      {pci_cap("0", "&xxe;", "0", "0"), "not a number"},
      {"<?xml version='1.0'?><!DOCTYPE device [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]>" +
           pci_cap("0", "&xxe;", "0", "0"),
       "DTD"},
      {"<!DOCTYPE device [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b "
       "'&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>]><device>&b;</device>",
       "DTD"},
      {std::string(1u << 20, ' ') + pci_cap("0", "1", "0", "0"), "1 MiB"},
  };
  for (const auto& c : cases) {
    try {
      parse_nodedev_xml(c.xml);
      ADD_FAILURE() << "accepted: " << c.xml.substr(0, 200);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::usage) << e.what();
      EXPECT_NE(std::string(e.what()).find(c.why), std::string::npos)
          << e.what() << " / wanted " << c.why;
    }
  }
}
