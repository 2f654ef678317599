#include "ops/journal_codec.hpp"

#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "uuid.hpp"

namespace ptagent {

namespace {

using nlohmann::json;

std::string state_name(ChangeState s) {
  return s == ChangeState::pending ? "pending" : "done";
}

json opt_string(const std::optional<std::string>& v) {
  return v ? json(*v) : json(nullptr);
}

json to_json(const Change& c) {
  json j;
  j["id"] = c.id;
  j["kind"] = change_kind_name(c.kind);
  j["state"] = state_name(c.state);
  j["owner"] = c.owner;
  j["time"] = c.time;
  j["address"] = c.address ? json(c.address->to_string()) : json(nullptr);
  j["original_driver"] = opt_string(c.original_driver);
  j["original_override"] = opt_string(c.original_override);
  j["new_driver"] = c.new_driver;
  j["mdev_uuid"] = c.mdev_uuid;
  j["mdev_parent"] = c.mdev_parent;
  j["mdev_type"] = c.mdev_type;
  j["previous_numvfs"] = c.previous_numvfs;
  return j;
}

// Thrown by from_json for an entry that makes no sense; the file is then reported corrupt.
struct BadEntry {
  std::string why;
};

std::string get_string(const json& j, const char* key, bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) throw BadEntry{std::string("an entry has no \"") + key + "\""};
    return {};
  }
  if (!it->is_string()) throw BadEntry{std::string("\"") + key + "\" of an entry is not a string"};
  return it->get<std::string>();
}

std::optional<std::string> maybe_string(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw BadEntry{std::string("\"") + key + "\" of an entry is not a string"};
  return it->get<std::string>();
}

// Names the journal hands to sysfs paths (drivers, mdev parents and types): plain names only,
// so that even a tampered journal cannot steer a write out of /sys.
bool plain_name(const std::string& s) {
  if (s.empty() || s.size() > 128 || s.front() == '.' || s.find("..") != std::string::npos)
    return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

Change from_json(const json& j) {
  if (!j.is_object()) throw BadEntry{"an entry is not an object"};
  Change c;
  c.id = get_string(j, "id", true);
  if (c.id.empty()) throw BadEntry{"an entry has an empty id"};
  const std::string kind = get_string(j, "kind", true);
  if (kind == "bind") {
    c.kind = ChangeKind::bind;
  } else if (kind == "mdev") {
    c.kind = ChangeKind::mdev;
  } else if (kind == "sriov") {
    c.kind = ChangeKind::sriov;
  } else {
    throw BadEntry{"entry " + c.id + " has the unknown kind \"" + kind + "\""};
  }
  const std::string state = get_string(j, "state", true);
  if (state == "pending") {
    c.state = ChangeState::pending;
  } else if (state == "done") {
    c.state = ChangeState::done;
  } else {
    throw BadEntry{"entry " + c.id + " has the unknown state \"" + state + "\""};
  }
  c.owner = get_string(j, "owner", true);
  c.time = get_string(j, "time", false);
  if (auto a = maybe_string(j, "address")) {
    c.address = try_parse_pci_address(*a);
    if (!c.address) throw BadEntry{"entry " + c.id + " has the bad address \"" + *a + "\""};
  }
  c.original_driver = maybe_string(j, "original_driver");
  c.original_override = maybe_string(j, "original_override");
  c.new_driver = get_string(j, "new_driver", false);
  c.mdev_uuid = get_string(j, "mdev_uuid", false);
  c.mdev_parent = get_string(j, "mdev_parent", false);
  c.mdev_type = get_string(j, "mdev_type", false);
  if (auto it = j.find("previous_numvfs"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<long long>() < 0 || it->get<long long>() > 0xffff) {
      throw BadEntry{"entry " + c.id + " has a bad previous_numvfs"};
    }
    c.previous_numvfs = static_cast<unsigned>(it->get<long long>());
  }
  if ((c.kind == ChangeKind::bind || c.kind == ChangeKind::sriov) && !c.address) {
    throw BadEntry{"entry " + c.id + " has no address"};
  }
  auto name_field = [&](const std::string& value, const char* key) {
    if (!value.empty() && !plain_name(value)) {
      throw BadEntry{"entry " + c.id + " has the bad " + key + " \"" + value.substr(0, 64) + "\""};
    }
  };
  if (c.original_driver) {
    if (c.original_driver->empty())
      throw BadEntry{"entry " + c.id + " has an empty original_driver"};
    name_field(*c.original_driver, "original_driver");
  }
  name_field(c.new_driver, "new_driver");
  name_field(c.mdev_parent, "mdev_parent");
  name_field(c.mdev_type, "mdev_type");
  if (!c.mdev_uuid.empty() && !is_uuid_text(c.mdev_uuid)) {
    throw BadEntry{"entry " + c.id + " has the bad mdev_uuid \"" + c.mdev_uuid.substr(0, 64) +
                   "\""};
  }
  return c;
}

}  // namespace

DecodedJournal decode_journal(const std::string& text) {
  DecodedJournal p;
  if (text.size() > kMaxJournalBytes) {
    p.problem = "larger than " + std::to_string(kMaxJournalBytes) + " bytes";
    return p;
  }
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    p.problem =
        text.empty() ? "the file is empty (truncated)" : "not valid JSON (truncated or damaged)";
    return p;
  }
  if (!j.is_object() || !j.contains("version") || !j["version"].is_number_integer() ||
      !j.contains("changes") || !j["changes"].is_array()) {
    p.problem = "not a ptagent journal (it lacks \"version\" and \"changes\")";
    return p;
  }
  if (j["version"].get<long long>() != kJournalVersion) {
    p.other_version = true;
    p.problem = "journal format version " + std::to_string(j["version"].get<long long>()) +
                " is not the one this ptagent reads (" + std::to_string(kJournalVersion) + ")";
    return p;
  }
  std::set<std::string> ids;
  try {
    for (const auto& e : j["changes"]) {
      Change c = from_json(e);
      if (!ids.insert(c.id).second) throw BadEntry{"the id " + c.id + " appears twice"};
      p.changes.push_back(std::move(c));
    }
  } catch (const BadEntry& bad) {
    p.changes.clear();
    p.problem = bad.why;
  }
  return p;
}

std::string encode_journal(const std::vector<Change>& changes) {
  json j;
  j["version"] = kJournalVersion;
  j["changes"] = json::array();
  for (const auto& c : changes) j["changes"].push_back(to_json(c));
  return j.dump(2) + "\n";
}

}  // namespace ptagent
