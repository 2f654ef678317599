// The state journal file (/run/ptagent/journal.json) with arbitrary contents: load() returns the
// entries or reports the file; update() never drops a file it cannot read (it is moved aside),
// and what update() writes, load() reads back.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "error.hpp"
#include "fuzz_check.hpp"
#include "ops/journal.hpp"
#include "support/temp_host.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
using ptagent::testing::TempHost;

namespace {

TempHost& host() {
  static TempHost h = TempHost::empty();
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  TempHost& h = host();
  const std::string dir = h.real("/run/ptagent");
  std::filesystem::remove_all(dir);
  ::mkdir(dir.c_str(), 0700);
  {
    std::ofstream f(dir + "/journal.json", std::ios::binary);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  Journal journal(h.root());
  bool loaded = false;
  std::vector<Change> entries;
  try {
    entries = journal.load();
    loaded = true;
  } catch (const Error& e) {
    FUZZ_CHECK(e.kind() == ErrorKind::failed, e.what());
  }
  try {
    journal.update([&](std::vector<Change>& all) {
      FUZZ_CHECK(loaded, "update() accepted a file load() refused");
      FUZZ_CHECK(all.size() == entries.size(), "update() saw other entries than load()");
    });
    const auto again = journal.load();
    FUZZ_CHECK(again.size() == entries.size(), "entries lost in a rewrite");
    for (std::size_t i = 0; i < again.size(); ++i) {
      FUZZ_CHECK(again[i].id == entries[i].id && again[i].kind == entries[i].kind &&
                     again[i].address == entries[i].address &&
                     again[i].mdev_uuid == entries[i].mdev_uuid &&
                     again[i].previous_numvfs == entries[i].previous_numvfs,
                 "entry " + entries[i].id + " changed in a rewrite");
    }
  } catch (const Error& e) {
    FUZZ_CHECK(!loaded, std::string("update() refused a file load() read: ") + e.what());
    // Unreadable: kept aside, never deleted (another version is left in place).
    bool kept = std::filesystem::exists(dir + "/journal.json");
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().filename().string().rfind("journal.json.corrupt-", 0) == 0) kept = true;
    }
    FUZZ_CHECK(kept, std::string("an unreadable journal vanished: ") + e.what());
  }
  return 0;
}
