#include "setup/setup_state.hpp"

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "sysfs/root.hpp"

namespace ptagent {

const char* bind_method_name(BindMethod method) {
  return method == BindMethod::by_id ? "by-id" : "by-address";
}

namespace {
constexpr const char* kBadHint =
    "restore it from a backup or move it aside (ptagent then knows of nothing it persisted; "
    "remove its files by hand: grep -rl ptagent /etc)";
}  // namespace

SetupState parse_setup_state(std::string_view text, std::string_view file) {
  SetupState s;
  try {
    const auto j = nlohmann::json::parse(text);
    if (!j.is_object() || j.value("version", 0) != 1) {
      throw_failed(std::string(file), "is not a ptagent setup state (version 1)",
                   "move it aside; 'ptagent setup status' then shows nothing persisted");
    }
    const auto& iommu = j.at("iommu");
    s.iommu_added = iommu.at("added").get<std::vector<std::string>>();
    s.iommu_removed = iommu.at("removed").get<std::vector<std::string>>();
    s.modules = j.at("modules").at("boot").get<bool>();
    s.modules_initramfs = j.at("modules").at("initramfs").get<bool>();
    // A list that is null or an object would iterate as empty or as its values: refuse it.
    const auto list = [&](const char* key) -> const nlohmann::json& {
      const auto& l = j.at(key);
      if (!l.is_array()) throw std::runtime_error(std::string(key) + " is not a list");
      return l;
    };
    for (const auto& b : list("binds")) {
      BootBind e;
      e.address = parse_pci_address(b.at("address").get<std::string>());
      const auto method = b.at("method").get<std::string>();
      if (method != "by-id" && method != "by-address") throw std::runtime_error("bad method");
      e.method = method == "by-id" ? BindMethod::by_id : BindMethod::by_address;
      e.ids = b.at("ids").get<std::string>();
      e.host_module = b.at("host_module").get<std::string>();
      e.driverctl = b.at("driverctl").get<bool>();
      s.binds.push_back(e);
    }
    for (const auto& v : list("sriov")) {
      // get<unsigned> would turn -1 into 4294967295.
      if (!v.at("vfs").is_number_unsigned()) throw std::runtime_error("vfs is not a count");
      s.sriov.push_back(
          {parse_pci_address(v.at("pf").get<std::string>()), v.at("vfs").get<unsigned>()});
    }
    for (const auto& m : list("mdevs")) {
      s.mdevs.push_back({m.at("uuid").get<std::string>(), m.at("parent").get<std::string>(),
                         m.at("type").get<std::string>()});
    }
    // Added after version 1 first shipped: a state without them has none.
    const nlohmann::json none = nlohmann::json::array();
    const auto later_list = [&](const char* key) -> const nlohmann::json& {
      return j.contains(key) ? list(key) : none;
    };
    for (const auto& p : later_list("power")) {
      BootPower e;
      e.address = parse_pci_address(p.at("address").get<std::string>());
      if (!p.at("bridge").is_null())
        e.bridge = parse_pci_address(p.at("bridge").get<std::string>());
      s.power.push_back(e);
    }
    for (const auto& r : later_list("reset_methods")) {
      BootResetMethod e;
      e.address = parse_pci_address(r.at("address").get<std::string>());
      e.methods = r.at("methods").get<std::vector<std::string>>();
      if (e.methods.empty()) throw std::runtime_error("reset_methods entry without methods");
      s.reset_methods.push_back(e);
    }
    for (const auto& f : list("foreign")) {
      s.foreign.push_back({f.at("item").get<std::string>(), f.at("path").get<std::string>(),
                           f.at("before").get<std::string>(), f.at("after").get<std::string>()});
    }
  } catch (const Error& e) {
    if (e.object() == file) throw;
    // A bad PCI address inside the document: the error names the file, not the address.
    throw_failed(std::string(file), "cannot be read: " + e.object() + " " + e.cause(), kBadHint);
  } catch (const std::exception& e) {
    throw_failed(std::string(file), std::string("cannot be read: ") + e.what(), kBadHint);
  }
  return s;
}

std::string render_setup_state(const SetupState& s) {
  nlohmann::ordered_json j;
  j["version"] = 1;
  j["iommu"] = {{"added", s.iommu_added}, {"removed", s.iommu_removed}};
  j["modules"] = {{"boot", s.modules}, {"initramfs", s.modules_initramfs}};
  j["binds"] = nlohmann::ordered_json::array();
  for (const auto& b : s.binds) {
    j["binds"].push_back({{"address", b.address.to_string()},
                          {"method", bind_method_name(b.method)},
                          {"ids", b.ids},
                          {"host_module", b.host_module},
                          {"driverctl", b.driverctl}});
  }
  j["sriov"] = nlohmann::ordered_json::array();
  for (const auto& v : s.sriov) j["sriov"].push_back({{"pf", v.pf.to_string()}, {"vfs", v.vfs}});
  j["mdevs"] = nlohmann::ordered_json::array();
  for (const auto& m : s.mdevs) {
    j["mdevs"].push_back({{"uuid", m.uuid}, {"parent", m.parent}, {"type", m.type}});
  }
  j["power"] = nlohmann::ordered_json::array();
  for (const auto& p : s.power) {
    j["power"].push_back(
        {{"address", p.address.to_string()},
         {"bridge", p.bridge ? nlohmann::ordered_json(p.bridge->to_string()) : nullptr}});
  }
  j["reset_methods"] = nlohmann::ordered_json::array();
  for (const auto& r : s.reset_methods) {
    j["reset_methods"].push_back({{"address", r.address.to_string()}, {"methods", r.methods}});
  }
  j["foreign"] = nlohmann::ordered_json::array();
  for (const auto& f : s.foreign) {
    j["foreign"].push_back(
        {{"item", f.item}, {"path", f.path}, {"before", f.before}, {"after", f.after}});
  }
  return j.dump(2) + "\n";
}

SetupState load_setup_state(const Root& root) {
  auto text = root.read(kSetupStateFile);
  if (!text) return {};
  return parse_setup_state(*text);
}

}  // namespace ptagent
