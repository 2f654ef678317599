// The hostile input catalogue: what an attacker (or a broken tool) can hand ptagent, and what
// ptagent does with it. Each case is refused, or handled without harm; afterwards no file has
// changed outside ptagent's own directory (/run/ptagent) of the simulated host, and a canary
// directory outside the host, which planted symlinks point at, is untouched.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "agent/commands.hpp"
#include "error.hpp"
#include "hooks/hook.hpp"
#include "ops/journal.hpp"
#include "ops/mdev.hpp"
#include "ops/vfio_bind.hpp"
#include "pci/address.hpp"
#include "support/cli_runner.hpp"
#include "support/kernel_double.hpp"
#include "support/plan_and_bind.hpp"
#include "support/sim_host.hpp"
#include "support/temp_host.hpp"
#include "sysfs/root.hpp"
#include "sysfs/sysfs_writer.hpp"
#include "xml/domain.hpp"
#include "xml/domain_status.hpp"
#include "xml/metadata.hpp"
#include "xml/nodedev.hpp"

using namespace ptagent;
using ptagent::testing::host_state;
using ptagent::testing::plan_and_bind;
using ptagent::testing::TempHost;
namespace fs = std::filesystem;

namespace {

constexpr const char* kUuid = "6c0d8a58-33f0-4c0c-9c48-0b4b6f1e7a01";
constexpr const char* kMdev = "4b20d080-1b54-4048-85b3-a6a62d165c01";
const std::string kDev = "/sys/bus/pci/devices/";

// Which parts of a simulated host a snapshot leaves out.
enum class Skip {
  nothing,
  ptagent_dir,         // /run/ptagent: ptagent's own
  ptagent_and_kernel,  // also /sys and /dev, which the kernel double changes on ptagent's request
};

// Every entry under a directory (symlinks not followed): type, link target or contents.
std::map<std::string, std::string> snapshot(const std::string& dir, Skip skip = Skip::ptagent_dir) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string rel = it->path().string().substr(dir.size());
    if (skip != Skip::nothing && rel.rfind("/run/ptagent", 0) == 0) continue;
    if (skip == Skip::ptagent_and_kernel &&
        (rel.rfind("/sys/", 0) == 0 || rel.rfind("/dev/", 0) == 0))
      continue;
    const auto st = it->symlink_status();
    if (fs::is_symlink(st)) {
      out[rel] = "link " + fs::read_symlink(it->path()).string();
    } else if (fs::is_directory(st)) {
      out[rel] = "dir";
    } else {
      std::ifstream f(it->path(), std::ios::binary);
      std::stringstream ss;
      ss << f.rdbuf();
      out[rel] = "file " + ss.str();
    }
  }
  return out;
}

// A directory outside every simulated host, holding a canary file that planted symlinks target.
struct Outside {
  Outside() {
    std::string pattern = fs::temp_directory_path().string() + "/ptagent-outside-XXXXXX";
    dir = ::mkdtemp(pattern.data());
    canary = dir + "/canary";
    std::ofstream(canary) << "canary\n";
    fs::create_directories(dir + "/type");
    for (const char* f : {"create", "name", "device_api", "description"})
      std::ofstream(dir + "/type/" + f) << "x\n";
    std::ofstream(dir + "/type/available_instances") << "1\n";
    before = snapshot(dir, Skip::nothing);
  }
  ~Outside() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void expect_untouched(const std::string& where) const {
    EXPECT_EQ(snapshot(dir, Skip::nothing), before)
        << where << ": something was written outside the host";
  }
  std::string dir, canary;
  std::map<std::string, std::string> before;
};

struct Host : ptagent::testing::SimHost {
  explicit Host(const char* fixture = "workstation")
      : SimHost(fixture), before(snapshot(host.dir())) {}
  std::map<std::string, std::string> before;

  int hook(const std::vector<std::string>& args, const std::string& xml,
           std::string* err_out = nullptr, SysfsWriter* writer = nullptr) {
    std::ostringstream err;
    hook::HookDeps deps{host.root(), writer ? *writer : kernel, HookConfig{}, err,
                        [](const std::string&) {}};
    deps.config.busy_retry = std::chrono::milliseconds(1);
    const int rc = hook::run_hook(args, xml, deps);
    if (err_out) *err_out = err.str();
    return rc;
  }
  int prepare(const std::string& xml, std::string* err = nullptr,
              const std::string& name = "guest") {
    return hook({name, "prepare", "begin", "-"}, xml, err);
  }
  // ptagent's CLI on this host: the double writes for bind, restore, mdev; else the real writers.
  int cli(const std::vector<std::string>& args, std::string* text = nullptr) {
    const cli::Args rest(args.begin() + 1, args.end());
    const test::CliResult r = test::run_command(host.dir(), [&](cli::Context& ctx) {
      ctx.use_sysfs(kernel);
      if (args[0] == "bind") return cli::cmd_bind(ctx, rest);
      if (args[0] == "restore") return cli::cmd_restore(ctx, rest);
      if (args[0] == "mdev") return cli::cmd_mdev(ctx, rest);
      ADD_FAILURE() << args[0];
      return 0;
    });
    if (text) *text = r.out + r.err;
    return r.code;
  }
  // No file changed outside /run/ptagent (and, with Skip::ptagent_and_kernel, outside the
  // emulated kernel's /sys and /dev, whose state host_state() compares).
  void expect_unchanged(const std::string& where, Skip skip = Skip::ptagent_dir) const {
    std::map<std::string, std::string> was;
    for (const auto& [path, what] : before) {
      if (skip != Skip::ptagent_and_kernel ||
          (path.rfind("/sys/", 0) != 0 && path.rfind("/dev/", 0) != 0))
        was[path] = what;
    }
    const auto now = snapshot(host.dir(), skip);
    for (const auto& [path, what] : now) {
      auto it = was.find(path);
      EXPECT_TRUE(it != was.end()) << where << ": new file " << path;
      if (it != was.end()) {
        EXPECT_EQ(what, it->second) << where << ": changed " << path;
      }
    }
    for (const auto& [path, what] : was)
      EXPECT_TRUE(now.count(path)) << where << ": removed " << path;
  }
};

// Text as XML carries it (a NUL byte cannot be in XML at all: dropped).
std::string xml_text(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "&lt;";
    else if (c == '&')
      out += "&amp;";
    else if (c != '\0')
      out += c;
  }
  return out;
}

std::string domain_doc(const std::string& name, const std::string& devices,
                       const std::string& metadata = {}, const std::string& uuid = kUuid) {
  return "<domain type='qemu'><name>" + xml_text(name) + "</name><uuid>" + uuid + "</uuid>" +
         (metadata.empty() ? std::string() : "<metadata>" + metadata + "</metadata>") +
         "<devices>" + devices + "</devices></domain>";
}

std::string meta(const std::string& body) {
  return "<ptagent:passthrough xmlns:ptagent=\"urn:x-ptagent:passthrough:1\">" + body +
         "</ptagent:passthrough>";
}

std::string mdev_meta(const std::string& uuid, const std::string& type,
                      const std::string& parent = "0000:00:02.0") {
  return meta("<ptagent:mdev uuid=\"" + uuid + "\" parent=\"" + parent + "\" type=\"" + type +
              "\"/>");
}

std::string mdev_hostdev(const std::string& uuid) {
  return "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='" + uuid +
         "'/></source></hostdev>";
}

std::string pci_hostdev(const std::string& bus, const std::string& managed = "yes") {
  return "<hostdev mode='subsystem' type='pci' managed='" + managed +
         "'><source><address domain='0x0000' bus='" + bus +
         "' slot='0x00' function='0x0'/></source></hostdev>";
}

template <typename Fn>
ErrorKind error_kind(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "accepted";
  return ErrorKind::failed;
}

template <typename Fn>
double seconds(Fn&& fn) {
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// ---- domain names ---------------------------------------------------------------------------

TEST(HostileInput, DomainNamesAreOnlyEverShownEscaped) {
  Outside outside;
  const std::vector<std::string> names = {
      "a/b",        "../../../../" + outside.dir.substr(1) + "/canary",
      "..",         "/",
      "x\ny\rz",    std::string("nul\0byte", 8),
      "quote'\"\\", std::string(1 << 20, 'n')};
  for (const auto& name : names) {
    const std::string where = "name " + hook::printable_name(name).substr(0, 40);
    Host h;
    const std::string start = host_state(h.host.root());
    // Handled: the name is for messages only; everything is keyed on the UUID.
    const std::string xml =
        domain_doc(name, mdev_hostdev(kMdev), mdev_meta(kMdev, "i915-GVTg_V5_4"));
    std::string err;
    EXPECT_EQ(h.prepare(xml, &err, name), 0) << where << ": " << err;
    EXPECT_TRUE(h.host.root().exists(std::string("/sys/bus/mdev/devices/") + kMdev)) << where;
    EXPECT_EQ(h.hook({name, "release", "end", "-"}, xml, &err), 0) << where << ": " << err;
    EXPECT_EQ(host_state(h.host.root()), start) << where;
    // Refused: the message carries the name escaped and cut short, on one line.
    EXPECT_EQ(h.prepare(domain_doc(name, pci_hostdev("0x01")), &err, name), 1) << where;
    EXPECT_NE(err.find("cannot start"), std::string::npos) << err.substr(0, 400);
    EXPECT_LT(err.size(), 4000u) << where;
    if (name.find('\n') != std::string::npos) {
      EXPECT_EQ(err.find("x\ny"), std::string::npos) << err;
    }
    EXPECT_EQ(err.find(std::string(1, '\0')), std::string::npos) << where;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 2) << err.substr(0, 400);  // cause, fix
    h.expect_unchanged(where, Skip::ptagent_and_kernel);
  }
  outside.expect_untouched("hostile names");
}

// ---- XML ------------------------------------------------------------------------------------

TEST(HostileInput, DtdsAndEntitiesAreRefusedEverywhere) {
  Outside outside;
  const std::string xxe = "<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY x SYSTEM 'file://" +
                          outside.canary + "'>]><domain><name>&x;</name><uuid>" + kUuid +
                          "</uuid><devices>" + pci_hostdev("0x01") + "</devices></domain>";
  std::string laughs = "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>";
  for (int i = 1; i < 10; ++i) {
    laughs += "<!ENTITY lol" + std::to_string(i) + " '";
    for (int k = 0; k < 10; ++k)
      laughs += "&lol" + (i == 1 ? std::string() : std::to_string(i - 1)) + ";";
    laughs += "'>";
  }
  laughs += "]><domain><name>&lol9;</name><devices><hostdev/></devices></domain>";
  const std::string param =
      "<!DOCTYPE d [<!ENTITY % p SYSTEM 'http://127.0.0.1:1/x'> "
      "%p;]><domain><devices><hostdev/></devices></domain>";
  const std::string lower = "<!doctype domain [<!ENTITY x 'y'>]><domain><hostdev/></domain>";
  for (const std::string& doc : {xxe, laughs, param, lower}) {
    const std::string where = doc.substr(0, 60);
    const double t = seconds([&] {
      EXPECT_EQ(error_kind([&] { parse_domain_xml(doc); }), ErrorKind::usage) << where;
      EXPECT_EQ(error_kind([&] { parse_nodedev_xml(doc); }), ErrorKind::usage) << where;
      EXPECT_EQ(error_kind([&] { parse_metadata(doc); }), ErrorKind::usage) << where;
      EXPECT_EQ(error_kind([&] { parse_domain_status(doc); }), ErrorKind::usage) << where;
    });
    EXPECT_LT(t, 1.0) << where;
    Host h;
    std::string err;
    EXPECT_EQ(h.prepare(doc, &err), 1) << where;
    EXPECT_NE(err.find("cannot start"), std::string::npos) << err;
    EXPECT_EQ(err.find("canary"), std::string::npos) << "the entity was expanded: " << err;
    EXPECT_EQ(h.hook({"guest", "release", "end", "-"}, doc), 0) << where;
    EXPECT_EQ(h.kernel.write_count(), 0u);
    h.expect_unchanged(where);
  }
  // An undeclared entity is not expanded either: it stays the text it is.
  EXPECT_EQ(parse_domain_xml("<domain><name>&x;</name><hostdev/></domain>").name, "&x;");
  outside.expect_untouched("entities");
}

TEST(HostileInput, HugeAttributesAndDocuments) {
  const std::string big(10u << 20, '7');
  struct Case {
    std::string doc;
    int prepare_code;
  };
  const std::vector<Case> cases = {
      // A 10 MB bus number: refused, and the message quotes only its start.
      {domain_doc(
           "g",
           "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' "
           "bus='" +
               big + "' slot='0' function='0'/></source></hostdev>"),
       1},
      // A 10 MB attribute ptagent does not read: handled (nothing to do for a managed device that
      // is free and viable is still checked; the NVIDIA pair is viable).
      {domain_doc("g",
                  "<hostdev mode='subsystem' type='pci' managed='yes' x='" + big +
                      "'><source><address domain='0x0000' bus='0x01' slot='0x00' "
                      "function='0x0'/></source></hostdev>" +
                      "<hostdev mode='subsystem' type='pci' managed='yes'><source><address "
                      "domain='0x0000' bus='0x01' slot='0x00' function='0x1'/></source></hostdev>"),
       0},
      // A 10 MB mdev type in the metadata: the element is over its 1 MiB limit.
      {domain_doc("g", mdev_hostdev(kMdev), mdev_meta(kMdev, big)), 1},
      // A document over 16 MiB.
      {domain_doc("g", "<hostdev/>" + std::string(17u << 20, ' ')), 1},
  };
  for (const auto& c : cases) {
    Host h;
    std::string err;
    int rc = -1;
    const double t = seconds([&] { rc = h.prepare(c.doc, &err); });
    EXPECT_EQ(rc, c.prepare_code) << err.substr(0, 300);
    EXPECT_LT(t, 10.0);
    EXPECT_LT(err.size(), 2000u) << "the message repeats the input";
    EXPECT_EQ(h.kernel.write_count(), 0u);
    h.expect_unchanged("huge input");
  }
}

TEST(HostileInput, DeepNestingNeitherCrashesNorRecursesWithoutBound) {
  const int depth = 200000;
  std::string open, close;
  for (int i = 0; i < depth; ++i) {
    open += "<a>";
    close += "</a>";
  }
  const std::vector<std::string> docs = {
      domain_doc("g", open + close + pci_hostdev("0x09")),
      domain_doc("g", pci_hostdev("0x09"), "<x>" + open + close + "</x>"),
      domain_doc("g", mdev_hostdev(kMdev), meta(open + close)),
      domain_doc("g", mdev_hostdev(kMdev),
                 "<ptagent:passthrough xmlns:ptagent=\"urn:x-ptagent:passthrough:1\">" + open +
                     close + "</ptagent:passthrough>"),
      "<domstatus>" + open + close + "<domain><uuid>" + kUuid + "</uuid><devices>" +
          pci_hostdev("0x09") + "</devices></domain></domstatus>",
  };
  for (const auto& doc : docs) {
    Host h;
    std::string err;
    const int rc = h.prepare(doc, &err);
    EXPECT_EQ(rc, 1) << err.substr(0, 300);
    EXPECT_EQ(h.hook({"guest", "release", "end", "-"}, doc), 0);
    EXPECT_EQ(h.kernel.write_count(), 0u);
    try {
      parse_domain_status(doc);
    } catch (const Error&) {
    }
    try {
      parse_metadata(doc);
    } catch (const Error&) {
    }
    try {
      parse_nodedev_xml("<device>" + open + close + "</device>");
    } catch (const Error&) {
    }
    h.expect_unchanged("deep nesting");
  }
}

// ---- names that end up in paths ---------------------------------------------------------------

TEST(HostileInput, UuidsTypesAndParentsThatTryPathTraversal) {
  Outside outside;
  const std::string escape = "../../../../../../../.." + outside.dir;
  // Through the hook's metadata and domain XML.
  const std::vector<std::string> docs = {
      domain_doc("g", mdev_hostdev(kMdev), mdev_meta(kMdev, escape + "/type")),
      domain_doc("g", mdev_hostdev(kMdev), mdev_meta(kMdev, "../i915-GVTg_V5_4")),
      domain_doc("g", mdev_hostdev(kMdev), mdev_meta(kMdev, "i915-GVTg_V5_4/../../x")),
      domain_doc("g", mdev_hostdev(kMdev), mdev_meta(kMdev, ".hidden")),
      domain_doc("g", mdev_hostdev(kMdev),
                 mdev_meta("../../../../tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "i915-GVTg_V5_4")),
      domain_doc("g", mdev_hostdev(kMdev), mdev_meta(kMdev, "i915-GVTg_V5_4", "../../../..")),
      domain_doc("g", mdev_hostdev("../../../../../../../../etc/passwd0000000000")),
      domain_doc("g", mdev_hostdev(kMdev), {}, "../../../../run/ptagent/journal.json"),
  };
  for (const auto& doc : docs) {
    Host h;
    std::string err;
    EXPECT_EQ(h.prepare(doc, &err), 1) << doc;
    EXPECT_NE(err.find("cannot start"), std::string::npos) << err;
    EXPECT_EQ(h.kernel.write_count(), 0u) << doc;
    h.expect_unchanged(doc.substr(0, 120));
  }
  // Through the CLI.
  const std::vector<std::vector<std::string>> commands = {
      {"mdev", "create", "0000:00:02.0", escape + "/type"},
      {"mdev", "create", "0000:00:02.0", "../i915-GVTg_V5_4"},
      {"mdev", "create", escape, "i915-GVTg_V5_4"},
      {"mdev", "create", "0000:00:02.0", "i915-GVTg_V5_4", "--uuid", "../../../../etc/passwd"},
      {"mdev", "remove", "../../../../../../../../" + outside.canary},
      {"mdev", "types", "../../../../.."},
      {"bind", "--driver", "../../../../tmp", "0000:01:00.1"},
  };
  for (const auto& args : commands) {
    Host h;
    std::string text;
    EXPECT_NE(h.cli(args, &text), 0) << args[1] << " " << args.back();
    EXPECT_EQ(h.kernel.write_count(), 0u) << args.back();
    h.expect_unchanged(args.back());
  }
  outside.expect_untouched("path traversal");
}

TEST(HostileInput, AJournalEntryCannotSteerAWriteOutOfSysfs) {
  // The journal is root's (0700), but what it names still goes through the same checks: a driver,
  // UUID, parent or type that is not a plain name makes the entry unreadable, never a path.
  struct Case {
    const char* field;
    std::string value;
  };
  for (const Case& c : std::vector<Case>{{"original_driver", "../../../../tmp/evil"},
                                         {"new_driver", "vfio-pci/../../../../tmp"},
                                         {"mdev_uuid", "../../../../../../tmp/evil"},
                                         {"mdev_parent", "../../../.."},
                                         {"mdev_type", "../../x"}}) {
    Host h;
    fs::create_directories(h.host.real("/run/ptagent"));
    ::chmod(h.host.real("/run/ptagent").c_str(), 0700);
    const bool mdev = std::string(c.field).rfind("mdev", 0) == 0;
    std::string entry =
        mdev
            ? R"({"id":"mdev:x","kind":"mdev","state":"done","owner":"cli",)"
              R"("mdev_uuid":")" +
                  std::string(kMdev) +
                  R"(","mdev_parent":"0000:00:02.0","mdev_type":"i915-GVTg_V5_4")"
            : R"({"id":"bind:0000:01:00.1","kind":"bind","state":"done","owner":"cli",)"
              R"("address":"0000:01:00.1","original_driver":"snd_hda_intel","new_driver":"vfio-pci")";
    // Replace (or add) the hostile field.
    const std::string key = std::string("\"") + c.field + "\":\"";
    if (auto at = entry.find(key); at != std::string::npos) {
      const auto end = entry.find('"', at + key.size());
      entry.replace(at + key.size(), end - at - key.size(), c.value);
    } else {
      entry += "," + key + c.value + "\"";
    }
    std::ofstream(h.host.real("/run/ptagent/journal.json"))
        << R"({"version":1,"changes":[)" << entry << "]}";
    h.before = snapshot(h.host.dir());
    EXPECT_EQ(error_kind([&] { Journal(h.host.root()).load(); }), ErrorKind::failed) << c.field;
    std::string text;
    EXPECT_NE(h.cli({"restore", "--all"}, &text), 0) << c.field;
    EXPECT_NE(text.find("corrupt"), std::string::npos) << text;
    for (const auto& call : h.kernel.calls())
      EXPECT_EQ(call.path.find(".."), std::string::npos) << call.path;
    EXPECT_EQ(h.kernel.write_count(), 0u) << c.field;
  }
}

// ---- addresses with NUL bytes -------------------------------------------------------------------

TEST(HostileInput, EmbeddedNulBytes) {
  const std::string nul("0000:01:00.1\0/../../x", 21);
  EXPECT_EQ(error_kind([&] { parse_device_spec(nul); }), ErrorKind::usage);
  EXPECT_EQ(error_kind([&] { parse_pci_address(nul); }), ErrorKind::usage);
  EXPECT_FALSE(try_parse_pci_address(nul));
  EXPECT_FALSE(try_parse_pci_address(std::string("01:00.1\0", 8)));
  EXPECT_EQ(error_kind([&] { parse_uuid_text(std::string(kMdev) + std::string("\0", 1)); }),
            ErrorKind::usage);
  Host h;
  // Paths with a NUL are neither read nor opened.
  EXPECT_TRUE(h.host.root().read("/etc/os-release"));
  EXPECT_FALSE(h.host.root().read(std::string("/etc/os-release\0/x", 17)));
  EXPECT_EQ(
      h.host.root().open_in_root("/sys/bus/pci/drivers_probe" + std::string("\0x", 2), O_WRONLY),
      -EINVAL);
  RealSysfsWriter real(h.host.root());
  EXPECT_EQ(
      real.write(kDev + "0000:01:00.1" + std::string("\0", 1) + "/driver_override", "vfio-pci"),
      EINVAL);
  std::string text;
  EXPECT_EQ(h.cli({"bind", nul}, &text), 2) << text;
  EXPECT_EQ(h.cli({"restore", nul}, &text), 2) << text;
  EXPECT_EQ(h.cli({"mdev", "remove", std::string(kMdev) + std::string("\0", 1)}, &text), 2) << text;
  // In XML a NUL can only come as a character reference (not allowed in XML 1.0); the value
  // then ends there, which is still a well-formed address or a refusal, never a longer path.
  std::string err;
  const int rc = h.prepare(
      domain_doc(
          "g",
          "<hostdev mode='subsystem' type='pci' managed='yes'><source><address "
          "domain='0x0000' bus='0x01&#0;/../x' slot='0x00' function='0x0'/></source></hostdev>"),
      &err);
  EXPECT_TRUE(rc == 0 || rc == 1) << err;
  EXPECT_EQ(h.prepare(domain_doc("g", mdev_hostdev(kMdev),
                                 meta("<ptagent:pci address=\"0000:01:00.0&#0;\"/>")),
                      &err),
            1)
      << err;
  EXPECT_EQ(h.kernel.write_count(), 0u);
  h.expect_unchanged("NUL bytes");
}

// ---- symlinks planted in the simulated sysfs --------------------------------------------------

TEST(HostileInput, APlantedDriverOverrideSymlinkIsNotWrittenThrough) {
  Outside outside;
  for (const bool relative : {false, true}) {
    Host h;
    const std::string file = h.host.real(kDev + "0000:01:00.1/driver_override");
    const std::string real_file = fs::canonical(file).string();
    fs::remove(real_file);
    const std::string target =
        relative ? "../../../../../../../../../../../../../../.." + outside.canary : outside.canary;
    fs::create_symlink(target, real_file);
    h.before = snapshot(h.host.dir());
    // The real writer refuses a symlink as the last component.
    RealSysfsWriter real(h.host.root());
    EXPECT_EQ(real.write(kDev + "0000:01:00.1/driver_override", "vfio-pci"), ELOOP);
    // A whole bind through the real writer fails at that step and changes nothing.
    Journal j(h.host.root());
    BindRequest r;
    r.devices = {parse_pci_address("01:00.1")};
    r.partial = PartialGroup::checked_by_caller;  // this test is about the write, not the group
    try {
      plan_and_bind(h.host.root(), real, j, r);
      ADD_FAILURE() << "bound through a planted symlink";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("driver_override"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(j.load().empty());
    h.expect_unchanged(relative ? "relative driver_override link"
                                : "absolute driver_override link");
  }
  outside.expect_untouched("driver_override symlink");
}

TEST(HostileInput, APlantedUnbindSymlinkIsNotWrittenThrough) {
  Outside outside;
  Host h;
  const std::string unbind = h.host.real("/sys/bus/pci/drivers/snd_hda_intel/unbind");
  fs::remove(unbind);
  fs::create_symlink(outside.canary, unbind);
  h.before = snapshot(h.host.dir());
  const std::string start = host_state(h.host.root());
  RealSysfsWriter real(h.host.root());
  EXPECT_EQ(real.write("/sys/bus/pci/drivers/snd_hda_intel/unbind", "0000:01:00.1"), ELOOP);
  // A whole group bind (the double refuses the link as the real writer does): the unbind step
  // fails, everything is put back.
  Journal j(h.host.root());
  BindRequest r;
  r.devices = {parse_pci_address("01:00.0")};
  r.group = GroupMode::whole_group;
  try {
    plan_and_bind(h.host.root(), h.kernel, j, r);
    ADD_FAILURE() << "bound through a planted unbind link";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unbind from snd_hda_intel failed"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("ELOOP"), std::string::npos) << e.what();
  }
  EXPECT_EQ(host_state(h.host.root()), start);
  EXPECT_TRUE(j.load().empty());
  h.expect_unchanged("unbind symlink", Skip::ptagent_and_kernel);
  EXPECT_TRUE(fs::is_symlink(unbind));
  outside.expect_untouched("unbind symlink");
}

TEST(HostileInput, APlantedMdevTypeDirectoryOutsideTheHostIsNotUsed) {
  Outside outside;
  for (const bool relative : {false, true}) {
    Host h;
    const std::string types =
        fs::canonical(h.host.real("/sys/class/mdev_bus/0000:00:02.0/mdev_supported_types"))
            .string();
    fs::create_symlink(relative
                           ? "../../../../../../../../../../../../../../.." + outside.dir + "/type"
                           : outside.dir + "/type",
                       types + "/evil");
    h.before = snapshot(h.host.dir());
    std::string text;
    EXPECT_NE(h.cli({"mdev", "create", "0000:00:02.0", "evil", "--uuid", kMdev}, &text), 0) << text;
    // Also with the real writer: the same refusal comes before any write.
    RealSysfsWriter real(h.host.root());
    const test::CliResult r = test::run_command(h.host.dir(), [&](cli::Context& ctx) {
      ctx.use_sysfs(real);
      return cli::cmd_mdev(ctx, {"create", "0000:00:02.0", "evil", "--uuid", kMdev});
    });
    EXPECT_NE(r.code, 0) << r.err;
    std::string herr;
    EXPECT_EQ(h.prepare(domain_doc("g", mdev_hostdev(kMdev), mdev_meta(kMdev, "evil")), &herr), 1);
    EXPECT_EQ(h.kernel.write_count(), 0u);
    h.expect_unchanged("mdev type link");
  }
  outside.expect_untouched("mdev type symlink");
}

TEST(HostileInput, PlantedLinksInThePtagentDirectoryAreRefused) {
  Outside outside;
  const std::string xml = domain_doc("g", mdev_hostdev(kMdev), mdev_meta(kMdev, "i915-GVTg_V5_4"));
  struct Case {
    const char* what;
    std::function<void(const TempHost&)> plant;
    bool refused;
    bool cli_refused = true;  // the CLI uses the journal but not the hook's lock
  };
  const std::vector<Case> cases = {
      {"/run/ptagent -> outside",
       [&](const TempHost& t) {
         fs::create_directory_symlink(outside.dir, t.real("/run/ptagent"));
       },
       true},
      {"/run/ptagent -> ../../.. outside",
       [&](const TempHost& t) {
         fs::create_directory_symlink("../../../../../../../../.." + outside.dir,
                                      t.real("/run/ptagent"));
       },
       true},
      {"journal.json -> canary",
       [&](const TempHost& t) {
         fs::create_directory(t.real("/run/ptagent"));
         ::chmod(t.real("/run/ptagent").c_str(), 0700);
         fs::create_symlink(outside.canary, t.real("/run/ptagent/journal.json"));
       },
       true},
      {".lock -> canary",
       [&](const TempHost& t) {
         fs::create_directory(t.real("/run/ptagent"));
         ::chmod(t.real("/run/ptagent").c_str(), 0700);
         fs::create_symlink(outside.canary, t.real("/run/ptagent/.lock"));
       },
       true},
      {"hook.lock -> canary",
       [&](const TempHost& t) {
         fs::create_directory(t.real("/run/ptagent"));
         ::chmod(t.real("/run/ptagent").c_str(), 0700);
         fs::create_symlink(outside.canary, t.real("/run/ptagent/hook.lock"));
       },
       true, false},
      // A stale temporary file that is a link: removed (the link, not its target), then replaced.
      {"journal.json.tmp -> canary",
       [&](const TempHost& t) {
         fs::create_directory(t.real("/run/ptagent"));
         ::chmod(t.real("/run/ptagent").c_str(), 0700);
         fs::create_symlink(outside.canary, t.real("/run/ptagent/journal.json.tmp"));
       },
       false},
      {"/run/ptagent mode 0777",
       [&](const TempHost& t) {
         fs::create_directory(t.real("/run/ptagent"));
         ::chmod(t.real("/run/ptagent").c_str(), 0777);
       },
       true},
  };
  for (const auto& c : cases) {
    Host h;
    c.plant(h.host);
    std::string err;
    const int rc = h.prepare(xml, &err);
    if (c.refused) {
      EXPECT_EQ(rc, 1) << c.what << ": " << err;
      EXPECT_EQ(h.kernel.write_count(), 0u) << c.what;
      if (c.cli_refused) {
        std::string text;
        EXPECT_NE(h.cli({"bind", "--group", "0000:01:00.0"}, &text), 0) << c.what << ": " << text;
        EXPECT_EQ(h.kernel.write_count(), 0u) << c.what;
      }
      h.expect_unchanged(c.what);
    } else {
      EXPECT_EQ(rc, 0) << c.what << ": " << err;
      EXPECT_EQ(h.hook({"guest", "release", "end", "-"}, xml, &err), 0) << c.what << ": " << err;
      h.expect_unchanged(c.what, Skip::ptagent_and_kernel);
    }
    outside.expect_untouched(c.what);
  }
}

}  // namespace
