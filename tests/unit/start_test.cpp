// A start carried out from its plan and undone from the journal, on the simulated workstation.
#include "domain/start.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "domain/admission.hpp"
#include "domain/holders.hpp"
#include "ops/journal.hpp"
#include "ops/mdev.hpp"
#include "pci/device.hpp"
#include "pci/inventory.hpp"
#include "support/domain_xml.hpp"
#include "support/kernel_double.hpp"
#include "support/sim_host.hpp"

using namespace ptagent;
using ptagent::testing::domain_xml;
using ptagent::testing::host_state;
using ptagent::testing::mdev_hostdev;
using ptagent::testing::meta;
using ptagent::testing::meta_mdev;
using ptagent::testing::pci_hostdev;

namespace {

using ptagent::testing::kMdev1;
using ptagent::testing::kUuid;
using ptagent::testing::kUuid2;

struct Fixture : ptagent::testing::SimHost {
  Fixture() : SimHost("workstation"), journal(host.root(), kStateDir) {}
  Journal journal;
  std::vector<std::string> log;
  domain::StartDeps deps() {
    return {host.root(), kernel, std::chrono::milliseconds(300),
            [this](const std::string& line) { log.push_back(line); }};
  }
  domain::StartPlan plan(const std::string& xml) {
    const DomainInfo info = parse_domain_xml(xml);
    const PassthroughMetadata m = parse_metadata(*info.ptagent_metadata);
    return domain::admit(host.root(), Inventory::scan(host.root()),
                         domain::DeviceHolders::read(host.root(), journal.load()), journal, info,
                         m);
  }
  std::string driver(const char* addr) const {
    return read_device(host.root(), parse_pci_address(addr)).driver.value_or("none");
  }
};

const std::string kXml =
    domain_xml(kUuid, mdev_hostdev(kMdev1) + pci_hostdev("0x01", "0x00", "0x0", false),
               meta(meta_mdev(kMdev1) +
                    "<ptagent:pci address=\"0000:01:00.0\" bind=\"vfio-pci\" group=\"whole\"/>"));

}  // namespace

TEST(Start, CreatesAndBindsForTheDomainThenUndoesNewestFirst) {
  Fixture f;
  const std::string before = host_state(f.host.root());
  domain::start(f.deps(), f.journal, f.plan(kXml));
  EXPECT_TRUE(f.host.root().exists(std::string("/sys/bus/mdev/devices/") + kMdev1));
  EXPECT_EQ(f.driver("01:00.0"), "vfio-pci");
  EXPECT_EQ(f.driver("01:00.1"), "vfio-pci");
  const auto entries = f.journal.load();
  ASSERT_EQ(entries.size(), 3u);
  for (const auto& c : entries) EXPECT_EQ(c.owner, std::string("domain:") + kUuid);
  ASSERT_EQ(f.log.size(), 2u);
  EXPECT_EQ(f.log[0], std::string("domain ") + kUuid + ": created mdev " + kMdev1 +
                          " (i915-GVTg_V5_4 on 0000:00:02.0)");
  EXPECT_EQ(f.log[1],
            std::string("domain ") + kUuid + ": bound 0000:01:00.0, 0000:01:00.1 to vfio-pci");

  // Another domain's undo touches none of it.
  EXPECT_TRUE(domain::undo_domain(f.deps(), f.journal, kUuid2).empty());
  EXPECT_EQ(f.journal.load().size(), 3u);

  f.log.clear();
  EXPECT_TRUE(domain::undo_domain(f.deps(), f.journal, kUuid).empty());
  EXPECT_TRUE(f.journal.load().empty());
  EXPECT_EQ(host_state(f.host.root()), before);
  ASSERT_EQ(f.log.size(), 3u);
  EXPECT_NE(f.log[0].find(entries.back().id), std::string::npos) << f.log[0];
  EXPECT_NE(f.log[2].find(entries.front().id), std::string::npos) << f.log[2];
}

TEST(Start, WhatCannotBeUndoneIsReturned) {
  Fixture f;
  domain::start(f.deps(), f.journal, f.plan(kXml));
  f.kernel.fail_nth_write(f.kernel.write_count() + 1, EIO);
  const auto left = domain::undo_domain(f.deps(), f.journal, kUuid);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_NE(left[0].find(" ("), std::string::npos) << left[0];
  EXPECT_EQ(f.journal.load().size(), 1u);
  EXPECT_TRUE(domain::undo_domain(f.deps(), f.journal, kUuid).empty());
  EXPECT_TRUE(f.journal.load().empty());
}

TEST(Start, TheLockLivesInTheStateDirectory) {
  Fixture f;
  {
    domain::StartLock lock(f.host.root());
    EXPECT_TRUE(f.host.root().exists("/run/ptagent/hook.lock"));
    struct stat st {};
    ASSERT_EQ(::stat(f.host.real("/run/ptagent").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
  }
  domain::StartLock again(f.host.root());  // released by the first one's end
}
