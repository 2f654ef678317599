#include "domain/holders.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::domain::DeviceHolders;
using ptagent::domain::Hold;
using ptagent::testing::TempHost;

namespace {

const std::string kSelf = "11111111-2222-3333-4444-555555555555";
const std::string kOther = "66666666-7777-8888-9999-aaaaaaaaaaaa";
const std::string kMdev = "4b20d080-1b54-4048-85b3-a6a62d165c01";

Change bind_for(const std::string& owner, const char* address) {
  Change c;
  c.id = "b-" + owner;
  c.kind = ChangeKind::bind;
  c.owner = owner;
  c.address = parse_pci_address(address);
  return c;
}

Change mdev_for(const std::string& owner, const std::string& uuid) {
  Change c;
  c.id = "m-" + owner;
  c.kind = ChangeKind::mdev;
  c.owner = owner;
  c.mdev_uuid = uuid;
  return c;
}

RunningDomains running_web() {
  DomainStatus web;
  web.name = "web";
  web.uuid = kOther;
  web.pci = {parse_pci_address("0000:01:00.0")};
  web.mdevs = {kMdev};
  RunningDomains r;
  r.domains.push_back(web);
  return r;
}

}  // namespace

TEST(Holders, PciFromTheJournalAndTheStatusFilesLeavingTheAskingDomainOut) {
  const DeviceHolders h(
      {bind_for("domain:" + kSelf, "0000:01:00.0"), bind_for("cli", "0000:01:00.0"),
       bind_for("domain:" + kOther, "0000:02:00.0")},
      running_web());
  const auto all = h.of_pci(parse_pci_address("0000:01:00.0"));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].via, Hold::Via::journal);
  EXPECT_EQ(all[0].who, "domain:" + kSelf);
  EXPECT_EQ(all[0].domain_uuid, kSelf);
  EXPECT_EQ(all[1].who, "cli");
  EXPECT_EQ(all[1].domain_uuid, "");
  EXPECT_EQ(all[2].via, Hold::Via::running_domain);
  EXPECT_EQ(all[2].who, "web");
  EXPECT_EQ(all[2].domain_uuid, kOther);

  const auto others = h.of_pci(parse_pci_address("0000:01:00.0"), kSelf);
  ASSERT_EQ(others.size(), 2u);
  EXPECT_EQ(others[0].who, "cli");
  EXPECT_EQ(h.of_pci(parse_pci_address("0000:01:00.0"), kOther).size(), 2u);
  EXPECT_TRUE(h.of_pci(parse_pci_address("0000:03:00.0")).empty());
}

TEST(Holders, MdevsFromTheJournalAndTheStatusFiles) {
  const DeviceHolders h({mdev_for("domain:" + kSelf, kMdev), mdev_for("cli", "other")},
                        running_web());
  const auto all = h.of_mdev(kMdev);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].via, Hold::Via::journal);
  EXPECT_EQ(all[1].via, Hold::Via::running_domain);
  EXPECT_TRUE(h.of_mdev(kMdev, kOther).size() == 1u &&
              h.of_mdev(kMdev, kOther)[0].who == "domain:" + kSelf);
  EXPECT_EQ(h.of_mdev("other").size(), 1u);
}

TEST(Holders, ReasonsKeepTheirWordsAndLeaveCliEntriesOut) {
  const DeviceHolders h({bind_for("domain:" + kSelf, "0000:01:00.0"),
                         bind_for("cli", "0000:02:00.0"), mdev_for("domain:" + kSelf, kMdev)},
                        running_web());
  const PciHolders pci = h.pci_reasons();
  EXPECT_EQ(pci.at(parse_pci_address("0000:01:00.0")),
            (std::vector<std::string>{"bound for domain " + kSelf + " (ptagent journal)",
                                      "assigned to running domain web"}));
  EXPECT_EQ(pci.count(parse_pci_address("0000:02:00.0")), 0u);
  const MdevHolders mdev = h.mdev_reasons();
  EXPECT_EQ(mdev.at(kMdev),
            (std::vector<std::string>{"created for domain " + kSelf + " (ptagent journal)",
                                      "assigned to running domain web"}));
}

TEST(Holders, ReadsTheStatusFilesAndNamesTheUnreadable) {
  TempHost host = TempHost::empty();
  std::filesystem::create_directories(host.real("/run/libvirt/qemu"));
  std::ofstream(host.real("/run/libvirt/qemu/web.xml"))
      << "<domstatus><domain><name>web</name><uuid>" << kOther
      << "</uuid><devices><hostdev mode='subsystem' type='pci'><source><address domain='0x0000' "
         "bus='0x01' slot='0x00' function='0x0'/></source></hostdev></devices></domain>"
         "</domstatus>";
  std::ofstream(host.real("/run/libvirt/qemu/broken.xml")) << "<domstatus>";
  const DeviceHolders h = DeviceHolders::read(host.root());
  EXPECT_TRUE(h.journal().empty());
  ASSERT_EQ(h.problems().size(), 1u);
  EXPECT_NE(h.problems()[0].find("broken.xml"), std::string::npos);
  const auto held = h.of_pci(parse_pci_address("0000:01:00.0"));
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].who, "web");
  EXPECT_EQ(held[0].domain_uuid, kOther);
}
