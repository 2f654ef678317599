// ptagent gen-xml driven through the CLI entry point: every input form, option and error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "agent/cli.hpp"
#include "support/temp_host.hpp"

namespace fs = std::filesystem;

using ::testing::HasSubstr;
using ::testing::Not;

namespace {

struct Result {
  int code = 0;
  std::string out;
  std::string err;
};

Result gen(std::vector<std::string> args, const std::string& input = {}) {
  std::vector<std::string> argv = {"ptagent", "gen-xml"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::ostringstream out, err;
  std::istringstream in(input);
  Result r;
  r.code = ptagent::cli::run(argv, out, err, in);
  r.out = out.str();
  r.err = err.str();
  return r;
}

std::string host(const char* name) {
  return std::string(PTAGENT_FIXTURES_DIR) + "/hosts/" + name;
}

// A simulated host whose PCI devices never clash with the addresses used offline here.
std::vector<std::string> on(const char* name, std::vector<std::string> args) {
  args.insert(args.begin(), {"--root", host(name)});
  return args;
}

const char* kFf176 =
    "<hostdev mode='subsystem' type='pci' managed='yes'>\n"
    "  <source>\n"
    "    <address domain='0x0000' bus='0xff' slot='0x17' function='0x6'/>\n"
    "  </source>\n"
    "</hostdev>\n";

const char* kNodedevFf176 =
    "<device>\n  <name>pci_0000_ff_17_6</name>\n  <capability type='pci'>\n    <domain>0</domain>\n"
    "    <bus>255</bus>\n    <slot>23</slot>\n    <function>6</function>\n  "
    "</capability>\n</device>\n";

class EnvGuard {
 public:
  EnvGuard(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    ::setenv(name, value.c_str(), 1);
  }
  ~EnvGuard() {
    if (had_)
      ::setenv(name_, old_.c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char tmpl[] = "/tmp/ptagent-genxml-XXXXXX";
    int fd = ::mkstemp(tmpl);
    ::close(fd);
    path_ = tmpl;
    std::ofstream(path_) << text;
  }
  ~TempFile() { fs::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

TEST(GenXml, EveryInputFormGivesTheSameXml) {
  TempFile nodedev(kNodedevFf176);
  const std::vector<std::vector<std::string>> forms = {
      {"0000:ff:17.6"},
      {"ff:17.6"},
      {"FF:17.6"},
      {"0000:FF:17.6"},
      {"pci_0000_ff_17_6"},
      {"/sys/bus/pci/devices/0000:ff:17.6"},
      {"/sys/bus/pci/devices/0000:ff:17.6/"},
      {"--bus", "255", "--slot", "23", "--function", "6"},
      {"--domain", "0", "--bus", "255", "--slot", "23", "--function", "6"},
      {"--bus=255", "--slot=23", "--function=6", "--domain=0"},
      {"--from-nodedev", nodedev.path()},
  };
  for (const auto& f : forms) {
    auto r = gen(on("workstation", f));
    EXPECT_EQ(r.code, 0) << f[0] << ": " << r.err;
    EXPECT_EQ(r.out, kFf176) << f[0];
    EXPECT_EQ(r.err, "") << f[0];
  }
  auto r = gen(on("workstation", {"--from-nodedev", "-"}), kNodedevFf176);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, kFf176);
}

TEST(GenXml, DecimalAndHexNeverMix) {
  // --bus 16 is decimal 16 = 0x10; the address form 16:00.0 is hex 0x16.
  auto dec = gen(on("workstation", {"--bus", "16", "--slot", "0", "--function", "0"}));
  EXPECT_THAT(dec.out, HasSubstr("bus='0x10'"));
  auto hex = gen(on("workstation", {"16:00.0"}));
  EXPECT_THAT(hex.out, HasSubstr("bus='0x16'"));
  auto refused = gen(on("workstation", {"--bus", "0x10", "--slot", "0", "--function", "0"}));
  EXPECT_EQ(refused.code, 2);
  EXPECT_THAT(refused.err, HasSubstr("--bus '0x10'"));
  EXPECT_THAT(refused.err, HasSubstr("decimal"));
}

TEST(GenXml, SeveralDevicesInOrder) {
  auto r = gen(on("workstation",
                  {"ff:17.6", "--bus", "1", "--slot", "2", "--function", "3", "0000:aa:00.0"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto a = r.out.find("bus='0xff'"), b = r.out.find("bus='0xaa'"),
             c = r.out.find("bus='0x01' slot='0x02'");
  ASSERT_NE(a, std::string::npos);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(c, std::string::npos);
  EXPECT_LT(a, b);  // positional devices first, then the decimal fields, then nodedev documents
  EXPECT_LT(b, c);
}

TEST(GenXml, SlotShorthandFromTheHost) {
  for (const char* form : {"01:00", "0000:01:00"}) {
    auto r = gen(on("workstation", {form}));
    ASSERT_EQ(r.code, 0) << r.err;
    const auto f0 = r.out.find("bus='0x01' slot='0x00' function='0x0'");
    const auto f1 = r.out.find("bus='0x01' slot='0x00' function='0x1'");
    ASSERT_NE(f0, std::string::npos) << r.out;
    ASSERT_NE(f1, std::string::npos) << r.out;
    EXPECT_LT(f0, f1);
    EXPECT_EQ(r.err, "");  // GPU and its audio function together make group 1 viable
  }
  auto missing = gen(on("workstation", {"03:00"}));
  EXPECT_EQ(missing.code, 1);
  EXPECT_THAT(missing.err, HasSubstr("0000:03:00"));
  EXPECT_EQ(missing.out, "");
}

TEST(GenXml, SlotShorthandOffline) {
  auto r = gen(on("workstation", {"ff:17", "--functions", "6,0"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto f0 = r.out.find("function='0x0'"), f6 = r.out.find("function='0x6'");
  ASSERT_NE(f0, std::string::npos);
  ASSERT_NE(f6, std::string::npos);
  EXPECT_LT(f0, f6);  // function order
  for (const char* bad : {"8", "0,0", "", "0,", "a", "0;1", "00"}) {
    auto b = gen(on("workstation", {"ff:17", "--functions", bad}));
    EXPECT_EQ(b.code, 2) << bad;
    EXPECT_THAT(b.err, HasSubstr("--functions"));
  }
  auto without_slot = gen(on("workstation", {"ff:17.6", "--functions", "0"}));
  EXPECT_EQ(without_slot.code, 2);
  EXPECT_THAT(without_slot.err, HasSubstr("slot shorthand"));
}

TEST(GenXml, Options) {
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> expect;  // substrings of the output
  };
  const Case cases[] = {
      {{"ff:17.6", "--managed", "no"}, {"<hostdev mode='subsystem' type='pci' managed='no'>"}},
      {{"ff:17.6", "--managed", "yes"}, {"managed='yes'"}},
      {{"ff:17.6", "--driver", "vfio"}, {"\n  <driver name='vfio'/>\n  <source>"}},
      {{"ff:17.6", "--rom-bar", "off"}, {"\n  <rom bar='off'/>\n"}},
      {{"ff:17.6", "--rom-bar", "on", "--rom-file", "/srv/vbios.rom"},
       {"<rom bar='on' file='/srv/vbios.rom'/>"}},
      {{"ff:17.6", "--boot-order", "3"}, {"\n  <boot order='3'/>\n"}},
      {{"ff:17.6", "--alias", "ua-gpu"}, {"\n  <alias name='ua-gpu'/>\n"}},
      {{"ff:17.6", "--guest-address", "00:05"},
       {"<address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/>"}},
      {{"01:00.0", "01:00.1", "--guest-address", "01:00"},
       {"<address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0' "
        "multifunction='on'/>",
        "<address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x1'/>"}},
      {{"ff:17", "--functions", "0,1", "--guest-address", "00:05", "--boot-order", "1",
        "--rom-file", "/v.rom", "--alias", "ua-gpu", "--rom-bar", "off"},
       {"<boot order='1'/>\n  <alias name='ua-gpu'/>\n  <rom bar='off' file='/v.rom'/>",
        "<alias name='ua-gpu-1'/>\n  <rom bar='off'/>"}},
  };
  for (const auto& c : cases) {
    auto r = gen(on("workstation", c.args));
    EXPECT_EQ(r.code, 0) << c.args[0] << " " << c.args[1] << ": " << r.err;
    for (const auto& e : c.expect)
      EXPECT_THAT(r.out, HasSubstr(e)) << "missing " << e << " in\n" << r.out;
  }
  // --wrap around several devices.
  auto w = gen(on("workstation", {"ff:17", "--functions", "0,1", "--wrap"}));
  ASSERT_EQ(w.code, 0) << w.err;
  EXPECT_EQ(w.out.substr(0, 10), "<devices>\n");
  EXPECT_NE(
      w.out.find(
          "\n  <hostdev mode='subsystem' type='pci' managed='yes'>\n    <source>\n      <address "),
      std::string::npos);
  EXPECT_EQ(w.out.substr(w.out.size() - 11), "</devices>\n");
}

TEST(GenXml, GuestAddressRules) {
  auto other_slot = gen(on("workstation", {"ff:17.0", "ff:18.0", "--guest-address", "00:05"}));
  EXPECT_EQ(other_slot.code, 2);
  EXPECT_THAT(other_slot.err, HasSubstr("different host slots"));
  auto no_f0 = gen(on("workstation", {"ff:17", "--functions", "1,2", "--guest-address", "00:05"}));
  EXPECT_EQ(no_f0.code, 2);
  EXPECT_THAT(no_f0.err, HasSubstr("function 0"));
  // A single function lands on function 0 of the guest slot.
  auto single = gen(on("workstation", {"ff:17.6", "--guest-address", "00:07"}));
  EXPECT_THAT(single.out, HasSubstr("slot='0x07' function='0x0'/>"));
}

TEST(GenXml, Mdev) {
  auto r = gen(on("workstation",
                  {"--mdev", "--parent", "00:02.0", "--type", "i915-GVTg_V5_4", "--uuid",
                   "4B20D080-1B54-4048-85B3-A6A62D165C01", "--display", "on", "--ramfb", "on"}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "<hostdev mode='subsystem' type='mdev' model='vfio-pci' display='on' ramfb='on'>\n"
            "  <source>\n"
            "    <address uuid='4b20d080-1b54-4048-85b3-a6a62d165c01'/>\n"
            "  </source>\n"
            "</hostdev>\n");
  EXPECT_EQ(r.err, "");  // the parent offers the type: nothing to warn about

  auto md =
      gen(on("workstation",
             {"--mdev", "--parent", "pci_0000_00_02_0", "--type", "i915-GVTg_V5_4", "--domain-uuid",
              "a3cff1f5-1346-4f87-b7bf-3f241d999bb2", "--index", "0", "--metadata"}));
  ASSERT_EQ(md.code, 0) << md.err;
  EXPECT_THAT(md.out, HasSubstr("<address uuid='0f638dd0-6188-5cab-aa2c-4830cb30a04b'/>"))
      << md.out;
  EXPECT_NE(
      md.out.find(
          "<ptagent:passthrough xmlns:ptagent=\"urn:x-ptagent:passthrough:1\">\n"
          "  <ptagent:mdev uuid=\"0f638dd0-6188-5cab-aa2c-4830cb30a04b\" parent=\"0000:00:02.0\" "
          "type=\"i915-GVTg_V5_4\"/>\n</ptagent:passthrough>\n"),
      std::string::npos)
      << md.out;
  // Same inputs, same UUID; another index, another UUID.
  auto again = gen(
      on("workstation", {"--mdev", "--parent", "00:02.0", "--type", "i915-GVTg_V5_4",
                         "--domain-uuid", "a3cff1f5-1346-4f87-b7bf-3f241d999bb2", "--index", "0"}));
  EXPECT_THAT(again.out, HasSubstr("0f638dd0-6188-5cab-aa2c-4830cb30a04b"));
  auto other = gen(
      on("workstation", {"--mdev", "--parent", "00:02.0", "--type", "i915-GVTg_V5_4",
                         "--domain-uuid", "a3cff1f5-1346-4f87-b7bf-3f241d999bb2", "--index", "1"}));
  EXPECT_EQ(other.code, 0);
  EXPECT_THAT(other.out, Not(HasSubstr("0f638dd0-6188-5cab-aa2c-4830cb30a04b")));

  auto wrapped =
      gen(on("workstation", {"--mdev", "--parent", "00:02.0", "--type", "i915-GVTg_V5_4", "--uuid",
                             "4b20d080-1b54-4048-85b3-a6a62d165c01", "--metadata", "--wrap"}));
  EXPECT_THAT(wrapped.out, HasSubstr("</devices>\n<metadata>\n  <ptagent:passthrough "))
      << wrapped.out;
  EXPECT_EQ(wrapped.out.substr(wrapped.out.size() - 12), "</metadata>\n");
}

TEST(GenXml, PciMetadataForUnmanagedDevices) {
  auto r =
      gen(on("workstation", {"ff:17.6", "--managed", "no", "--metadata", "--bind-group", "whole"}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(
      r.out, HasSubstr("<ptagent:pci address=\"0000:ff:17.6\" bind=\"vfio-pci\" group=\"whole\"/>"))
      << r.out;
  auto managed = gen(on("workstation", {"ff:17.6", "--metadata"}));
  EXPECT_EQ(managed.code, 0);
  EXPECT_EQ(managed.out, kFf176);  // nothing for the hook
  EXPECT_THAT(managed.err, HasSubstr("managed='yes'"));
}

TEST(GenXml, QemuFormat) {
  auto r = gen(on("workstation", {"ff:17", "--functions", "0,1", "--format", "qemu",
                                  "--guest-address", "00:05", "--rom-bar", "off", "--boot-order",
                                  "1", "--alias", "ua-gpu", "--rom-file", "/v,1.rom"}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(
      r.out,
      "-device "
      "vfio-pci,host=0000:ff:17.0,id=ua-gpu,addr=0x5.0x0,multifunction=on,bootindex=1,rombar=0,"
      "romfile=/v,,1.rom\n"
      "-device vfio-pci,host=0000:ff:17.1,id=ua-gpu-1,addr=0x5.0x1,rombar=0\n");
  auto plain = gen(on("workstation", {"ff:17.6", "--format", "qemu"}));
  EXPECT_EQ(plain.out, "-device vfio-pci,host=0000:ff:17.6\n");
  auto m = gen(on("workstation", {"--mdev", "--parent", "00:02.0", "--type", "i915-GVTg_V5_4",
                                  "--uuid", "4b20d080-1b54-4048-85b3-a6a62d165c01", "--display",
                                  "on", "--ramfb", "on", "--format", "qemu"}));
  EXPECT_EQ(
      m.out,
      "-device "
      "vfio-pci-nohotplug,sysfsdev=/sys/bus/mdev/devices/4b20d080-1b54-4048-85b3-a6a62d165c01,"
      "display=on,ramfb=on\n");
}

TEST(GenXml, JsonFormat) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"ff:17.6", "01:00.1", "--format", "json", "--managed", "no"},
        std::vector<std::string>{"--json", "ff:17.6", "01:00.1", "--managed", "no"}}) {
    auto r = gen(on("workstation", args));
    ASSERT_EQ(r.code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    ASSERT_TRUE(j.is_array());
    ASSERT_EQ(j.size(), 2u);
    EXPECT_EQ(j[0]["type"], "pci");
    EXPECT_EQ(j[0]["address"], "0000:ff:17.6");
    EXPECT_EQ(j[0]["bus"], 255);
    EXPECT_EQ(j[0]["slot"], 23);
    EXPECT_EQ(j[0]["function"], 6);
    EXPECT_EQ(j[0]["managed"], "no");
    EXPECT_EQ(j[0]["nodedev"], "pci_0000_ff_17_6");
    EXPECT_TRUE(j[0]["alias"].is_null());
    EXPECT_EQ(j[0]["qemu"], "-device vfio-pci,host=0000:ff:17.6");
    EXPECT_THAT(j[0]["xml"].get<std::string>(), HasSubstr("managed='no'"));
    EXPECT_EQ(j[1]["address"], "0000:01:00.1");
  }
  auto m =
      gen(on("workstation", {"--mdev", "--parent", "00:02.0", "--type", "i915-GVTg_V5_4", "--uuid",
                             "4b20d080-1b54-4048-85b3-a6a62d165c01", "--format", "json"}));
  auto j = nlohmann::json::parse(m.out);
  EXPECT_EQ(j[0]["type"], "mdev");
  EXPECT_EQ(j[0]["uuid"], "4b20d080-1b54-4048-85b3-a6a62d165c01");
  EXPECT_EQ(j[0]["parent"], "0000:00:02.0");
  EXPECT_EQ(j[0]["mdev_type"], "i915-GVTg_V5_4");
  EXPECT_TRUE(j[0]["display"].is_null());
}

TEST(GenXml, HostWarnings) {
  // 01:00.0 alone leaves its HDMI audio function (snd_hda_intel) in group 1.
  auto alone = gen(on("workstation", {"01:00.0"}));
  EXPECT_EQ(alone.code, 0);
  EXPECT_THAT(alone.err, HasSubstr("ptagent: warning: 0000:01:00.0"));
  EXPECT_THAT(alone.err, HasSubstr("0000:01:00.1"));
  EXPECT_THAT(alone.out, HasSubstr("bus='0x01'"));  // still printed
  auto both = gen(on("workstation", {"01:00.0", "01:00.1"}));
  EXPECT_EQ(both.err, "");
  // The NVMe holding / and the boot VGA are host-critical.
  auto nvme = gen(on("workstation", {"02:00.0"}));
  EXPECT_EQ(nvme.code, 0);
  EXPECT_THAT(nvme.err, HasSubstr("0000:02:00.0 is host-critical"));
  auto vga = gen(on("workstation", {"00:02.0"}));
  EXPECT_THAT(vga.err, HasSubstr("0000:00:02.0 is host-critical"));
  // Host infrastructure gets no <hostdev>: a refusal (exit 1) and nothing printed.
  for (const char* dev : {"00:01.0", "00:00.0", "00:1f.0"}) {
    auto infra = gen(on("workstation", {dev}));
    EXPECT_EQ(infra.code, 1) << dev;
    EXPECT_EQ(infra.out, "") << dev;
    EXPECT_THAT(infra.err, HasSubstr("host infrastructure"));
  }
  // Without an IOMMU there is no group at all.
  auto noiommu = gen(on("noiommu", {"00:05.0"}));
  EXPECT_EQ(noiommu.code, 0);
  EXPECT_THAT(noiommu.err, HasSubstr("no IOMMU group"));
  // An mdev type the parent does not offer.
  auto type = gen(on("workstation", {"--mdev", "--parent", "00:02.0", "--type", "nvidia-63",
                                     "--uuid", "4b20d080-1b54-4048-85b3-a6a62d165c01"}));
  EXPECT_EQ(type.code, 0);
  EXPECT_THAT(type.err, HasSubstr("does not offer mdev type nvidia-63"));
  EXPECT_THAT(type.err, HasSubstr("i915-GVTg_V5_4"));
}

TEST(GenXml, MissingSchemasWarnOnceAndGoOn) {
  char tmpl[] = "/tmp/ptagent-noschema-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  EnvGuard env("PTAGENT_LIBVIRT_SCHEMAS", dir);
  auto r = gen(on("workstation", {"ff:17", "--functions", "0,1,2"}));
  fs::remove_all(dir);
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 15);  // three hostdevs of five lines
  std::size_t warnings = 0;
  for (auto pos = r.err.find("warning:"); pos != std::string::npos;
       pos = r.err.find("warning:", pos + 1))
    ++warnings;
  EXPECT_EQ(warnings, 1u) << r.err;
  EXPECT_THAT(r.err, HasSubstr("schemas were not found"));
  auto quiet = gen(on("workstation", {"ff:17.6", "--no-validate"}));
  EXPECT_EQ(quiet.err, "");
}

TEST(GenXml, BadInputExitsTwoAndNamesTheProblem) {
  char big[] = "/tmp/ptagent-bignodedev-XXXXXX";
  ::close(::mkstemp(big));
  std::ofstream(big) << std::string((1u << 20) + 10, ' ') << kNodedevFf176;
  TempFile nopci(
      "<device><name>net_eth0</name><capability "
      "type='net'><interface>eth0</interface></capability></device>");
  TempFile entity(
      "<!DOCTYPE device [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><device><capability type='pci'>"
      "<domain>0</domain><bus>&e;</bus><slot>0</slot><function>0</function></capability></device>");
  TempFile huge(
      "<device><capability type='pci'><domain>0</domain><bus>99999999999</bus><slot>0</slot>"
      "<function>0</function></capability></device>");
  const std::string uuid = "4b20d080-1b54-4048-85b3-a6a62d165c01";
  struct Case {
    std::vector<std::string> args;
    std::string needle;
    std::string input = {};
  };
  const std::vector<Case> cases = {
      {{"--bus", "256", "--slot", "0", "--function", "0"}, "bus 256"},
      {{"00:20.0"}, "slot 0x20"},
      {{"0000:00:00.8"}, "function 0x8"},
      {{"--bus", "0", "--slot", "0", "--function", "8"}, "function 8"},
      {{"10000:00:00.0"}, "domain 0x10000"},
      {{"--domain", "65536", "--bus", "0", "--slot", "0", "--function", "0"}, "domain 65536"},
      {{"0000:ff:17.6.1"}, "0000:ff:17.6.1"},
      {{"0000:ff:17."}, "function is empty"},
      {{"zz:00.0"}, "bus 'zz'"},
      {{"0000:ff:17.6junk"}, "0000:ff:17.6junk"},
      {{"0000:ff:17.6 "}, "0000:ff:17.6 "},
      {{""}, "is empty"},
      {{}, "needs a device"},
      {{"--from-nodedev", "-"}, "empty", ""},
      {{"--from-nodedev", "-"}, "empty", "  \n"},
      {{"--from-nodedev", "-", "--from-nodedev", "-"}, "twice", kNodedevFf176},
      {{"--from-nodedev", nopci.path()}, "no <capability type='pci'>"},
      {{"--from-nodedev", entity.path()}, "DTD"},
      {{"--from-nodedev", huge.path()}, "99999999999"},
      {{"--from-nodedev", big}, "larger than 1 MiB"},
      {{"--from-nodedev", "-"}, "not well-formed", "<device>"},
      {{"--bus", "1", "--slot", "0"}, "--function"},
      {{"--domain", "0"}, "--bus, --slot and --function together"},
      {{"--bus", "1x", "--slot", "0", "--function", "0"}, "--bus '1x'"},
      {{"--bus=-1", "--slot", "0", "--function", "0"}, "--bus '-1'"},
      {{"ff:17.6", "--rom-bar", "maybe"}, "--rom-bar 'maybe'"},
      {{"ff:17.6", "--rom-file", "vbios.rom"}, "absolute"},
      {{"ff:17.6", "--alias", "gpu"}, "ua-"},
      {{"ff:17.6", "--alias", "ua-g.pu"}, "--alias 'ua-g.pu'"},
      {{"ff:17.6", "--managed", "maybe"}, "--managed 'maybe'"},
      {{"ff:17.6", "--driver", "kvm"}, "--driver 'kvm'"},
      {{"ff:17.6", "--boot-order", "0"}, "--boot-order '0'"},
      {{"ff:17.6", "--guest-address", "00:05.0"}, "--guest-address '00:05.0'"},
      {{"ff:17.6", "--guest-address", "0:20"}, "slot 0x20"},
      {{"ff:17.6", "--guest-address", "x"}, "--guest-address 'x'"},
      {{"ff:17.6", "ff:17.6"}, "given twice"},
      {{"ff:17.6", "pci_0000_ff_17_6"}, "given twice"},
      {{"ff:17.6", "--format", "yaml"}, "--format 'yaml'"},
      {{"ff:17.6", "--json", "--format", "qemu"}, "conflicts"},
      {{"ff:17.6", "--format", "qemu", "--wrap"}, "--wrap"},
      {{"ff:17.6", "--format", "qemu", "--metadata"}, "--metadata"},
      {{"ff:17.6", "--bind-group", "whole"}, "--bind-group"},
      {{"ff:17.6", "--managed", "no", "--metadata", "--bind-group", "all"}, "--bind-group 'all'"},
      {{"ff:17.6", "--display", "on"}, "--display"},
      {{"ff:17.6", "--uuid", uuid}, "--uuid"},
      {{"ff:17.6", "--no-such-option"}, "no-such-option"},
      {{"--mdev", "--type", "i915-GVTg_V5_4", "--uuid", uuid}, "--parent"},
      {{"--mdev", "--parent", "00:02.0", "--uuid", uuid}, "--type"},
      {{"--mdev", "--parent", "00:02.0", "--type", "t"}, "--uuid"},
      {{"--mdev", "--parent", "00:02.0", "--type", "t", "--uuid", "not-a-uuid"},
       "--uuid 'not-a-uuid'"},
      {{"--mdev", "--parent", "00:02.0", "--type", "t", "--uuid", uuid, "--index", "0"},
       "conflicts"},
      {{"--mdev", "--parent", "00:02.0", "--type", "t", "--index", "0"}, "--domain-uuid"},
      {{"--mdev", "--parent", "00:02.0", "--type", "t", "--domain-uuid", uuid}, "--index"},
      {{"--mdev", "--parent", "00:02.0", "--type", "t", "--domain-uuid", "x", "--index", "0"},
       "--domain-uuid 'x'"},
      {{"--mdev", "--parent", "00:02.0", "--type", "t", "--domain-uuid", uuid, "--index", "-"},
       "--index"},
      {{"--mdev", "--parent", "00:02.0", "--type", "t", "--domain-uuid", uuid, "--index", "70000"},
       "out of range"},
      {{"--mdev", "--parent", "00:02.0", "--type", "../../x", "--uuid", uuid}, "contains '/'"},
      {{"--mdev", "--parent", "00:02.0", "--type", "a..b", "--uuid", uuid}, "'..'"},
      {{"--mdev", "--parent", "00:02", "--type", "t", "--uuid", uuid}, "whole slot"},
      {{"--mdev", "--parent", "00:02.0", "--type", "t", "--uuid", uuid, "--ramfb", "on"},
       "display"},
      {{"--mdev", "--parent", "00:02.0", "--type", "t", "--uuid", uuid, "--display", "yes"},
       "--display 'yes'"},
      {{"--mdev", "--parent", "00:02.0", "--type", "t", "--uuid", uuid, "--managed", "no"},
       "--managed"},
      {{"--mdev", "--parent", "00:02.0", "--type", "t", "--uuid", uuid, "ff:17.6"},
       "separate call"},
  };
  for (const auto& c : cases) {
    auto r = gen(on("workstation", c.args), c.input);
    std::string shown;
    for (const auto& a : c.args) shown += a + " ";
    EXPECT_EQ(r.code, 2) << shown << "\n" << r.err;
    if (std::find(c.args.begin(), c.args.end(), "--json") != c.args.end()) {
      // With --json the error is JSON on stdout (cli_test.cpp).
      EXPECT_EQ(r.err, "") << shown;
      EXPECT_THAT(r.out, HasSubstr("{\"error\":")) << shown;
      EXPECT_THAT(r.out, HasSubstr(c.needle))
          << shown << "\nwanted '" << c.needle << "' in: " << r.out;
      continue;
    }
    EXPECT_EQ(r.out, "") << shown;
    EXPECT_THAT(r.err, HasSubstr("ptagent: error: ")) << shown;
    EXPECT_THAT(r.err, HasSubstr(c.needle))
        << shown << "\nwanted '" << c.needle << "' in: " << r.err;
  }
  fs::remove(big);
  auto missing_file = gen(on("workstation", {"--from-nodedev", "/nonexistent/nodedev.xml"}));
  EXPECT_EQ(missing_file.code, 1);
  EXPECT_THAT(missing_file.err, HasSubstr("/nonexistent/nodedev.xml"));
}

TEST(GenXml, Help) {
  auto r = gen({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("Usage: ptagent gen-xml"));
  EXPECT_THAT(r.out, HasSubstr("--guest-address"));
  EXPECT_THAT(r.out, HasSubstr("--from-nodedev"));
}

// An mdev parent that is not a PCI device: whatever /sys/class/mdev_bus lists (the kernel's mtty
// sample here; s390 vfio-ap and vfio-ccw are the same).
TEST(GenXml, MdevParentThatIsNotAPciDevice) {
  ptagent::testing::TempHost h = ptagent::testing::TempHost::copy_of("workstation");
  const std::string type = "/sys/devices/virtual/mtty/mtty/mdev_supported_types/mtty-2";
  fs::create_directories(h.real(type + "/devices"));
  std::ofstream(h.real(type + "/available_instances")) << "12\n";
  std::ofstream(h.real(type + "/device_api")) << "vfio-pci\n";
  std::ofstream(h.real(type + "/create"));
  fs::create_symlink("../../devices/virtual/mtty/mtty", h.real("/sys/class/mdev_bus/mtty"));
  const std::vector<std::string> base = {"--root",
                                         h.dir(),
                                         "--mdev",
                                         "--parent",
                                         "mtty",
                                         "--uuid",
                                         "4b20d080-1b54-4048-85b3-a6a62d165c01",
                                         "--metadata"};
  auto args = base;
  args.insert(args.end(), {"--type", "mtty-2"});
  auto r = gen(args);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(
      r.out.find("<ptagent:mdev uuid=\"4b20d080-1b54-4048-85b3-a6a62d165c01\" parent=\"mtty\" "
                 "type=\"mtty-2\"/>"),
      std::string::npos)
      << r.out;
  // A type it does not offer, a parent the host does not list: warnings, as for PCI parents.
  args = base;
  args.insert(args.end(), {"--type", "mtty-1"});
  r = gen(args);
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("--parent mtty does not offer mdev type mtty-1 (it offers: mtty-2)"))
      << r.err;
  r = gen(on("workstation", {"--mdev", "--parent", "matrix", "--type", "vfio_ap-passthrough",
                             "--uuid", "4b20d080-1b54-4048-85b3-a6a62d165c01"}));
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("--parent matrix is not listed under /sys/class/mdev_bus")) << r.err;
  // Names end up in sysfs paths: unsafe ones are refused.
  for (const char* bad : {"../x", "a/b", "m tty"}) {
    r = gen({"--mdev", "--parent", bad, "--type", "t", "--uuid",
             "4b20d080-1b54-4048-85b3-a6a62d165c01"});
    EXPECT_EQ(r.code, 2) << bad;
    EXPECT_THAT(r.err, HasSubstr("mdev parent"));
  }
}

// <driver name='vfio' model=…>: libvirt's schema has it from 10.0 on. This machine's libvirt
// (9.0) refuses it: gen-xml says libvirt >= 10.0 is needed instead of printing what libvirt would
// reject; with a schema that accepts it (a stand-in for 10.x) the element is printed.
TEST(GenXml, DriverModelNeedsLibvirt10) {
  const auto old = gen({"ff:17.6", "--driver-model", "mlx5_vfio_pci"});
  if (old.code == 0 && old.err.find("without validation") != std::string::npos) {
    GTEST_SKIP() << "no libvirt schemas on this machine";
  }
  EXPECT_EQ(old.code, 1) << old.out;
  EXPECT_EQ(old.out, "");
  EXPECT_THAT(old.err, HasSubstr("--driver-model mlx5_vfio_pci"));
  EXPECT_THAT(old.err, HasSubstr("libvirt >= 10.0 is needed"));
  EXPECT_THAT(old.err, HasSubstr("ptagent bind --driver mlx5_vfio_pci"));
  // the same element without the model validates, so the refusal is about the model only
  EXPECT_EQ(gen({"ff:17.6", "--driver", "vfio"}).code, 0);

  char tmpl[] = "/tmp/ptagent-schema10-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  {
    std::ofstream(dir + "/domaincommon.rng")
        << "<grammar xmlns='http://relaxng.org/ns/structure/1.0'>\n"
           "  <define name='hostdev'><element name='hostdev'><ref name='any'/></element></define>\n"
           "  <define name='any'><zeroOrMore><choice><attribute><anyName/></attribute><text/>\n"
           "    <element><anyName/><ref name='any'/></element></choice></zeroOrMore></define>\n"
           "</grammar>\n";
  }
  EnvGuard env("PTAGENT_LIBVIRT_SCHEMAS", dir);
  const auto now = gen({"ff:17.6", "--driver-model", "mlx5_vfio_pci"});
  fs::remove_all(dir);
  EXPECT_EQ(now.code, 0) << now.err;
  EXPECT_THAT(now.out, HasSubstr("  <driver name='vfio' model='mlx5_vfio_pci'/>\n"));
  const auto json =
      gen({"ff:17.6", "--driver-model", "vfio-pci", "--format", "json", "--no-validate"});
  ASSERT_EQ(json.code, 0) << json.err;
  auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j[0]["driver_model"], "vfio-pci");
  EXPECT_EQ(j[0]["driver"], "vfio");
  // not a driver name; not for an mdev
  EXPECT_EQ(gen({"ff:17.6", "--driver-model", "mlx5 vfio"}).code, 2);
  EXPECT_EQ(gen({"--mdev", "--parent", "0000:00:02.0", "--type", "i915-GVTg_V5_4", "--uuid",
                 "4b20d080-1b54-4048-85b3-a6a62d165c01", "--driver-model", "vfio-pci"})
                .code,
            2);
}
