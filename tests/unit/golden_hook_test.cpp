// Golden files of the qemu hook's refusals (tests/golden/hook/<case>.txt): what libvirt shows
// when prepare says no, one file per case, on the simulated workstation. PTAGENT_UPDATE_GOLDEN=1
// rewrites them.
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "hooks/hook.hpp"
#include "support/cli_runner.hpp"
#include "support/sim_host.hpp"

using namespace ptagent;

namespace {

constexpr const char* kUuid = "6c0d8a58-33f0-4c0c-9c48-0b4b6f1e7a01";
constexpr const char* kMdev1 = "4b20d080-1b54-4048-85b3-a6a62d165c01";

std::string domain(const std::string& devices, const std::string& metadata = {}) {
  return std::string("<domain type='qemu'><name>guest</name><uuid>") + kUuid + "</uuid>" +
         (metadata.empty() ? std::string() : "<metadata>" + metadata + "</metadata>") +
         "<memory unit='MiB'>64</memory><devices>" + devices + "</devices></domain>";
}

std::string pci(const char* bus, const char* fn, bool managed = true) {
  return std::string("<hostdev mode='subsystem' type='pci' managed='") + (managed ? "yes" : "no") +
         "'><source><address domain='0x0000' bus='" + bus + "' slot='0x00' function='" + fn +
         "'/></source></hostdev>";
}

std::string mdev(const char* uuid) {
  return std::string(
             "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='") +
         uuid + "'/></source></hostdev>";
}

std::string meta(const std::string& body) {
  return "<ptagent:passthrough xmlns:ptagent=\"urn:x-ptagent:passthrough:1\">" + body +
         "</ptagent:passthrough>";
}

std::string meta_mdev(const std::string& uuid, const std::string& parent, const std::string& type) {
  return "<ptagent:mdev uuid=\"" + uuid + "\" parent=\"" + parent + "\" type=\"" + type + "\"/>";
}

struct Case {
  std::string golden;
  std::string xml;
};

TEST(GoldenHook, PrepareRefusals) {
  const std::vector<Case> cases{
      {"hook/group-not-viable.txt", domain(pci("0x01", "0x0"))},
      {"hook/root-filesystem.txt", domain(pci("0x02", "0x0"))},
      {"hook/not-on-host.txt", domain(pci("0x09", "0x0"))},
      {"hook/mdev-without-metadata.txt", domain(mdev(kMdev1))},
      {"hook/mdev-type-not-offered.txt",
       domain(mdev(kMdev1), meta(meta_mdev(kMdev1, "0000:00:02.0", "i915-GVTg_V5_9")))},
      {"hook/mdev-parent-not-listed.txt",
       domain(mdev(kMdev1), meta(meta_mdev(kMdev1, "mtty9", "mtty-1")))},
      {"hook/metadata-names-managed.txt",
       domain(pci("0x01", "0x0") + pci("0x01", "0x1"),
              meta("<ptagent:pci address=\"0000:01:00.0\" bind=\"vfio-pci\"/>"))},
      {"hook/metadata-bad-uuid.txt",
       domain("", meta(meta_mdev("not-a-uuid", "0000:00:02.0", "x")))},
      {"hook/metadata-bad-type.txt",
       domain("", meta(meta_mdev(kMdev1, "0000:00:02.0", "../../etc")))},
      {"hook/not-a-domain.txt", "<notadomain><hostdev/></notadomain>"},
      {"hook/dtd.txt", "<!DOCTYPE d [<!ENTITY x 'y'>]><domain><hostdev/></domain>"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.golden);
    ptagent::testing::SimHost sim("workstation");
    std::ostringstream err;
    hook::HookDeps deps{sim.host.root(), sim.kernel, HookConfig{}, err, [](const std::string&) {}};
    deps.config.busy_retry = std::chrono::milliseconds(300);
    const int code = hook::run_hook({"guest", "prepare", "begin", "-"}, c.xml, deps);
    std::string text = err.str() + "--- exit " + std::to_string(code) + "\n";
    for (std::size_t at = text.find(sim.host.dir()); at != std::string::npos;
         at = text.find(sim.host.dir(), at))
      text.replace(at, sim.host.dir().size(), "ROOT");
    test::expect_golden(c.golden, text);
  }
}

}  // namespace
