// Golden outputs of list, show and groups on every simulated host, plus their bad input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/cli_runner.hpp"

using ptagent::test::expect_golden;
using ptagent::test::fixture_host;
using ptagent::test::run_cli;

namespace {

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, ListGroupsShow) {
  const std::string host = GetParam();
  const std::string root = fixture_host(host);
  auto list = run_cli({"--root", root, "list"});
  EXPECT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(list.err, "");
  expect_golden(host + "/list.txt", list.out);
  auto json = run_cli({"list", "--json", "--root", root});
  EXPECT_EQ(json.code, 0);
  expect_golden(host + "/list.json", json.out);
  auto parsed = nlohmann::json::parse(json.out);
  EXPECT_TRUE(parsed.is_array());
  for (const auto& d : parsed) {
    EXPECT_TRUE(d.contains("host_critical"));
    EXPECT_TRUE(d["address"].is_string());
  }
  for (const auto& d : parsed) EXPECT_TRUE(d["health"].is_array()) << d["address"];
  auto health = run_cli({"--root", root, "list", "--health"});
  EXPECT_EQ(health.code, 0) << health.err;
  expect_golden(host + "/list-health.txt", health.out);
  auto groups = run_cli({"--root", root, "groups"});
  EXPECT_EQ(groups.code, 0);
  expect_golden(host + "/groups.txt", groups.out);
  auto gjson = run_cli({"--root", root, "--json", "groups"});
  expect_golden(host + "/groups.json", gjson.out);
}

INSTANTIATE_TEST_SUITE_P(Hosts, Golden,
                         ::testing::Values("workstation", "server", "noiommu", "apu", "cloud"));

// Seed 002's APU: the USB controllers and audio behind a bridge in D3cold read all ones. The
// HEALTH column says so in a word per device, --json carries each finding, healthy ones say ok.
TEST(ListHealth, ApuSaysWhatIsBlocked) {
  const std::string root = fixture_host("apu");
  auto json = nlohmann::json::parse(run_cli({"--root", root, "list", "--json"}).out);
  bool saw_blocked = false, saw_ok = false;
  for (const auto& d : json) {
    bool blocks = false;
    for (const auto& f : d["health"]) {
      EXPECT_TRUE(f["code"].is_string());
      EXPECT_FALSE(f["evidence"].get<std::string>().empty());
      blocks = blocks || f["blocks"].get<bool>();
    }
    saw_blocked = saw_blocked || blocks;
    saw_ok = saw_ok || d["health"].empty();
  }
  EXPECT_TRUE(saw_blocked);
  EXPECT_TRUE(saw_ok);
  auto table = run_cli({"--root", root, "list", "--health"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("HEALTH"), std::string::npos);
  EXPECT_NE(table.out.find("blocked ("), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(" ok "), std::string::npos) << table.out;
  // Without --health the table stays as it was.
  EXPECT_EQ(run_cli({"--root", root, "list"}).out.find("HEALTH"), std::string::npos);
}

TEST(Show, GoldenDevices) {
  struct Case {
    const char* host;
    const char* device;
    const char* file;
  };
  for (const Case& c :
       {Case{"workstation", "01:00.0", "workstation/show-01_00.0.txt"},
        Case{"workstation", "pci_0000_02_00_0", "workstation/show-02_00.0.txt"},
        Case{"workstation", "00:02.0", "workstation/show-00_02.0.txt"},
        Case{"server", "01:00.0", "server/show-01_00.0.txt"},
        Case{"server", "03:00.0", "server/show-03_00.0.txt"},
        Case{"noiommu", "00:05.0", "noiommu/show-00_05.0.txt"},
        Case{"apu", "04:00", "apu/show-04_00.txt"}, Case{"cloud", "01:00", "cloud/show-01_00.txt"},
        Case{"cloud", "03:00.0", "cloud/show-03_00.0.txt"}}) {
    auto r = run_cli({"--root", fixture_host(c.host), "show", c.device});
    EXPECT_EQ(r.code, 0) << c.device << r.err;
    expect_golden(c.file, r.out);
  }
  auto j = run_cli({"--root", fixture_host("workstation"), "show", "01:00.0", "--json"});
  auto parsed = nlohmann::json::parse(j.out);
  EXPECT_EQ(parsed["group"]["viable"], false);
  EXPECT_EQ(parsed["group"]["blockers"][0], "0000:01:00.1");
}

// Seed 002 in JSON: each finding with its stable code, severity, evidence and fix.
TEST(Show, FindingsInJson) {
  auto j = run_cli({"--root", fixture_host("apu"), "show", "04:00.0", "--json"});
  ASSERT_EQ(j.code, 0) << j.err;
  auto parsed = nlohmann::json::parse(j.out);
  const auto& health = parsed["assignability"]["health"];
  ASSERT_EQ(health.size(), 4u) << health.dump(2);
  EXPECT_EQ(health[0]["code"], "d3cold");
  EXPECT_EQ(health[0]["severity"], "blocking");
  EXPECT_EQ(health[0]["blocks"], true);
  EXPECT_EQ(health[2]["code"], "framebuffer-in-bar");
  EXPECT_EQ(health[2]["severity"], "warning");
  EXPECT_EQ(health[2]["blocks"], false);
  EXPECT_NE(health[2]["fix"].get<std::string>().find("initcall_blacklist=sysfb_init"),
            std::string::npos);
  EXPECT_EQ(parsed["assignability"]["verdict"], "not_assignable");
}

TEST(List, Filters) {
  const std::string root = fixture_host("workstation");
  auto gpus =
      nlohmann::json::parse(run_cli({"--root", root, "list", "--class", "gpu", "--json"}).out);
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_EQ(gpus[0]["address"], "0000:00:02.0");
  EXPECT_EQ(gpus[1]["address"], "0000:01:00.0");
  auto nvidia =
      nlohmann::json::parse(run_cli({"--root", root, "list", "--vendor", "0x10de", "--json"}).out);
  EXPECT_EQ(nvidia.size(), 2u);
  auto audio =
      nlohmann::json::parse(run_cli({"--root", root, "list", "--class", "0403", "--json"}).out);
  EXPECT_EQ(audio.size(), 2u);
  auto unbound =
      nlohmann::json::parse(run_cli({"--root", root, "list", "--driver", "none", "--json"}).out);
  for (const auto& d : unbound) EXPECT_TRUE(d["driver"].is_null());
  auto none = run_cli({"--root", root, "list", "--driver", "nosuchdriver"});
  EXPECT_EQ(none.code, 0);
  EXPECT_NE(none.out.find("no PCI function matches"), std::string::npos);
}

TEST(Cli, BadInput) {
  const std::string root = fixture_host("workstation");
  struct Case {
    std::vector<std::string> args;
    int code;
    const char* mention;
  };
  for (const Case& c : std::vector<Case>{
           {{"--root", root, "show", "0000:01:00.8"}, 2, "function 0x8 is out of range"},
           {{"--root", root, "show", "09:00"}, 1, "no PCI function in this slot"},
           {{"--root", root, "show", "0000:09:00.0"}, 1, "no such PCI device"},
           {{"--root", root, "show"}, 2, "needs a DEVICE"},
           {{"--root", root, "list", "--class", "toaster"}, 2, "unknown device class"},
           {{"--root", root, "list", "--vendor", "nvidia"}, 2, "16-bit hex vendor ID"},
           {{"--root", root, "list", "--bogus"}, 2, "unrecognised option"},
           {{"--root", "/nonexistent/ptagent-host", "list"}, 2, "cannot open the host root"},
           {{"--root", "/proc/self", "groups"}, 2, "not a host tree"},
           {{"--root"}, 2, "needs a value"},
           {{"frobnicate"}, 2, "unknown command"},
           {{"--root", root}, 0, "Try next:"},  // no command: the summary (cmd_summary_test)
       }) {
    auto r = run_cli(c.args);
    EXPECT_EQ(r.code, c.code) << r.err;
    EXPECT_NE((r.err + r.out).find(c.mention), std::string::npos) << r.err;
  }
}

TEST(Cli, HelpEverywhere) {
  auto top = run_cli({"--help"});
  EXPECT_EQ(top.code, 0);
  for (const char* cmd : {"list", "show", "groups"}) {
    EXPECT_NE(top.out.find(cmd), std::string::npos);
    auto h = run_cli({cmd, "--help"});
    EXPECT_EQ(h.code, 0) << cmd;
    EXPECT_NE(h.out.find(std::string("Usage: ptagent ") + cmd), std::string::npos);
    EXPECT_NE(h.out.find("--root DIR"), std::string::npos);
    auto h2 = run_cli({"--help", cmd});
    EXPECT_EQ(h2.out, h.out);
  }
  auto v = run_cli({"--version"});
  EXPECT_EQ(v.code, 0);
  EXPECT_EQ(v.out.rfind("ptagent ", 0), 0u);
}

TEST(Cli, RootFromEnvironment) {
  setenv("PTAGENT_ROOT", fixture_host("server").c_str(), 1);
  auto r = run_cli({"list", "--json"});
  unsetenv("PTAGENT_ROOT");
  EXPECT_EQ(nlohmann::json::parse(r.out).size(), 16u);
}

// README: DEVICE may be a slot (01:00, every function of it); show shows each function in turn.
TEST(Show, SlotFormShowsEveryFunction) {
  const std::string root = fixture_host("workstation");
  auto slot = run_cli({"--root", root, "show", "01:00"});
  ASSERT_EQ(slot.code, 0) << slot.err;
  auto f0 = run_cli({"--root", root, "show", "01:00.0"});
  auto f1 = run_cli({"--root", root, "show", "01:00.1"});
  EXPECT_EQ(slot.out, f0.out + "\n" + f1.out);
  auto j = nlohmann::json::parse(run_cli({"--root", root, "show", "01:00", "--json"}).out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[1]["address"], "0000:01:00.1");
  EXPECT_EQ(j[0]["assignability"]["verdict"], "together");
  EXPECT_EQ(j[0]["assignability"]["together_with"][0], "0000:01:00.1");
}

// show, probe and groups give one verdict; infrastructure is refused the same way everywhere.
TEST(Show, InfrastructureAndTheSameVerdictAsProbe) {
  const std::string root = fixture_host("workstation");
  for (const char* dev : {"00:00.0", "00:1f.0", "00:01.0", "02:00.0"}) {
    auto show = run_cli({"--root", root, "show", dev});
    EXPECT_EQ(show.code, 0) << dev << show.err;
    auto probe = run_cli({"--root", root, "probe", dev, "--no-live", "--json"});
    EXPECT_EQ(probe.code, 1) << dev << probe.err;
    const std::string summary = nlohmann::json::parse(probe.out)["summary"];
    EXPECT_NE(show.out.find("Verdict: " + summary + "\n"), std::string::npos) << dev << "\n"
                                                                              << show.out;
    EXPECT_EQ(show.out.find("ptagent bind"), std::string::npos) << dev;
  }
  auto g = nlohmann::json::parse(run_cli({"--root", root, "groups", "--json"}).out);
  ASSERT_EQ(g[0]["members"][0]["address"], "0000:00:00.0");
  EXPECT_TRUE(g[0]["members"][0]["viable_alone"].is_null());
  EXPECT_EQ(g[0]["members"][0]["infrastructure"], "host bridge");
  EXPECT_EQ(g[0]["assign_together"].size(), 0u);
  EXPECT_EQ(g[1]["assign_together"].size(), 2u);  // the GPU and its audio, not the root port
  EXPECT_EQ(g[1]["members"][1]["viable_alone"], false);
  EXPECT_EQ(g[1]["members"][1]["needs"][0], "0000:01:00.1");
}

}  // namespace

// The VFIO drivers of each device in JSON: candidates best first, the best, the one it is on.
TEST(Show, VfioDriversInJson) {
  auto j = run_cli({"--root", fixture_host("cloud"), "show", "01:00.2", "--json"});
  ASSERT_EQ(j.code, 0) << j.err;
  auto parsed = nlohmann::json::parse(j.out);
  const auto& v = parsed["vfio_drivers"];
  ASSERT_EQ(v["candidates"].size(), 2u) << v.dump(2);
  EXPECT_EQ(v["candidates"][0]["driver"], "mlx5_vfio_pci");
  EXPECT_EQ(v["candidates"][0]["alias"], "vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*");
  EXPECT_EQ(v["candidates"][0]["wildcards"], 5);
  EXPECT_EQ(v["candidates"][0]["variant"], true);
  EXPECT_EQ(v["candidates"][1]["driver"], "vfio-pci");
  EXPECT_EQ(v["best"], "mlx5_vfio_pci");
  EXPECT_EQ(v["current"], "mlx5_vfio_pci");
  EXPECT_EQ(parsed["vfio_cdev"], "/dev/vfio/devices/vfio0");  // iommufd's cdev of the bound VF
  // on the host driver: nothing current; a bridge has none at all
  auto vf0 = nlohmann::json::parse(
      run_cli({"--root", fixture_host("cloud"), "show", "01:00.1", "--json"}).out);
  EXPECT_EQ(vf0["vfio_drivers"]["current"], nullptr);
  EXPECT_EQ(vf0["vfio_cdev"], nullptr);
  auto rp = nlohmann::json::parse(
      run_cli({"--root", fixture_host("cloud"), "show", "00:01.0", "--json"}).out);
  EXPECT_EQ(rp["vfio_drivers"], nullptr);
  // the listing names the devices a variant driver matches
  auto list = run_cli({"--root", fixture_host("cloud"), "list"});
  EXPECT_NE(list.out.find("VFIO variant drivers"), std::string::npos);
  EXPECT_NE(list.out.find("  0000:03:00.0 virtio_vfio_pci (best), vfio-pci\n"), std::string::npos)
      << list.out;
  EXPECT_EQ(run_cli({"--root", fixture_host("workstation"), "list"}).out.find("VFIO variant"),
            std::string::npos);
}
