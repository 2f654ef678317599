#include "xml/domain_status.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "error.hpp"
#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::TempHost;

namespace {

const char* kStatus = R"(<!--
WARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE
OVERWRITTEN AND LOST.
-->
<domstatus state='running' reason='booted' pid='4242'>
  <monitor path='/var/lib/libvirt/qemu/domain-3-web/monitor.sock' type='unix'/>
  <domain type='kvm' id='3'>
    <name>web</name>
    <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>
    <devices>
      <hostdev mode='subsystem' type='pci' managed='yes'>
        <driver name='vfio'/>
        <source>
          <address domain='0x0000' bus='0x01' slot='0x10' function='0x2'/>
        </source>
        <alias name='hostdev0'/>
        <address type='pci' domain='0x0000' bus='0x00' slot='0x07' function='0x0'/>
      </hostdev>
      <hostdev mode='subsystem' type='mdev' managed='no' model='vfio-pci' display='off'>
        <source>
          <address uuid='4B20D080-1B54-4048-85B3-A6A62D165C01'/>
        </source>
        <alias name='hostdev1'/>
      </hostdev>
      <interface type='hostdev' managed='yes'>
        <mac address='52:54:00:6d:90:02'/>
        <source>
          <address type='pci' domain='0x0000' bus='0x01' slot='0x10' function='0x4'/>
        </source>
      </interface>
      <interface type='network'>
        <source network='vf-pool'/>
        <actual type='hostdev' managed='yes'>
          <source>
            <address type='pci' domain='0x0000' bus='0x01' slot='0x10' function='0x6'/>
          </source>
        </actual>
      </interface>
      <interface type='bridge'>
        <source bridge='br0'/>
      </interface>
    </devices>
  </domain>
</domstatus>
)";

Error parse_error(const std::string& xml) {
  try {
    parse_domain_status(xml);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error for " << xml;
  return Error(ErrorKind::failed, "", "");
}

}  // namespace

TEST(DomainStatus, FindsPciFunctionsAndMdevs) {
  const DomainStatus st = parse_domain_status(kStatus);
  EXPECT_EQ(st.name, "web");
  EXPECT_EQ(st.uuid, "c7a5fdbd-edaf-9455-926a-d65c16db1809");
  ASSERT_EQ(st.pci.size(), 3u);
  EXPECT_EQ(st.pci[0].to_string(), "0000:01:10.2");  // the host address, not the guest's
  EXPECT_EQ(st.pci[1].to_string(), "0000:01:10.4");
  EXPECT_EQ(st.pci[2].to_string(), "0000:01:10.6");
  EXPECT_EQ(st.mdevs, std::vector<std::string>{"4b20d080-1b54-4048-85b3-a6a62d165c01"});
}

TEST(DomainStatus, ABareDomainIsAccepted) {
  const DomainStatus st = parse_domain_status("<domain><name>x</name><devices/></domain>");
  EXPECT_EQ(st.name, "x");
  EXPECT_TRUE(st.pci.empty());
}

TEST(DomainStatus, RefusesMalformedDocuments) {
  for (const char* bad :
       {"", "not xml", "<domstatus><other/></domstatus>", "<!DOCTYPE x [<!ENTITY a 'b'>]><domain/>",
        "<domain><devices><hostdev type='pci'><source><address domain='0x0000' bus='0x100' "
        "slot='0' function='0'/></source></hostdev></devices></domain>",
        "<domain><devices><hostdev type='pci'><source><address domain='0' bus='zz' slot='0' "
        "function='0'/></source></hostdev></devices></domain>",
        "<domain><devices><hostdev type='mdev'><source><address uuid='x'/></source></hostdev>"
        "</devices></domain>"}) {
    EXPECT_EQ(parse_error(bad).kind(), ErrorKind::usage) << bad;
  }
}

TEST(DomainStatus, ReadsTheStatusDirectoryAndReportsBadFiles) {
  TempHost host = TempHost::copy_of("server");
  std::filesystem::create_directories(host.real("/run/libvirt/qemu"));
  std::ofstream(host.real("/run/libvirt/qemu/web.xml")) << kStatus;
  std::ofstream(host.real("/run/libvirt/qemu/broken.xml")) << "<domstatus>";
  std::ofstream(host.real("/run/libvirt/qemu/web.pid")) << "4242";
  const RunningDomains running = read_running_domains(host.root());
  ASSERT_EQ(running.domains.size(), 1u);
  EXPECT_EQ(running.domains[0].name, "web");
  ASSERT_EQ(running.problems.size(), 1u);
  EXPECT_NE(running.problems[0].find("broken.xml"), std::string::npos);

  const PciHolders pci = status_pci_holders(running);
  ASSERT_EQ(pci.size(), 3u);
  EXPECT_EQ(pci.at(parse_pci_address("0000:01:10.4")),
            std::vector<std::string>{"assigned to running domain web"});
  const MdevHolders mdev = status_mdev_holders(running);
  EXPECT_EQ(mdev.at("4b20d080-1b54-4048-85b3-a6a62d165c01").size(), 1u);

  EXPECT_TRUE(read_running_domains(TempHost::copy_of("workstation").root()).domains.empty());
}
