#include "xml/schema.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "error.hpp"
#include "xml/hostdev.hpp"

using namespace ptagent;
namespace fs = std::filesystem;

namespace {

// Sets an environment variable for one scope.
class EnvGuard {
 public:
  EnvGuard(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~EnvGuard() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/ptagent-schema-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ + "/" + name) << text;
  }

 private:
  std::string path_;
};

bool have_libvirt_schemas() {
  return libvirt_schema_dir().has_value();
}

const char* kPlain =
    "<hostdev mode='subsystem' type='pci' managed='yes'>\n"
    "  <source>\n"
    "    <address domain='0x0000' bus='0xff' slot='0x17' function='0x6'/>\n"
    "  </source>\n"
    "</hostdev>\n";

}  // namespace

TEST(Schema, FindsLibvirtAndOwnSchemas) {
  if (!have_libvirt_schemas())
    GTEST_SKIP() << "libvirt's schemas are not installed (libvirt-common)";
  EXPECT_TRUE(fs::exists(*libvirt_schema_dir() + "/domaincommon.rng"));
  ASSERT_TRUE(ptagent_schema_dir().has_value());
  EXPECT_TRUE(fs::exists(*ptagent_schema_dir() + "/hostdev.rng"));
  EXPECT_TRUE(fs::exists(*ptagent_schema_dir() + "/ptagent-metadata.rng"));
}

TEST(Schema, LibvirtAcceptsWhatWeGenerate) {
  if (!have_libvirt_schemas()) GTEST_SKIP() << "libvirt's schemas are not installed";
  auto r = validate_xml(SchemaKind::hostdev, kPlain);
  EXPECT_EQ(r.status, ValidationStatus::valid) << r.summary();

  HostdevSpec full;
  HostdevPciSource src;
  src.address = parse_pci_address("0000:01:00.0");
  src.managed = YesNo::no;
  src.driver_vfio = true;
  full.source = src;
  full.boot_order = 1;
  full.alias = "ua-gpu";
  full.rom_bar = OnOff::off;
  full.rom_file = "/usr/share/vbios/gpu.rom";
  full.guest_address = GuestPciAddress{1, 0, 0, true};
  r = validate_xml(SchemaKind::hostdev, hostdev_xml(full));
  EXPECT_EQ(r.status, ValidationStatus::valid) << r.summary();

  HostdevSpec m;
  HostdevMdevSource ms;
  ms.uuid = parse_uuid("4b20d080-1b54-4048-85b3-a6a62d165c01");
  ms.display = OnOff::on;
  ms.ramfb = OnOff::on;
  m.source = ms;
  r = validate_xml(SchemaKind::hostdev, hostdev_xml(m));
  EXPECT_EQ(r.status, ValidationStatus::valid) << r.summary();
}

TEST(Schema, LibvirtRefusesBrokenHostdevs) {
  if (!have_libvirt_schemas()) GTEST_SKIP() << "libvirt's schemas are not installed";
  struct Case {
    const char* xml;
    const char* what;
  };
  const Case cases[] = {
      {"<hostdev mode='subsystem' type='pci' managed='maybe'><source><address domain='0x0000' "
       "bus='0x01' slot='0x00' function='0x0'/></source></hostdev>",
       "managed"},
      {"<hostdev mode='subsystem' type='pci'><source><address domain='0x0000' bus='0x01' "
       "slot='0x20' function='0x0'/></source></hostdev>",
       "slot"},
      {"<hostdev mode='subsystem' type='pci'><source><address domain='0x0000' bus='0x01' "
       "slot='0x00' function='0x8'/></source></hostdev>",
       "function"},
      {"<hostdev mode='subsystem' type='pci'/>", "no source"},
      {"<hostdev mode='subsystem' type='mdev'><source><address "
       "uuid='4b20d080-1b54-4048-85b3-a6a62d165c01'/></source></hostdev>",
       "no model"},
      {"<hostdev mode='subsystem' type='pci'><source><address domain='0x0000' bus='0x01' "
       "slot='0x00' function='0x0'/></source><rom file='relative.rom'/></hostdev>",
       "relative rom"},
      {"<hostdev mode='subsystem' type='pci'><source><address domain='0x0000' bus='0x01' "
       "slot='0x00' function='0x0'/></source><boot order='0'/></hostdev>",
       "boot 0"},
      {"<disk/>", "not a hostdev"},
  };
  for (const auto& c : cases) {
    testing::internal::CaptureStderr();
    auto r = validate_xml(SchemaKind::hostdev, c.xml);
    const std::string printed = testing::internal::GetCapturedStderr();
    EXPECT_EQ(r.status, ValidationStatus::invalid) << c.what;
    EXPECT_FALSE(r.messages.empty()) << c.what;
    EXPECT_EQ(printed, "") << "libxml2 printed by itself for " << c.what;
  }
}

TEST(Schema, NotWellFormedOrHostileIsInvalidAndQuiet) {
  if (!have_libvirt_schemas()) GTEST_SKIP() << "libvirt's schemas are not installed";
  for (const char* xml :
       {"", "<hostdev", "<hostdev></source>",
        "<!DOCTYPE hostdev [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><hostdev>&e;</hostdev>"}) {
    testing::internal::CaptureStderr();
    auto r = validate_xml(SchemaKind::hostdev, xml);
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "") << xml;
    EXPECT_EQ(r.status, ValidationStatus::invalid) << xml;
    EXPECT_FALSE(r.summary().empty());
  }
  EXPECT_THROW(validate_xml(SchemaKind::hostdev, std::string((1u << 20) + 1, ' ')), Error);
}

TEST(Schema, MissingLibvirtSchemasAreUnavailable) {
  TempDir empty;
  EnvGuard env("PTAGENT_LIBVIRT_SCHEMAS", empty.path());
  EXPECT_FALSE(libvirt_schema_dir().has_value());
  auto r = validate_xml(SchemaKind::hostdev, kPlain);
  EXPECT_EQ(r.status, ValidationStatus::unavailable);
  EXPECT_NE(r.summary().find("PTAGENT_LIBVIRT_SCHEMAS"), std::string::npos) << r.summary();
  // The metadata schema is ptagent's own and stays available.
  EXPECT_NE(validate_xml(SchemaKind::metadata, "<x/>").status, ValidationStatus::unavailable);
}

TEST(Schema, BrokenLibvirtSchemasAreUnavailableAndQuiet) {
  TempDir dir;
  // A domaincommon.rng without the hostdev definition, as a future libvirt might ship.
  dir.write("domaincommon.rng",
            "<grammar xmlns='http://relaxng.org/ns/structure/1.0'><define name='other'><element "
            "name='x'><empty/>"
            "</element></define></grammar>");
  EnvGuard env("PTAGENT_LIBVIRT_SCHEMAS", dir.path());
  testing::internal::CaptureStderr();
  auto r = validate_xml(SchemaKind::hostdev, kPlain);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(r.status, ValidationStatus::unavailable);
  EXPECT_NE(r.summary().find("hostdev"), std::string::npos) << r.summary();

  TempDir garbage;
  garbage.write("domaincommon.rng", "this is not XML");
  EnvGuard env2("PTAGENT_LIBVIRT_SCHEMAS", garbage.path());
  testing::internal::CaptureStderr();
  r = validate_xml(SchemaKind::hostdev, kPlain);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(r.status, ValidationStatus::unavailable);
}

TEST(Schema, MissingOwnSchemasAreUnavailable) {
  TempDir empty;
  EnvGuard env("PTAGENT_XML_DIR", empty.path());
  EXPECT_EQ(validate_xml(SchemaKind::metadata, "<x/>").status, ValidationStatus::unavailable);
  EXPECT_EQ(validate_xml(SchemaKind::hostdev, kPlain).status, ValidationStatus::unavailable);
  EnvGuard env2("PTAGENT_XML_DIR", empty.path() + "/nonexistent");
  EXPECT_FALSE(ptagent_schema_dir().has_value());
}

TEST(Schema, CompiledSchemaIsCachedPerDirectory) {
  if (!have_libvirt_schemas()) GTEST_SKIP() << "libvirt's schemas are not installed";
  // A private copy of libvirt's directory (links): validate once, then break a file the grammar
  // includes. A cached schema keeps validating; a recompiled one would be unavailable.
  TempDir dir;
  for (const auto& e : fs::directory_iterator(*libvirt_schema_dir())) {
    fs::create_symlink(e.path(), dir.path() + "/" + e.path().filename().string());
  }
  EnvGuard env("PTAGENT_LIBVIRT_SCHEMAS", dir.path());
  ASSERT_EQ(validate_xml(SchemaKind::hostdev, kPlain).status, ValidationStatus::valid);
  fs::remove(dir.path() + "/basictypes.rng");
  dir.write("basictypes.rng", "broken");
  EXPECT_EQ(validate_xml(SchemaKind::hostdev, kPlain).status, ValidationStatus::valid);
  EXPECT_EQ(validate_xml(SchemaKind::hostdev, "<hostdev/>").status, ValidationStatus::invalid);
  // Another directory is compiled on its own (and this one is broken).
  TempDir other;
  for (const auto& e : fs::directory_iterator(dir.path()))
    fs::copy(e.path(), other.path() + "/" + e.path().filename().string());
  EnvGuard env2("PTAGENT_LIBVIRT_SCHEMAS", other.path());
  testing::internal::CaptureStderr();
  EXPECT_EQ(validate_xml(SchemaKind::hostdev, kPlain).status, ValidationStatus::unavailable);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}
