// Fifty domains start at once on one simulated workstation, each asking the hook for an mdev of
// its own on the GVT-g parent, which has 1 + 2 instances: three win, the others are refused with
// a message naming the type; no journal entry is lost, no instance is handed out twice, and
// releasing all fifty (again at once) returns the host to its start.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "hooks/hook.hpp"
#include "ops/journal.hpp"
#include "support/kernel_double.hpp"
#include "support/temp_host.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
using ptagent::testing::host_state;
using ptagent::testing::KernelDouble;
using ptagent::testing::TempHost;

namespace {

constexpr int kDomains = 50;

std::string id(const char* prefix, int i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s-0000-4000-8000-%012d", prefix, i);
  return buf;
}

struct Guest {
  std::string name, uuid, mdev, type, xml;
  int prepare = -1, release = -1;
  std::string err;
};

Guest make_guest(int i) {
  Guest g;
  g.name = "guest" + std::to_string(i);
  g.uuid = id("6c0d8a58", i);
  g.mdev = id("4b20d080", i);
  g.type = i % 2 ? "i915-GVTg_V5_8" : "i915-GVTg_V5_4";
  g.xml = "<domain type='qemu'><name>" + g.name + "</name><uuid>" + g.uuid +
          "</uuid><metadata><ptagent:passthrough xmlns:ptagent=\"urn:x-ptagent:passthrough:1\">"
          "<ptagent:mdev uuid=\"" +
          g.mdev + "\" parent=\"0000:00:02.0\" type=\"" + g.type +
          "\"/></ptagent:passthrough></metadata><devices><hostdev mode='subsystem' type='mdev' "
          "model='vfio-pci'><source><address uuid='" +
          g.mdev + "'/></source></hostdev></devices></domain>";
  return g;
}

int run(const TempHost& h, KernelDouble& k, const Guest& g, const char* op, const char* sub,
        std::string& err) {
  std::ostringstream out;
  hook::HookDeps deps{h.root(), k, HookConfig{}, out, [](const std::string&) {}};
  const int rc = hook::run_hook({g.name, op, sub, "-"}, g.xml, deps);
  err = out.str();
  return rc;
}

TEST(HookConcurrency, FiftyDomainsForThreeInstances) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  const std::string start = host_state(h.root());
  std::vector<Guest> guests;
  for (int i = 0; i < kDomains; ++i) guests.push_back(make_guest(i));

  {
    std::vector<std::thread> threads;
    for (auto& g : guests) {
      threads.emplace_back([&] { g.prepare = run(h, k, g, "prepare", "begin", g.err); });
    }
    for (auto& t : threads) t.join();
  }

  std::map<std::string, int> winners;  // type -> count
  std::set<std::string> winning_domains;
  for (const auto& g : guests) {
    ASSERT_TRUE(g.prepare == 0 || g.prepare == 1) << g.name << ": " << g.err;
    if (g.prepare == 0) {
      ++winners[g.type];
      winning_domains.insert("domain:" + g.uuid);
      EXPECT_TRUE(h.root().is_dir("/sys/bus/mdev/devices/" + g.mdev)) << g.name;
    } else {
      // Refused clearly: the type, and why.
      EXPECT_NE(g.err.find("cannot start"), std::string::npos) << g.err;
      EXPECT_NE(g.err.find(g.type), std::string::npos) << g.err;
      EXPECT_TRUE(g.err.find("no instances left") != std::string::npos ||
                  g.err.find("are free") != std::string::npos)
          << g.err;
      EXPECT_NE(g.err.find("fix:"), std::string::npos) << g.err;
      EXPECT_FALSE(h.root().exists("/sys/bus/mdev/devices/" + g.mdev)) << g.name;
    }
  }
  EXPECT_EQ(winners["i915-GVTg_V5_4"], 1);
  EXPECT_EQ(winners["i915-GVTg_V5_8"], 2);

  // No instance twice, none lost: three devices, three journal entries, one per winner.
  EXPECT_EQ(h.root().list("/sys/bus/mdev/devices").size(), 3u);
  const auto journal = Journal(h.root()).load();
  ASSERT_EQ(journal.size(), 3u);
  std::set<std::string> uuids, owners;
  for (const auto& c : journal) {
    EXPECT_EQ(c.kind, ChangeKind::mdev);
    EXPECT_EQ(c.state, ChangeState::done);
    uuids.insert(c.mdev_uuid);
    owners.insert(c.owner);
  }
  EXPECT_EQ(uuids.size(), 3u);
  EXPECT_EQ(owners, winning_domains);
  const std::string types = "/sys/class/mdev_bus/0000:00:02.0/mdev_supported_types/";
  EXPECT_EQ(h.root().read_value(types + "i915-GVTg_V5_4/available_instances"), "0");
  EXPECT_EQ(h.root().read_value(types + "i915-GVTg_V5_8/available_instances"), "0");

  // libvirt runs release for every domain, started or not.
  {
    std::vector<std::thread> threads;
    for (auto& g : guests) {
      threads.emplace_back([&] {
        std::string err;
        g.release = run(h, k, g, "release", "end", err);
        if (g.release != 0) g.err = err;
      });
    }
    for (auto& t : threads) t.join();
  }
  for (const auto& g : guests) EXPECT_EQ(g.release, 0) << g.name << ": " << g.err;
  EXPECT_TRUE(Journal(h.root()).load().empty());
  EXPECT_EQ(host_state(h.root()), start);
  EXPECT_TRUE(k.new_id_writes().empty());
}

}  // namespace
