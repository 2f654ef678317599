// The core of the hook's operations on the simulated workstation: prepare reads the domain XML
// and its metadata, undoes leftovers, admits, starts (undone on failure); release and stopped
// undo what the journal holds for the domain.
#include "domain/lifecycle.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "ops/journal.hpp"
#include "ops/mdev.hpp"
#include "pci/device.hpp"
#include "support/domain_xml.hpp"
#include "support/kernel_double.hpp"
#include "support/sim_host.hpp"
#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::domain_xml;
using ptagent::testing::host_state;
using ptagent::testing::mdev_hostdev;
using ptagent::testing::meta;
using ptagent::testing::meta_mdev;
using ptagent::testing::pci_hostdev;
using Prepared = ptagent::domain::PrepareOutcome::Result;
using Released = ptagent::domain::ReleaseOutcome::Result;

namespace {

using ptagent::testing::kMdev1;
using ptagent::testing::kUuid;
using ptagent::testing::kUuid2;

struct Fixture : ptagent::testing::SimHost {
  Fixture() : SimHost("workstation") {}
  std::vector<std::string> log;
  domain::StartDeps deps() {
    return {host.root(), kernel, std::chrono::milliseconds(300),
            [this](const std::string& line) { log.push_back(line); }};
  }
  domain::PrepareOutcome prepare(const std::string& xml) { return domain::prepare(deps(), xml); }
  domain::ReleaseOutcome release(const std::string& xml) { return domain::release(deps(), xml); }
  std::vector<Change> journal() const { return Journal(host.root()).load(); }
  std::string driver(const char* addr) const {
    return read_device(host.root(), parse_pci_address(addr)).driver.value_or("none");
  }
};

std::string what(const domain::PrepareOutcome& o) {
  return o.error ? std::string(o.error->what()) + " | fix: " + o.error->hint() : std::string();
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A non-PCI mdev parent like the kernel's mtty sample: /sys/class/mdev_bus/mtty.
void add_mtty_parent(ptagent::testing::TempHost& host) {
  namespace fs = std::filesystem;
  const std::string dev = "/sys/devices/virtual/mtty/mtty";
  const std::string type = dev + "/mdev_supported_types/mtty-2";
  fs::create_directories(host.real(type + "/devices"));
  std::ofstream(host.real(type + "/name")) << "Dual-port-serial\n";
  std::ofstream(host.real(type + "/available_instances")) << "12\n";
  std::ofstream(host.real(type + "/device_api")) << "vfio-pci\n";
  std::ofstream(host.real(type + "/create"));
  fs::create_directories(host.real("/sys/class/mdev_bus"));
  fs::create_symlink("../../devices/virtual/mtty/mtty", host.real("/sys/class/mdev_bus/mtty"));
}

}  // namespace

TEST(Lifecycle, NothingToDoForADomainWithoutDevices) {
  Fixture f;
  const auto out = f.prepare(domain_xml(kUuid, "<disk/>"));
  EXPECT_EQ(out.result, Prepared::nothing_to_do);
  EXPECT_EQ(f.kernel.write_count(), 0u);
  EXPECT_EQ(f.release("<domain><name>x</name></domain>").result, Released::nothing_to_do);
}

TEST(Lifecycle, BadXmlIsNamed) {
  Fixture f;
  for (const auto& [xml, mention] : std::vector<std::pair<std::string, std::string>>{
           {"<notadomain><hostdev/></notadomain>", "no <domain>"},
           {"<!DOCTYPE d [<!ENTITY x 'y'>]><domain><hostdev/></domain>", "DTD"},
           {"<domain><devices>" + mdev_hostdev(kMdev1) + "</devices></domain>", "has no <uuid>"},
           {domain_xml(kUuid, "",
                       meta("<ptagent:mdev uuid=\"not-a-uuid\" parent=\"0000:00:02.0\" "
                            "type=\"x\"/>")),
            "uuid"},
           {domain_xml(kUuid, "",
                       meta(std::string("<ptagent:mdev uuid=\"") + kMdev1 +
                            "\" parent=\"0000:00:02.0\" type=\"../../etc\"/>")),
            "type"},
       }) {
    const auto out = f.prepare(xml);
    EXPECT_EQ(out.result, Prepared::bad_xml) << xml;
    EXPECT_NE(what(out).find(mention), std::string::npos) << what(out);
  }
  EXPECT_EQ(f.release("<!DOCTYPE x [<!ENTITY a 'b'>]><domain/>").result, Released::bad_xml);
  EXPECT_TRUE(f.journal().empty());
}

TEST(Lifecycle, UnmanagedDevicesBoundAndRestored) {
  Fixture f;
  const std::string before = host_state(f.host.root());
  std::string xml =
      domain_xml(kUuid, pci_hostdev("0x01", "0x00", "0x0", false),
                 meta("<ptagent:pci address=\"0000:01:00.0\" bind=\"vfio-pci\" group=\"whole\"/>"));
  auto r = f.prepare(xml);
  ASSERT_EQ(r.result, Prepared::started) << what(r);
  EXPECT_EQ(r.uuid, kUuid);
  EXPECT_EQ(f.driver("01:00.0"), "vfio-pci");
  EXPECT_EQ(f.driver("01:00.1"), "vfio-pci");
  EXPECT_EQ(f.journal().size(), 2u);
  const auto s = f.release(xml);
  EXPECT_EQ(s.result, Released::released);
  EXPECT_EQ(f.driver("01:00.0"), "nouveau");
  EXPECT_EQ(f.driver("01:00.1"), "snd_hda_intel");
  EXPECT_TRUE(f.journal().empty());
  EXPECT_EQ(host_state(f.host.root()), before);
  EXPECT_EQ(domain::stopped(f.deps(), xml).result, Released::released);
}

TEST(Lifecycle, FailureAtEveryWriteOfPrepareLeavesTheHostAsItWas) {
  const std::string xml =
      domain_xml(kUuid, mdev_hostdev(kMdev1) + pci_hostdev("0x01", "0x00", "0x0", false),
                 meta(meta_mdev(kMdev1) +
                      "<ptagent:pci address=\"0000:01:00.0\" bind=\"vfio-pci\" group=\"whole\"/>"));
  std::size_t total = 0;
  {
    Fixture f;
    ASSERT_EQ(f.prepare(xml).result, Prepared::started);
    total = f.kernel.write_count();
  }
  ASSERT_GT(total, 4u);
  for (std::size_t n = 1; n <= total; ++n) {
    Fixture f;
    const std::string before = host_state(f.host.root());
    f.kernel.fail_nth_write(n, EIO);
    const auto r = f.prepare(xml);
    EXPECT_EQ(r.result, Prepared::refused) << "write " << n;
    EXPECT_TRUE(r.not_undone.empty()) << "write " << n;
    EXPECT_EQ(host_state(f.host.root()), before) << "after a failure at write " << n;
    EXPECT_TRUE(f.journal().empty()) << "write " << n;
  }
}

TEST(Lifecycle, MetadataIsValidatedAgainstTheSchema) {
  // The strict reader and xml/ptagent-metadata.rng agree on every document the tests know, so a
  // schema that allows no <pci> at all (through $PTAGENT_XML_DIR) shows that prepare consults it.
  char tmpl[] = "/tmp/ptagent-hook-rng-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  {
    std::ofstream rng(dir + "/ptagent-metadata.rng");
    rng << "<grammar xmlns='http://relaxng.org/ns/structure/1.0' ns='urn:x-ptagent:passthrough:1'>"
           "<start><element name='passthrough'><zeroOrMore><element name='mdev'>"
           "<attribute name='uuid'/><attribute name='parent'/><attribute name='type'/></element>"
           "</zeroOrMore></element></start></grammar>";
  }
  ScopedEnv env("PTAGENT_XML_DIR", dir.c_str());
  Fixture f;
  const std::string before = host_state(f.host.root());
  auto r = f.prepare(
      domain_xml(kUuid, "", meta("<ptagent:pci address=\"0000:01:00.0\" bind=\"vfio-pci\"/>")));
  EXPECT_EQ(r.result, Prepared::bad_xml);
  EXPECT_NE(what(r).find("does not match ptagent-metadata.rng"), std::string::npos) << what(r);
  EXPECT_NE(what(r).find("fix: write addresses as DDDD:BB:SS.F"), std::string::npos) << what(r);
  EXPECT_EQ(host_state(f.host.root()), before);
  EXPECT_TRUE(f.journal().empty());
  // What the schema allows goes through.
  std::string xml = domain_xml(kUuid, mdev_hostdev(kMdev1), meta(meta_mdev(kMdev1)));
  r = f.prepare(xml);
  EXPECT_EQ(r.result, Prepared::started) << what(r);
  EXPECT_EQ(f.release(xml).result, Released::released);
  std::filesystem::remove_all(dir);
}

TEST(Lifecycle, MetadataNamespaceDeclaredOnTheDomainIsAccepted) {
  Fixture f;
  // The prefix is declared on <domain>, not on the element: the schema sees it declared all the
  // same.
  std::string xml =
      "<domain type='qemu' xmlns:pt='urn:x-ptagent:passthrough:1'><name>guest</name><uuid>" +
      std::string(kUuid) + "</uuid><metadata><pt:passthrough><pt:mdev uuid='" + kMdev1 +
      "' parent='0000:00:02.0' type='i915-GVTg_V5_4'/></pt:passthrough></metadata><devices>" +
      mdev_hostdev(kMdev1) + "</devices></domain>";
  auto r = f.prepare(xml);
  ASSERT_EQ(r.result, Prepared::started) << what(r);
  EXPECT_TRUE(f.host.root().exists(std::string("/sys/bus/mdev/devices/") + kMdev1));
  EXPECT_EQ(f.release(xml).result, Released::released);
}

TEST(Lifecycle, MetadataWithoutTheSchemaFallsBackToTheStrictReader) {
  ScopedEnv env("PTAGENT_XML_DIR", "/nonexistent/ptagent-xml");
  Fixture f;
  std::string xml = domain_xml(kUuid, mdev_hostdev(kMdev1), meta(meta_mdev(kMdev1)));
  auto r = f.prepare(xml);
  ASSERT_EQ(r.result, Prepared::started) << what(r);
  bool said = false;
  for (const auto& line : f.log)
    said = said || line.find("not checked against ptagent-metadata.rng") != std::string::npos;
  EXPECT_TRUE(said);
  EXPECT_EQ(f.release(xml).result, Released::released);
  // The strict reader still refuses a traversal in the type.
  r = f.prepare(domain_xml(kUuid, "",
                           meta(std::string("<ptagent:mdev uuid=\"") + kMdev1 +
                                "\" parent=\"0000:00:02.0\" type=\"../x\"/>")));
  EXPECT_EQ(r.result, Prepared::bad_xml);
  EXPECT_NE(what(r).find("mdev type '../x'"), std::string::npos) << what(r);
}

// The documented virsh workflow: 'ptagent mdev create' first, then a domain that names the mdev.
TEST(Lifecycle, AnMdevCreatedBeforehandMayBeNamedAndStaysAtRelease) {
  Fixture f;
  {
    Journal journal(f.host.root());
    create_mdev(
        f.host.root(), f.kernel, journal,
        plan_mdev_create(f.host.root(), "0000:00:02.0", "i915-GVTg_V5_4", std::string_view(kMdev1)),
        "cli");
  }
  const std::string mdev_path = std::string("/sys/bus/mdev/devices/") + kMdev1;
  ASSERT_TRUE(f.host.root().exists(mdev_path));
  const std::string xml = domain_xml(kUuid, mdev_hostdev(kMdev1));
  auto r = f.prepare(xml);
  EXPECT_EQ(r.result, Prepared::started) << what(r);
  // Named in the metadata too: reused, not created again.
  r = f.prepare(domain_xml(kUuid, mdev_hostdev(kMdev1), meta(meta_mdev(kMdev1))));
  EXPECT_EQ(r.result, Prepared::started) << what(r);
  EXPECT_EQ(f.release(xml).result, Released::released);
  EXPECT_TRUE(f.host.root().exists(mdev_path))
      << "the hook did not create it: it must not remove it";
  auto j = f.journal();
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0].owner, "cli");

  // Another running domain holding it: refused, naming that domain.
  std::filesystem::create_directories(f.host.real("/run/libvirt/qemu"));
  std::ofstream(f.host.real("/run/libvirt/qemu/other.xml"))
      << "<domstatus state='running'>" << domain_xml(kUuid2, mdev_hostdev(kMdev1), {}, "other")
      << "</domstatus>";
  r = f.prepare(xml);
  EXPECT_EQ(r.result, Prepared::refused);
  EXPECT_NE(what(r).find("in use by the running domain 'other'"), std::string::npos) << what(r);
}

// An mdev parent that is not a PCI device (mtty, vfio-ap, vfio-ccw) in the metadata.
TEST(Lifecycle, MetadataWithANonPciMdevParent) {
  Fixture f;
  add_mtty_parent(f.host);
  const std::string xml = domain_xml(
      kUuid, mdev_hostdev(kMdev1),
      meta(std::string("<ptagent:mdev uuid=\"") + kMdev1 + "\" parent=\"mtty\" type=\"mtty-2\"/>"));
  auto r = f.prepare(xml);
  ASSERT_EQ(r.result, Prepared::started) << what(r);
  const std::string mdev_path = std::string("/sys/bus/mdev/devices/") + kMdev1;
  EXPECT_TRUE(f.host.root().exists(mdev_path));
  EXPECT_EQ(f.host.root().resolve(mdev_path).value_or(""),
            std::string("/sys/devices/virtual/mtty/mtty/") + kMdev1);
  EXPECT_EQ(f.release(xml).result, Released::released);
  EXPECT_FALSE(f.host.root().exists(mdev_path));
  // A parent that is not listed under /sys/class/mdev_bus is named in the refusal.
  r = f.prepare(domain_xml(
      kUuid, mdev_hostdev(kMdev1),
      meta(std::string("<ptagent:mdev uuid=\"") + kMdev1 + "\" parent=\"matrix\" type=\"x\"/>")));
  EXPECT_EQ(r.result, Prepared::refused);
  EXPECT_NE(what(r).find("matrix"), std::string::npos) << what(r);
}
