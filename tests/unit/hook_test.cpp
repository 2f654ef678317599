// The qemu hook in-process: libvirt's contract, prepare's checks and actions, release's undo, a
// failure injected at every write of prepare, and concurrent domains.
#include "hooks/hook.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "ops/journal.hpp"
#include "ops/mdev.hpp"
#include "pci/device.hpp"
#include "support/kernel_double.hpp"
#include "support/sim_host.hpp"
#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::host_state;

namespace {

constexpr const char* kUuid = "6c0d8a58-33f0-4c0c-9c48-0b4b6f1e7a01";
constexpr const char* kUuid2 = "6c0d8a58-33f0-4c0c-9c48-0b4b6f1e7a02";
constexpr const char* kMdev1 = "4b20d080-1b54-4048-85b3-a6a62d165c01";
constexpr const char* kMdev2 = "4b20d080-1b54-4048-85b3-a6a62d165c02";

std::string domain(const std::string& uuid, const std::string& devices,
                   const std::string& metadata = {}, const std::string& name = "guest") {
  return "<domain type='qemu'><name>" + name + "</name><uuid>" + uuid + "</uuid>" +
         (metadata.empty() ? std::string() : "<metadata>" + metadata + "</metadata>") +
         "<memory unit='MiB'>64</memory><devices>" + devices + "</devices></domain>";
}

std::string pci_hostdev(const char* bus, const char* slot, const char* fn, bool managed) {
  return std::string("<hostdev mode='subsystem' type='pci' managed='") + (managed ? "yes" : "no") +
         "'><source><address domain='0x0000' bus='" + bus + "' slot='" + slot + "' function='" +
         fn + "'/></source></hostdev>";
}

std::string mdev_hostdev(const char* uuid) {
  return std::string(
             "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='") +
         uuid + "'/></source></hostdev>";
}

std::string meta(const std::string& body) {
  return "<ptagent:passthrough xmlns:ptagent=\"urn:x-ptagent:passthrough:1\">" + body +
         "</ptagent:passthrough>";
}

std::string meta_mdev(const char* uuid, const char* type = "i915-GVTg_V5_4") {
  return std::string("<ptagent:mdev uuid=\"") + uuid + "\" parent=\"0000:00:02.0\" type=\"" + type +
         "\"/>";
}

struct HookRun {
  int code;
  std::string err;
  std::vector<std::string> log;
};

struct Fixture : ptagent::testing::SimHost {
  explicit Fixture(const char* name = "workstation") : SimHost(name) {}
  const Root& host_root() const { return host.root(); }
  HookRun hook(const std::vector<std::string>& args, const std::string& xml,
               SysfsWriter* writer = nullptr) {
    std::ostringstream err;
    HookRun r{};
    hook::HookDeps deps{host.root(), writer ? *writer : kernel, hook::HookConfig{}, err,
                        [&r](const std::string& line) { r.log.push_back(line); }};
    deps.config.busy_retry = std::chrono::milliseconds(300);
    r.code = hook::run_hook(args, xml, deps);
    r.err = err.str();
    return r;
  }
  HookRun prepare(const std::string& xml) { return hook({"guest", "prepare", "begin", "-"}, xml); }
  HookRun release(const std::string& xml) { return hook({"guest", "release", "end", "-"}, xml); }
  std::vector<Change> journal() const { return Journal(host.root()).load(); }
  std::string driver(const char* addr) const {
    return read_device(host.root(), parse_pci_address(addr)).driver.value_or("none");
  }
};

TEST(Hook, PlainDomainDoesNothing) {
  Fixture f;
  const std::string before = host_state(f.host_root());
  std::string plain = domain(kUuid, "<disk type='file' device='disk'/><interface type='network'/>");
  for (const char* op :
       {"prepare", "start", "started", "stopped", "release", "reconnect", "migrate", "restore"}) {
    auto r = f.hook(
        {"guest", op,
         op == std::string("release") || op == std::string("stopped") ? "end" : "begin", "-"},
        plain);
    EXPECT_EQ(r.code, 0) << op;
    EXPECT_EQ(r.err, "") << op;
  }
  EXPECT_EQ(f.kernel.write_count(), 0u);
  EXPECT_EQ(host_state(f.host_root()), before);
  EXPECT_FALSE(f.host.root().exists("/run/ptagent/journal.json"));
}

TEST(Hook, MdevCreatedAtPrepareRemovedAtRelease) {
  Fixture f;
  const std::string before = host_state(f.host_root());
  std::string xml = domain(kUuid, mdev_hostdev(kMdev1), meta(meta_mdev(kMdev1)));
  auto r = f.prepare(xml);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(f.host.root().exists(std::string("/sys/bus/mdev/devices/") + kMdev1));
  auto j = f.journal();
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0].kind, ChangeKind::mdev);
  EXPECT_EQ(j[0].owner, std::string("domain:") + kUuid);
  EXPECT_EQ(j[0].mdev_uuid, kMdev1);
  ASSERT_FALSE(r.log.empty());
  EXPECT_NE(r.log.back().find(kUuid), std::string::npos);

  auto s = f.release(xml);
  EXPECT_EQ(s.code, 0) << s.err;
  EXPECT_FALSE(f.host.root().exists(std::string("/sys/bus/mdev/devices/") + kMdev1));
  EXPECT_TRUE(f.journal().empty());
  EXPECT_EQ(host_state(f.host_root()), before);
  // A second release, and a stopped after it, do nothing harmful.
  EXPECT_EQ(f.release(xml).code, 0);
  EXPECT_EQ(f.hook({"guest", "stopped", "end", "-"}, xml).code, 0);
  EXPECT_EQ(host_state(f.host_root()), before);
}

TEST(Hook, NonViableGroupRefusedBeforeAnything) {
  Fixture f;
  const std::string before = host_state(f.host_root());
  auto r = f.prepare(domain(kUuid, pci_hostdev("0x01", "0x00", "0x0", true)));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("0000:01:00.0"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("0000:01:00.1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fix:"), std::string::npos);
  EXPECT_EQ(f.kernel.write_count(), 0u);
  EXPECT_EQ(host_state(f.host_root()), before);
  EXPECT_TRUE(f.journal().empty());
  // Both functions assigned together: viable, and managed devices are libvirt's to detach.
  auto ok = f.prepare(domain(
      kUuid, pci_hostdev("0x01", "0x00", "0x0", true) + pci_hostdev("0x01", "0x00", "0x1", true)));
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(f.kernel.write_count(), 0u);
}

TEST(Hook, UnmanagedDevicesBoundAndRestored) {
  Fixture f;
  const std::string before = host_state(f.host_root());
  std::string xml =
      domain(kUuid, pci_hostdev("0x01", "0x00", "0x0", false),
             meta("<ptagent:pci address=\"0000:01:00.0\" bind=\"vfio-pci\" group=\"whole\"/>"));
  auto r = f.prepare(xml);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(f.driver("01:00.0"), "vfio-pci");
  EXPECT_EQ(f.driver("01:00.1"), "vfio-pci");
  EXPECT_EQ(f.journal().size(), 2u);
  EXPECT_EQ(f.release(xml).code, 0);
  EXPECT_EQ(f.driver("01:00.0"), "nouveau");
  EXPECT_EQ(f.driver("01:00.1"), "snd_hda_intel");
  EXPECT_TRUE(f.journal().empty());
  EXPECT_EQ(host_state(f.host_root()), before);
}

TEST(Hook, RefusalsNameTheDeviceAndTheFix) {
  struct Case {
    std::string xml;
    const char* mention;
  };
  for (const Case& c : std::vector<Case>{
           {domain(kUuid, pci_hostdev("0x02", "0x00", "0x0", true)), "holds the root filesystem"},
           {domain(kUuid, pci_hostdev("0x09", "0x00", "0x0", true)), "not on this host"},
           {domain(kUuid, mdev_hostdev(kMdev1)), "does not say how to create it"},
           {domain(kUuid, mdev_hostdev(kMdev1), meta(meta_mdev(kMdev1, "i915-GVTg_V5_9"))),
            "GVTg_V5_9"},
           {domain(
                kUuid,
                pci_hostdev("0x01", "0x00", "0x0", true) + pci_hostdev("0x01", "0x00", "0x1", true),
                meta("<ptagent:pci address=\"0000:01:00.0\" bind=\"vfio-pci\"/>")),
            "managed='yes'"},
           {domain(kUuid, "",
                   meta("<ptagent:mdev uuid=\"not-a-uuid\" parent=\"0000:00:02.0\" type=\"x\"/>")),
            "uuid"},
           {domain(kUuid, "",
                   meta(std::string("<ptagent:mdev uuid=\"") + kMdev1 +
                        "\" parent=\"0000:00:02.0\" type=\"../../etc\"/>")),
            "type"},
           {"<notadomain><hostdev/></notadomain>", "no <domain>"},
           {"<!DOCTYPE d [<!ENTITY x 'y'>]><domain><hostdev/></domain>", "DTD"},
       }) {
    Fixture f;
    const std::string before = host_state(f.host_root());
    auto r = f.prepare(c.xml);
    EXPECT_EQ(r.code, 1) << c.xml;
    EXPECT_NE(r.err.find(c.mention), std::string::npos) << r.err;
    EXPECT_EQ(host_state(f.host_root()), before);
    EXPECT_TRUE(f.journal().empty());
  }
}

TEST(Hook, ContractEdges) {
  Fixture f;
  EXPECT_EQ(f.hook({"guest", "prepare"}, "").code, 2);  // missing arguments
  EXPECT_EQ(f.prepare("").code, 0);                     // empty stdin: nothing to do
  EXPECT_EQ(f.hook({"guest", "reconnect", "begin", "-"}, "<garbage").code, 0);
  EXPECT_EQ(f.hook({"guest", "frobnicate", "begin", "-"}, "<hostdev").code, 0);
  // Release of hostile XML never fails libvirt's stop path.
  f.prepare(domain(kUuid, mdev_hostdev(kMdev1), meta(meta_mdev(kMdev1))));
  EXPECT_EQ(f.release("<!DOCTYPE x [<!ENTITY a 'b'>]><domain/>").code, 0);
  // Names are only for messages: '/' and newlines change nothing.
  auto r = f.hook({"../../etc/passwd\nx", "release", "end", "-"},
                  domain(kUuid, mdev_hostdev(kMdev1), {}, "../../etc/passwd"));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(f.journal().empty());
  EXPECT_EQ(hook::printable_name("a/b\nc'"), "a/b\\x0ac\\x27");
}

TEST(Hook, FailureAtEveryWriteOfPrepareLeavesTheHostAsItWas) {
  const std::string xml =
      domain(kUuid, mdev_hostdev(kMdev1) + pci_hostdev("0x01", "0x00", "0x0", false),
             meta(meta_mdev(kMdev1) +
                  "<ptagent:pci address=\"0000:01:00.0\" bind=\"vfio-pci\" group=\"whole\"/>"));
  std::size_t total = 0;
  {
    Fixture f;
    ASSERT_EQ(f.prepare(xml).code, 0);
    total = f.kernel.write_count();
  }
  ASSERT_GT(total, 4u);
  for (std::size_t n = 1; n <= total; ++n) {
    Fixture f;
    const std::string before = host_state(f.host_root());
    f.kernel.fail_nth_write(n, EIO);
    auto r = f.prepare(xml);
    EXPECT_EQ(r.code, 1) << "write " << n;
    EXPECT_NE(r.err.find("cannot start"), std::string::npos) << r.err;
    EXPECT_EQ(host_state(f.host_root()), before) << "after a failure at write " << n;
    EXPECT_TRUE(f.journal().empty()) << "write " << n;
  }
}

TEST(Hook, TwoDomainsRaceForTheLastInstance) {
  Fixture f;
  std::string a =
      domain(kUuid, mdev_hostdev(kMdev1), meta(meta_mdev(kMdev1)));  // V5_4 has 1 instance
  std::string b = domain(kUuid2, mdev_hostdev(kMdev2), meta(meta_mdev(kMdev2)));
  HookRun ra{}, rb{};
  std::thread ta([&] { ra = f.hook({"a", "prepare", "begin", "-"}, a); });
  std::thread tb([&] { rb = f.hook({"b", "prepare", "begin", "-"}, b); });
  ta.join();
  tb.join();
  EXPECT_EQ(ra.code + rb.code, 1) << ra.err << rb.err;
  const std::string& loser = ra.code ? ra.err : rb.err;
  EXPECT_NE(loser.find("i915-GVTg_V5_4"), std::string::npos) << loser;
  EXPECT_EQ(f.journal().size(), 1u);
}

TEST(Hook, HundredParallelRuns) {
  Fixture f;
  std::string plain = domain(kUuid, "<disk/>");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 100; ++i) {
    threads.emplace_back([&, i] {
      const char* ops[] = {"prepare", "started", "release"};
      if (f.hook({"g" + std::to_string(i), ops[i % 3], i % 3 == 2 ? "end" : "begin", "-"}, plain)
              .code != 0)
        ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace

namespace {

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

}  // namespace

TEST(Hook, MetadataIsValidatedAgainstTheSchema) {
  // The strict reader and xml/ptagent-metadata.rng agree on every document the tests know, so a
  // schema that allows no <pci> at all (through $PTAGENT_XML_DIR) shows that the hook consults it.
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
  const std::string before = host_state(f.host_root());
  auto r = f.prepare(
      domain(kUuid, "", meta("<ptagent:pci address=\"0000:01:00.0\" bind=\"vfio-pci\"/>")));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("does not match ptagent-metadata.rng"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fix: write addresses as DDDD:BB:SS.F"), std::string::npos) << r.err;
  EXPECT_EQ(host_state(f.host_root()), before);
  EXPECT_TRUE(f.journal().empty());
  // What the schema allows goes through.
  std::string xml = domain(kUuid, mdev_hostdev(kMdev1), meta(meta_mdev(kMdev1)));
  r = f.prepare(xml);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(f.release(xml).code, 0);
  std::filesystem::remove_all(dir);
}

TEST(Hook, MetadataNamespaceDeclaredOnTheDomainIsAccepted) {
  Fixture f;
  // The prefix is declared on <domain>, not on the element: the schema sees it declared all the
  // same.
  std::string xml =
      "<domain type='qemu' xmlns:pt='urn:x-ptagent:passthrough:1'><name>guest</name><uuid>" +
      std::string(kUuid) + "</uuid><metadata><pt:passthrough><pt:mdev uuid='" + kMdev1 +
      "' parent='0000:00:02.0' type='i915-GVTg_V5_4'/></pt:passthrough></metadata><devices>" +
      mdev_hostdev(kMdev1) + "</devices></domain>";
  auto r = f.prepare(xml);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(f.host.root().exists(std::string("/sys/bus/mdev/devices/") + kMdev1));
  EXPECT_EQ(f.release(xml).code, 0);
}

TEST(Hook, MetadataWithoutTheSchemaFallsBackToTheStrictReader) {
  ScopedEnv env("PTAGENT_XML_DIR", "/nonexistent/ptagent-xml");
  Fixture f;
  std::string xml = domain(kUuid, mdev_hostdev(kMdev1), meta(meta_mdev(kMdev1)));
  auto r = f.prepare(xml);
  ASSERT_EQ(r.code, 0) << r.err;
  bool said = false;
  for (const auto& line : r.log)
    said = said || line.find("not checked against ptagent-metadata.rng") != std::string::npos;
  EXPECT_TRUE(said);
  EXPECT_EQ(f.release(xml).code, 0);
  // The strict reader still refuses a traversal in the type.
  r = f.prepare(domain(kUuid, "",
                       meta(std::string("<ptagent:mdev uuid=\"") + kMdev1 +
                            "\" parent=\"0000:00:02.0\" type=\"../x\"/>")));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("mdev type '../x'"), std::string::npos) << r.err;
}

namespace {

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

// The documented virsh workflow: 'ptagent mdev create' first, then a domain that names the mdev.
TEST(Hook, AnMdevCreatedBeforehandMayBeNamedAndStaysAtRelease) {
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
  const std::string xml = domain(kUuid, mdev_hostdev(kMdev1));
  auto r = f.prepare(xml);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  // Named in the metadata too: reused, not created again.
  r = f.prepare(domain(kUuid, mdev_hostdev(kMdev1), meta(meta_mdev(kMdev1))));
  EXPECT_EQ(r.code, 0) << r.err;
  auto s = f.release(xml);
  EXPECT_EQ(s.code, 0) << s.err;
  EXPECT_TRUE(f.host.root().exists(mdev_path))
      << "the hook did not create it: it must not remove it";
  auto j = f.journal();
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0].owner, "cli");

  // Another running domain holding it: refused, naming that domain.
  std::filesystem::create_directories(f.host.real("/run/libvirt/qemu"));
  std::ofstream(f.host.real("/run/libvirt/qemu/other.xml"))
      << "<domstatus state='running'>" << domain(kUuid2, mdev_hostdev(kMdev1), {}, "other")
      << "</domstatus>";
  r = f.prepare(xml);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("in use by the running domain 'other'"), std::string::npos) << r.err;
}

TEST(Hook, AnMdevTheHookCreatedForAnotherDomainIsNotTaken) {
  Fixture f;
  ASSERT_EQ(f.hook({"a", "prepare", "begin", "-"},
                   domain(kUuid2, mdev_hostdev(kMdev2), meta(meta_mdev(kMdev2)), "a"))
                .code,
            0);
  auto r = f.prepare(domain(kUuid, mdev_hostdev(kMdev2)));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(std::string("was created by ptagent for domain:") + kUuid2),
            std::string::npos)
      << r.err;
}

// An mdev parent that is not a PCI device (mtty, vfio-ap, vfio-ccw) in the metadata.
TEST(Hook, MetadataWithANonPciMdevParent) {
  Fixture f;
  add_mtty_parent(f.host);
  const std::string xml = domain(
      kUuid, mdev_hostdev(kMdev1),
      meta(std::string("<ptagent:mdev uuid=\"") + kMdev1 + "\" parent=\"mtty\" type=\"mtty-2\"/>"));
  auto r = f.prepare(xml);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string mdev_path = std::string("/sys/bus/mdev/devices/") + kMdev1;
  EXPECT_TRUE(f.host.root().exists(mdev_path));
  EXPECT_EQ(f.host.root().resolve(mdev_path).value_or(""),
            std::string("/sys/devices/virtual/mtty/mtty/") + kMdev1);
  EXPECT_EQ(f.release(xml).code, 0);
  EXPECT_FALSE(f.host.root().exists(mdev_path));
  // A parent that is not listed under /sys/class/mdev_bus is named in the refusal.
  r = f.prepare(domain(
      kUuid, mdev_hostdev(kMdev1),
      meta(std::string("<ptagent:mdev uuid=\"") + kMdev1 + "\" parent=\"matrix\" type=\"x\"/>")));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("matrix"), std::string::npos) << r.err;
}

TEST(Hook, ADeviceInD3coldIsRefusedBeforeQemuRuns) {
  // Seed 002: an APU's functions in D3cold, config space all ones; QEMU aborted on them.
  Fixture f;
  const Device gpu = read_device(f.host_root(), parse_pci_address("0000:01:00.1"));
  {
    std::ofstream(f.host_root().host_path(gpu.sysfs_path + "/power_state")) << "D3cold\n";
  }
  const std::string before = host_state(f.host_root());
  auto r = f.prepare(domain(
      kUuid, pci_hostdev("0x01", "0x00", "0x0", true) + pci_hostdev("0x01", "0x00", "0x1", true)));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("0000:01:00.1 is in D3cold"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("d3cold_allowed"), std::string::npos) << r.err;
  EXPECT_EQ(f.kernel.write_count(), 0u);
  EXPECT_EQ(host_state(f.host_root()), before);
  EXPECT_TRUE(f.journal().empty());
}
