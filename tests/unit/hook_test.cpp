// The qemu hook in-process: libvirt's contract (argv, the do-nothing path, exit codes, the
// paragraph on stderr), end to end through the core, and concurrent domains. The rules themselves
// are tested in admission_test, start_test and lifecycle_test.
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

namespace {

using ptagent::testing::kMdev1;
using ptagent::testing::kMdev2;
using ptagent::testing::kUuid;
using ptagent::testing::kUuid2;

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
    hook::HookDeps deps{host.root(), writer ? *writer : kernel, HookConfig{}, err,
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
  std::string plain =
      domain_xml(kUuid, "<disk type='file' device='disk'/><interface type='network'/>");
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
  std::string xml = domain_xml(kUuid, mdev_hostdev(kMdev1), meta(meta_mdev(kMdev1)));
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

TEST(Hook, RefusalsArePrintedForLibvirtWithTheFix) {
  Fixture f;
  const std::string before = host_state(f.host_root());
  auto r = f.prepare(domain_xml(kUuid, pci_hostdev("0x09", "0x00", "0x0", true)));
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "ptagent: domain 'guest' cannot start: 0000:09:00.0: is a <hostdev> of this domain but "
            "is not on this host\n  fix: remove it from the domain or check the address ('ptagent "
            "list')\n");
  ASSERT_FALSE(r.log.empty());
  EXPECT_EQ(r.log.back().rfind(std::string("domain ") + kUuid + ": prepare refused: ", 0), 0u)
      << r.log.back();
  // The name libvirt passed is escaped; an unusable document is refused the same way.
  r = f.hook({"a'b", "prepare", "begin", "-"}, "<notadomain><hostdev/></notadomain>");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.rfind("ptagent: domain 'a\\x27b' cannot start: ", 0), 0u) << r.err;
  ASSERT_FALSE(r.log.empty());
  EXPECT_EQ(r.log.back().rfind("prepare refused (bad domain XML): ", 0), 0u) << r.log.back();
  EXPECT_EQ(host_state(f.host_root()), before);
  EXPECT_TRUE(f.journal().empty());
}

TEST(Hook, ReleaseThatCannotUndoSaysSoAndHowToFinish) {
  Fixture f;
  const std::string xml = domain_xml(kUuid, mdev_hostdev(kMdev1), meta(meta_mdev(kMdev1)));
  ASSERT_EQ(f.prepare(xml).code, 0);
  f.kernel.fail_writes_to("/remove", EIO);
  auto r = f.release(xml);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.rfind(std::string("ptagent: domain ") + kUuid + ": could not undo ", 0), 0u)
      << r.err;
  EXPECT_NE(r.err.find("\n  fix: run 'ptagent restore --all' once the devices are free\n"),
            std::string::npos)
      << r.err;
  f.kernel.clear_failures();
  EXPECT_EQ(f.release(xml).code, 0);
  EXPECT_TRUE(f.journal().empty());
}

TEST(Hook, ContractEdges) {
  Fixture f;
  EXPECT_EQ(f.hook({"guest", "prepare"}, "").code, 2);  // missing arguments
  EXPECT_EQ(f.prepare("").code, 0);                     // empty stdin: nothing to do
  EXPECT_EQ(f.hook({"guest", "reconnect", "begin", "-"}, "<garbage").code, 0);
  EXPECT_EQ(f.hook({"guest", "frobnicate", "begin", "-"}, "<hostdev").code, 0);
  // Release of hostile XML never fails libvirt's stop path.
  f.prepare(domain_xml(kUuid, mdev_hostdev(kMdev1), meta(meta_mdev(kMdev1))));
  EXPECT_EQ(f.release("<!DOCTYPE x [<!ENTITY a 'b'>]><domain/>").code, 0);
  // Names are only for messages: '/' and newlines change nothing.
  auto r = f.hook({"../../etc/passwd\nx", "release", "end", "-"},
                  domain_xml(kUuid, mdev_hostdev(kMdev1), {}, "../../etc/passwd"));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(f.journal().empty());
  EXPECT_EQ(hook::printable_name("a/b\nc'"), "a/b\\x0ac\\x27");
}

TEST(Hook, TwoDomainsRaceForTheLastInstance) {
  Fixture f;
  std::string a =
      domain_xml(kUuid, mdev_hostdev(kMdev1), meta(meta_mdev(kMdev1)));  // V5_4 has 1 instance
  std::string b = domain_xml(kUuid2, mdev_hostdev(kMdev2), meta(meta_mdev(kMdev2)));
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
  std::string plain = domain_xml(kUuid, "<disk/>");
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
