// The admission rules of a guest start on the simulated workstation: each refusal names the
// device and the fix, and nothing on the host changes; what passes comes with its plan.
#include "domain/admission.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "domain/holders.hpp"
#include "error.hpp"
#include "ops/journal.hpp"
#include "pci/device.hpp"
#include "pci/inventory.hpp"
#include "support/domain_xml.hpp"
#include "support/error_of.hpp"
#include "support/kernel_double.hpp"
#include "support/sim_host.hpp"
#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::domain_xml;
using ptagent::testing::error_of;
using ptagent::testing::host_state;
using ptagent::testing::mdev_hostdev;
using ptagent::testing::meta;
using ptagent::testing::meta_mdev;
using ptagent::testing::pci_hostdev;

namespace {

using ptagent::testing::kMdev1;
using ptagent::testing::kMdev2;
using ptagent::testing::kUuid;
using ptagent::testing::kUuid2;

struct Fixture : ptagent::testing::SimHost {
  Fixture() : SimHost("workstation") {}
  // admit() on one scan of the host, as prepare calls it.
  domain::StartPlan admit(const std::string& xml) {
    const DomainInfo info = parse_domain_xml(xml);
    const PassthroughMetadata m =
        info.ptagent_metadata ? parse_metadata(*info.ptagent_metadata) : PassthroughMetadata{};
    const Journal journal(host.root());
    const Inventory inv = Inventory::scan(host.root());
    const domain::DeviceHolders holders = domain::DeviceHolders::read(host.root(), journal.load());
    return domain::admit(host.root(), inv, holders, journal, info, m);
  }
  Error refusal(const std::string& xml) {
    return error_of([&] { admit(xml); });
  }
};

std::string msg(const Error& e) {
  return std::string(e.what()) + " | fix: " + e.hint();
}

}  // namespace

TEST(Admission, NonViableGroupRefusedNamingTheCompanion) {
  Fixture f;
  const std::string before = host_state(f.host.root());
  const Error e = f.refusal(domain_xml(kUuid, pci_hostdev("0x01", "0x00", "0x0", true)));
  EXPECT_EQ(e.kind(), ErrorKind::refused);
  EXPECT_EQ(e.object(), "0000:01:00.0");
  EXPECT_NE(msg(e).find("0000:01:00.1"), std::string::npos) << msg(e);
  EXPECT_FALSE(e.hint().empty());
  EXPECT_EQ(f.kernel.write_count(), 0u);
  EXPECT_EQ(host_state(f.host.root()), before);
  // Both functions assigned together: viable, and managed devices are libvirt's to detach.
  const domain::StartPlan plan = f.admit(domain_xml(
      kUuid, pci_hostdev("0x01", "0x00", "0x0", true) + pci_hostdev("0x01", "0x00", "0x1", true)));
  EXPECT_TRUE(plan.bind.empty());
  EXPECT_FALSE(plan.bind_plan);
  EXPECT_TRUE(plan.mdevs.empty());
}

TEST(Admission, RefusalsNameTheDeviceAndTheFix) {
  struct Case {
    std::string xml;
    const char* mention;
  };
  for (const Case& c : std::vector<Case>{
           {domain_xml(kUuid, pci_hostdev("0x02", "0x00", "0x0", true)),
            "holds the root filesystem"},
           {domain_xml(kUuid, pci_hostdev("0x09", "0x00", "0x0", true)), "not on this host"},
           {domain_xml(kUuid, mdev_hostdev(kMdev1)), "does not say how to create it"},
           {domain_xml(kUuid, mdev_hostdev(kMdev1), meta(meta_mdev(kMdev1, "i915-GVTg_V5_9"))),
            "GVTg_V5_9"},
           {domain_xml(
                kUuid,
                pci_hostdev("0x01", "0x00", "0x0", true) + pci_hostdev("0x01", "0x00", "0x1", true),
                meta("<ptagent:pci address=\"0000:01:00.0\" bind=\"vfio-pci\"/>")),
            "managed='yes'"},
       }) {
    Fixture f;
    const std::string before = host_state(f.host.root());
    const Error e = f.refusal(c.xml);
    EXPECT_NE(msg(e).find(c.mention), std::string::npos) << msg(e);
    EXPECT_FALSE(e.hint().empty()) << msg(e);
    EXPECT_EQ(host_state(f.host.root()), before);
  }
}

TEST(Admission, ADeviceInD3coldIsRefusedBeforeQemuRuns) {
  // Seed 002: an APU's functions in D3cold, config space all ones; QEMU aborted on them.
  Fixture f;
  const Device gpu = read_device(f.host.root(), parse_pci_address("0000:01:00.1"));
  std::ofstream(f.host.root().host_path(gpu.sysfs_path + "/power_state")) << "D3cold\n";
  const Error e = f.refusal(domain_xml(
      kUuid, pci_hostdev("0x01", "0x00", "0x0", true) + pci_hostdev("0x01", "0x00", "0x1", true)));
  EXPECT_NE(msg(e).find("0000:01:00.1 is in D3cold"), std::string::npos) << msg(e);
  EXPECT_NE(msg(e).find("d3cold_allowed"), std::string::npos) << msg(e);
}

TEST(Admission, DevicesHeldByOthersAreRefused) {
  Fixture f;
  {
    Journal journal(f.host.root());
    journal.update([](std::vector<Change>& changes) {
      Change bind;
      bind.id = "bind-0000:01:00.0";
      bind.kind = ChangeKind::bind;
      bind.state = ChangeState::done;
      bind.owner = std::string("domain:") + kUuid2;
      bind.address = parse_pci_address("0000:01:00.0");
      bind.new_driver = "vfio-pci";
      changes.push_back(bind);
      Change mdev;
      mdev.id = "mdev-2";
      mdev.kind = ChangeKind::mdev;
      mdev.state = ChangeState::done;
      mdev.owner = std::string("domain:") + kUuid2;
      mdev.mdev_uuid = kMdev2;
      changes.push_back(mdev);
    });
  }
  const std::string both =
      pci_hostdev("0x01", "0x00", "0x0", true) + pci_hostdev("0x01", "0x00", "0x1", true);
  Error e = f.refusal(domain_xml(kUuid, both));
  EXPECT_EQ(msg(e), std::string("0000:01:00.0: is in use: ptagent bound it for domain:") + kUuid2 +
                        " | fix: stop that domain first, or 'ptagent restore 0000:01:00.0' if "
                        "it is gone");
  // Not against the domain itself.
  EXPECT_NO_THROW(f.admit(domain_xml(kUuid2, both)));

  e = f.refusal(domain_xml(kUuid, mdev_hostdev(kMdev2)));
  EXPECT_NE(msg(e).find(std::string("was created by ptagent for domain:") + kUuid2),
            std::string::npos)
      << msg(e);

  // A running domain (libvirt's status file) holding an mdev.
  std::filesystem::create_directories(f.host.real("/run/libvirt/qemu"));
  std::ofstream(f.host.real("/run/libvirt/qemu/other.xml"))
      << "<domstatus state='running'>"
      << domain_xml(kUuid2, mdev_hostdev(kMdev1) + pci_hostdev("0x01", "0x00", "0x1", true), {},
                    "other")
      << "</domstatus>";
  e = f.refusal(domain_xml(kUuid, mdev_hostdev(kMdev1), meta(meta_mdev(kMdev1))));
  EXPECT_EQ(msg(e), std::string("mdev ") + kMdev1 +
                        ": is in use by the running domain 'other' | fix: give this domain its own "
                        "mdev UUID");
}

TEST(Admission, ThePlanNamesWhatToCreateAndBind) {
  Fixture f;
  const domain::StartPlan plan = f.admit(domain_xml(
      kUuid, mdev_hostdev(kMdev1) + pci_hostdev("0x01", "0x00", "0x0", false),
      meta(meta_mdev(kMdev1) +
           "<ptagent:pci address=\"0000:01:00.0\" bind=\"vfio-pci\" group=\"whole\"/>")));
  ASSERT_EQ(plan.mdevs.size(), 1u);
  EXPECT_EQ(plan.mdevs[0].uuid, kMdev1);
  EXPECT_FALSE(plan.mdevs[0].reuse);
  EXPECT_EQ(plan.bind, (std::vector<PciAddress>{parse_pci_address("0000:01:00.0"),
                                                parse_pci_address("0000:01:00.1")}));
  ASSERT_TRUE(plan.bind_plan);
  EXPECT_EQ(plan.bind_plan->devices.size(), 2u);
  const BindRequest req = domain::bind_request(plan);
  EXPECT_EQ(req.owner, std::string("domain:") + kUuid);
  EXPECT_EQ(req.partial, PartialGroup::checked_by_caller);
  EXPECT_EQ(f.kernel.write_count(), 0u);
}

TEST(Admission, TwoMdevsOfOneTypeNeedTwoInstances) {
  Fixture f;
  const Error e = f.refusal(domain_xml(kUuid, mdev_hostdev(kMdev1) + mdev_hostdev(kMdev2),
                                       meta(meta_mdev(kMdev1) + meta_mdev(kMdev2))));
  EXPECT_NE(msg(e).find("this domain needs 2 instances but only 1 are free"), std::string::npos)
      << msg(e);
}

TEST(Admission, Seed002RefusedNamingD3coldAndTheFix) {
  ptagent::testing::SimHost f("apu");
  const DomainInfo info =
      parse_domain_xml(domain_xml(kUuid, pci_hostdev("0x04", "0x00", "0x3", false)));
  const Journal journal(f.host.root());
  const Inventory inv = Inventory::scan(f.host.root());
  const auto holders = domain::DeviceHolders::read(f.host.root(), journal.load());
  const Error e = error_of(
      [&] { domain::admit(f.host.root(), inv, holders, journal, info, PassthroughMetadata{}); });
  EXPECT_EQ(e.object(), "0000:04:00.3");
  EXPECT_NE(msg(e).find("is in D3cold"), std::string::npos) << msg(e);
  EXPECT_NE(msg(e).find("vfio-pci.disable_idle_d3=1"), std::string::npos) << msg(e);
  EXPECT_EQ(f.kernel.write_count(), 0u);
}

TEST(Admission, AWarningRefusesUntilTheDomainAcceptsIt) {
  Fixture f;
  // The GPU's BAR 0 holds the firmware framebuffer: vfio-pci would fail to reserve it.
  const Device gpu = read_device(f.host.root(), parse_pci_address("0000:01:00.0"));
  ASSERT_FALSE(gpu.bars.empty());
  char line[96];
  std::snprintf(line, sizeof line, "%08llx-%08llx : BOOTFB\n",
                static_cast<unsigned long long>(gpu.bars[0].start),
                static_cast<unsigned long long>(gpu.bars[0].start + 0xfff));
  f.host.put("/proc/iomem", line);
  const std::string both =
      pci_hostdev("0x01", "0x00", "0x0", true) + pci_hostdev("0x01", "0x00", "0x1", true);
  const Error e = f.refusal(domain_xml(kUuid, both));
  EXPECT_EQ(e.object(), "0000:01:00.0");
  EXPECT_NE(msg(e).find("[framebuffer-in-bar]"), std::string::npos) << msg(e);
  EXPECT_NE(
      msg(e).find("<ptagent:accept address=\"0000:01:00.0\" finding=\"framebuffer-in-bar\"/>"),
      std::string::npos)
      << msg(e);
  const domain::StartPlan plan = f.admit(domain_xml(
      kUuid, both,
      meta("<ptagent:accept address=\"0000:01:00.0\" finding=\"framebuffer-in-bar\"/>")));
  ASSERT_EQ(plan.accepted.size(), 1u);
  EXPECT_EQ(plan.accepted[0].rfind("framebuffer-in-bar: BAR 0 of 0000:01:00.0", 0), 0u)
      << plan.accepted[0];
  // Accepting another device's finding does not count.
  const Error other = f.refusal(domain_xml(
      kUuid, both,
      meta("<ptagent:accept address=\"0000:01:00.1\" finding=\"framebuffer-in-bar\"/>")));
  EXPECT_NE(msg(other).find("[framebuffer-in-bar]"), std::string::npos) << msg(other);
}

TEST(Admission, ABlockingFindingOfAGroupCompanionRefuses) {
  Fixture f;
  // 01:00.1 shares group 1 with the GPU; bound to vfio-pci it would make the group viable, but
  // it reads all ones: QEMU would fail on the group.
  const Device audio = read_device(f.host.root(), parse_pci_address("0000:01:00.1"));
  f.host.put(audio.sysfs_path + "/config", std::string(256, '\xff'));
  const Error e = f.refusal(domain_xml(kUuid, pci_hostdev("0x01", "0x00", "0x0", true)));
  EXPECT_EQ(e.object(), "0000:01:00.0");
  EXPECT_NE(msg(e).find("shares IOMMU group 1 with 0000:01:00.1"), std::string::npos) << msg(e);
  EXPECT_NE(msg(e).find("rev ff"), std::string::npos) << msg(e);
}
