// setup_state: /etc/ptagent/setup.json rendered and parsed back to the same state, an absent file
// read as nothing persisted, and a malformed file refused with an error naming it.
#include "setup/setup_state.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "error.hpp"
#include "support/error_of.hpp"
#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::error_of;
using ptagent::testing::TempHost;
namespace fs = std::filesystem;

namespace {

SetupState full_state() {
  SetupState s;
  s.iommu_added = {"intel_iommu=on", "iommu=pt"};
  s.iommu_removed = {"intel_iommu=off"};
  s.modules = true;
  s.modules_initramfs = true;
  s.binds.push_back(
      {parse_pci_address("0000:01:00.0"), BindMethod::by_id, "10de:1b80", "nouveau", false});
  s.binds.push_back({parse_pci_address("0000:02:00.1"), BindMethod::by_address, "", "", true});
  s.sriov.push_back({parse_pci_address("0000:03:00.0"), 4});
  s.mdevs.push_back({"9f5d9b1c-1f5e-4a3e-9c2b-6a1f0e0c2d11", "0000:00:02.0", "i915-GVTg_V5_4"});
  s.power.push_back({parse_pci_address("0000:04:00.3"), parse_pci_address("0000:00:08.1")});
  s.power.push_back({parse_pci_address("0000:00:14.0"), std::nullopt});
  s.reset_methods.push_back({parse_pci_address("0000:03:00.0"), {"device_specific", "bus"}});
  s.foreign.push_back({"iommu", "/etc/kernel/cmdline", "root=/dev/sda1 \"q\"\n",
                       "root=/dev/sda1 \"q\" intel_iommu=on\n"});
  return s;
}

std::string valid_json() {
  return render_setup_state(full_state());
}

// The valid document with one change made to its JSON.
template <typename Fn>
std::string edited(Fn fn) {
  auto j = nlohmann::json::parse(valid_json());
  fn(j);
  return j.dump();
}

void expect_refused(const std::string& text, const std::string& why) {
  const Error e = error_of([&] { parse_setup_state(text, "/etc/ptagent/setup.json"); });
  EXPECT_EQ(e.kind(), ErrorKind::failed) << why;
  EXPECT_EQ(e.object(), "/etc/ptagent/setup.json") << why << ": " << e.what();
  EXPECT_FALSE(e.hint().empty()) << why;
}

}  // namespace

TEST(SetupState, BindMethodNames) {
  EXPECT_STREQ(bind_method_name(BindMethod::by_id), "by-id");
  EXPECT_STREQ(bind_method_name(BindMethod::by_address), "by-address");
}

TEST(SetupState, EmptyState) {
  SetupState s;
  EXPECT_TRUE(s.empty());
  s.modules_initramfs = true;
  EXPECT_FALSE(s.empty());
  EXPECT_EQ(parse_setup_state(render_setup_state(SetupState{})), SetupState{});
}

TEST(SetupState, RoundTripKeepsEveryField) {
  const SetupState s = full_state();
  const std::string text = render_setup_state(s);
  const SetupState back = parse_setup_state(text);
  EXPECT_EQ(back, s);
  EXPECT_EQ(render_setup_state(back), text) << "rendering is stable";
  EXPECT_EQ(back.foreign.at(0).before, "root=/dev/sda1 \"q\"\n") << "quotes and newlines kept";
  EXPECT_EQ(back.binds.at(1).method, BindMethod::by_address);
  EXPECT_TRUE(back.binds.at(1).driverctl);
}

TEST(SetupState, RenderedDocumentShape) {
  const auto j = nlohmann::json::parse(valid_json());
  EXPECT_EQ(j.at("version"), 1);
  EXPECT_EQ(j.at("binds").at(0).at("address"), "0000:01:00.0");
  EXPECT_EQ(j.at("binds").at(0).at("method"), "by-id");
  EXPECT_EQ(j.at("sriov").at(0).at("vfs"), 4);
  EXPECT_EQ(valid_json().back(), '\n');
  const auto empty = nlohmann::json::parse(render_setup_state(SetupState{}));
  EXPECT_TRUE(empty.at("binds").is_array()) << "an empty list, not null";
  EXPECT_TRUE(empty.at("foreign").is_array());
}

TEST(SetupState, MalformedDocumentsNameTheFile) {
  expect_refused("", "empty file");
  expect_refused("{\"version\": 1,", "truncated JSON");
  expect_refused("[1, 2]", "not an object");
  expect_refused("{}", "no version");
  expect_refused(edited([](auto& j) { j["version"] = 2; }), "a newer version");
  expect_refused(edited([](auto& j) { j["version"] = "1"; }), "version as a string");
  expect_refused(edited([](auto& j) { j.erase("iommu"); }), "missing iommu");
  expect_refused(edited([](auto& j) { j["modules"]["boot"] = "yes"; }), "a string for a bool");
  expect_refused(edited([](auto& j) { j["binds"][0]["method"] = "by-magic"; }), "bad method");
  expect_refused(edited([](auto& j) { j["binds"][0].erase("ids"); }), "missing ids");
  expect_refused(edited([](auto& j) { j["binds"] = nullptr; }), "binds null");
  expect_refused(edited([](auto& j) { j["mdevs"][0]["uuid"] = 7; }), "a number for a uuid");
  expect_refused(edited([](auto& j) { j["foreign"][0].erase("after"); }), "missing after");
  expect_refused(edited([](auto& j) { j["power"][0]["bridge"] = 3; }), "a number for a bridge");
  expect_refused(edited([](auto& j) { j["power"] = nullptr; }), "power null");
  expect_refused(
      edited([](auto& j) { j["reset_methods"][0]["methods"] = nlohmann::json::array(); }),
      "reset_methods without methods");
  expect_refused(edited([](auto& j) { j["reset_methods"][0]["address"] = "zz"; }),
                 "bad reset_methods address");
}

// A state written before power and reset_methods existed reads as having none of them.
TEST(SetupState, AnOlderDocumentWithoutPowerOrResetMethodsReads) {
  const SetupState s = parse_setup_state(edited([](auto& j) {
    j.erase("power");
    j.erase("reset_methods");
  }));
  EXPECT_TRUE(s.power.empty());
  EXPECT_TRUE(s.reset_methods.empty());
  EXPECT_EQ(s.sriov.size(), 1u);
}

TEST(SetupState, ABadAddressOrCountNamesTheFileToo) {
  expect_refused(edited([](auto& j) { j["binds"][0]["address"] = "not-an-address"; }),
                 "bad address");
  expect_refused(edited([](auto& j) { j["binds"][0]["address"] = "0000:01:00"; }),
                 "a slot, not a function");
  expect_refused(edited([](auto& j) { j["sriov"][0]["pf"] = "zz"; }), "bad PF");
  expect_refused(edited([](auto& j) { j["sriov"][0]["vfs"] = -1; }), "negative VF count");
}

TEST(SetupState, ParseUsesTheGivenFileName) {
  const Error e = error_of([] { parse_setup_state("nope", "/tmp/other.json"); });
  EXPECT_EQ(e.object(), "/tmp/other.json");
}

TEST(SetupState, LoadFromTheHost) {
  TempHost h = TempHost::empty();
  EXPECT_TRUE(load_setup_state(h.root()).empty()) << "no file: nothing persisted";
  fs::create_directories(h.real("/etc/ptagent"));
  std::ofstream(h.real(kSetupStateFile)) << valid_json();
  EXPECT_EQ(load_setup_state(h.root()), full_state());
  std::ofstream(h.real(kSetupStateFile)) << "{\"version\": 1";
  const Error e = error_of([&] { load_setup_state(h.root()); });
  EXPECT_EQ(e.kind(), ErrorKind::failed);
  EXPECT_EQ(e.object(), kSetupStateFile);
}
