#include "ops/journal.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include "error.hpp"
#include "support/file_text.hpp"
#include "support/temp_host.hpp"
#include "sysfs/root.hpp"

using namespace ptagent;
using ptagent::testing::slurp;
using ptagent::testing::TempHost;
namespace fs = std::filesystem;

namespace {

void spit(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

Change bind_change(const std::string& addr) {
  Change c;
  c.id = "bind:" + addr;
  c.kind = ChangeKind::bind;
  c.owner = "cli";
  c.address = parse_pci_address(addr);
  c.original_driver = "nouveau";
  c.new_driver = "vfio-pci";
  return c;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what() + std::string(" | ") + e.hint();
  }
  return "(no error)";
}

TEST(Journal, EmptyWithoutCreatingAnything) {
  TempHost h = TempHost::empty();
  Journal j(h.root());
  EXPECT_TRUE(j.load().empty());
  EXPECT_FALSE(fs::exists(h.real("/run/ptagent")));
  EXPECT_EQ(j.dir(), "/run/ptagent");
}

TEST(Journal, RoundTripsEveryKindWithSafeModes) {
  TempHost h = TempHost::empty();
  const mode_t old_umask = ::umask(0077);  // a restrictive umask must not matter
  Journal j(h.root());
  j.update([](std::vector<Change>& c) {
    Change b = bind_change("0000:01:00.0");
    b.original_override = "pci-stub";
    b.state = ChangeState::done;
    c.push_back(b);
    Change m;
    m.id = "mdev:4b20d080-1b54-4048-85b3-a6a62d165c01";
    m.kind = ChangeKind::mdev;
    m.owner = "domain:0f4b5c2e-8f1a-4d2b-9c3e-5a6b7c8d9e0f";
    m.mdev_uuid = "4b20d080-1b54-4048-85b3-a6a62d165c01";
    m.mdev_parent = "0000:00:02.0";
    m.mdev_type = "i915-GVTg_V5_4";
    m.time = "2024-01-02T03:04:05Z";
    c.push_back(m);
    Change s;
    s.id = "sriov:0000:01:00.1";
    s.kind = ChangeKind::sriov;
    s.owner = "cli";
    s.address = parse_pci_address("01:00.1");
    s.previous_numvfs = 7;
    c.push_back(s);
  });
  ::umask(old_umask);
  struct stat st {};
  ASSERT_EQ(::stat(h.real("/run/ptagent").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  ASSERT_EQ(::stat(h.real("/run/ptagent/journal.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_FALSE(fs::exists(h.real("/run/ptagent/journal.json.tmp")));

  const auto c = j.load();
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].id, "bind:0000:01:00.0");
  EXPECT_EQ(c[0].kind, ChangeKind::bind);
  EXPECT_EQ(c[0].state, ChangeState::done);
  EXPECT_EQ(c[0].address, parse_pci_address("01:00.0"));
  EXPECT_EQ(c[0].original_driver, "nouveau");
  EXPECT_EQ(c[0].original_override, "pci-stub");
  EXPECT_EQ(c[0].new_driver, "vfio-pci");
  EXPECT_EQ(c[0].time.size(), 20u);  // filled in: 2024-01-02T03:04:05Z
  EXPECT_EQ(c[0].time.back(), 'Z');
  EXPECT_EQ(c[1].kind, ChangeKind::mdev);
  EXPECT_EQ(c[1].state, ChangeState::pending);
  EXPECT_EQ(c[1].owner, "domain:0f4b5c2e-8f1a-4d2b-9c3e-5a6b7c8d9e0f");
  EXPECT_EQ(c[1].mdev_uuid, "4b20d080-1b54-4048-85b3-a6a62d165c01");
  EXPECT_EQ(c[1].mdev_parent, "0000:00:02.0");
  EXPECT_EQ(c[1].mdev_type, "i915-GVTg_V5_4");
  EXPECT_EQ(c[1].time, "2024-01-02T03:04:05Z");
  EXPECT_FALSE(c[1].address);
  EXPECT_EQ(c[2].kind, ChangeKind::sriov);
  EXPECT_EQ(c[2].previous_numvfs, 7u);
  EXPECT_FALSE(c[2].original_driver);

  j.update([](std::vector<Change>& v) { v.erase(v.begin()); });
  EXPECT_EQ(j.load().size(), 2u);
  EXPECT_EQ(change_kind_name(ChangeKind::sriov), "sriov");
}

TEST(Journal, CreatesMissingParents) {
  TempHost h = TempHost::empty();
  Journal j(h.root(), "/var/lib/ptagent/state/");
  j.update([](std::vector<Change>& c) { c.push_back(bind_change("0000:01:00.0")); });
  EXPECT_EQ(j.dir(), "/var/lib/ptagent/state");
  EXPECT_EQ(j.load().size(), 1u);
  EXPECT_THROW(Journal(h.root(), "relative/dir"), Error);
  EXPECT_THROW(Journal(h.root(), "/"), Error);
}

TEST(Journal, RefusesAnUnsafeDirectory) {
  TempHost h = TempHost::empty();
  const std::string dir = h.real("/run/ptagent");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  Journal j(h.root());
  std::string e = error_of([&] { j.update([](std::vector<Change>&) {}); });
  EXPECT_NE(e.find(dir + ": the journal directory is not safe to use"), std::string::npos) << e;
  EXPECT_NE(e.find("mode 0755"), std::string::npos) << e;
  EXPECT_NE(e.find("chmod 0700"), std::string::npos) << e;
  EXPECT_NE(error_of([&] { j.load(); }).find("not safe"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir + "/journal.json"));

  ASSERT_EQ(::chmod(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chown(dir.c_str(), 4242, 4242), 0);
  e = error_of([&] { j.update([](std::vector<Change>&) {}); });
  EXPECT_NE(e.find("owner uid 4242"), std::string::npos) << e;

  fs::remove_all(dir);
  fs::create_directories(h.real("/elsewhere"));
  ::chmod(h.real("/elsewhere").c_str(), 0700);
  fs::create_directory_symlink("../elsewhere", dir);
  e = error_of([&] { j.update([](std::vector<Change>&) {}); });
  EXPECT_NE(e.find("is a symbolic link"), std::string::npos) << e;
  EXPECT_FALSE(fs::exists(h.real("/elsewhere/journal.json")));

  fs::remove(dir);
  spit(dir, "a file");
  e = error_of([&] { j.update([](std::vector<Change>&) {}); });
  EXPECT_NE(e.find("not a directory"), std::string::npos) << e;
}

TEST(Journal, RefusesASymlinkedJournalFile) {
  TempHost h = TempHost::empty();
  Journal j(h.root());
  j.update([](std::vector<Change>& c) { c.push_back(bind_change("0000:01:00.0")); });
  const std::string file = h.real("/run/ptagent/journal.json");
  spit(h.real("/run/other.json"), slurp(file));
  fs::remove(file);
  fs::create_symlink("../other.json", file);
  EXPECT_NE(error_of([&] { j.load(); }).find("symbolic link"), std::string::npos);
  EXPECT_NE(error_of([&] { j.update([](std::vector<Change>&) {}); }).find("symbolic link"),
            std::string::npos);
}

struct CorruptCase {
  const char* name;
  const char* text;
  const char* problem;
};

void PrintTo(const CorruptCase& c, std::ostream* os) {
  *os << c.name;
}

class JournalCorrupt : public ::testing::TestWithParam<CorruptCase> {};

TEST_P(JournalCorrupt, IsReportedThenMovedAsideNeverDropped) {
  const CorruptCase& cc = GetParam();
  TempHost h = TempHost::empty();
  Journal j(h.root());
  j.update([](std::vector<Change>&) {});  // the directory, safely made
  const std::string file = h.real("/run/ptagent/journal.json");
  spit(file, cc.text);

  std::string e = error_of([&] { j.load(); });
  EXPECT_NE(e.find(file + ": the journal is corrupt: "), std::string::npos) << e;
  EXPECT_NE(e.find(cc.problem), std::string::npos) << e;
  EXPECT_EQ(slurp(file), cc.text);  // reading keeps it

  bool ran = false;
  e = error_of([&] { j.update([&](std::vector<Change>&) { ran = true; }); });
  EXPECT_FALSE(ran);
  EXPECT_NE(e.find("moved aside to " + h.real("/run/ptagent/journal.json.corrupt-")),
            std::string::npos)
      << e;
  EXPECT_FALSE(fs::exists(file));
  int aside = 0;
  for (const auto& entry : fs::directory_iterator(h.real("/run/ptagent"))) {
    if (entry.path().filename().string().rfind("journal.json.corrupt-", 0) == 0) {
      ++aside;
      EXPECT_EQ(slurp(entry.path()), cc.text);
      EXPECT_NE(e.find(entry.path().string()), std::string::npos);
    }
  }
  EXPECT_EQ(aside, 1);

  // The next change starts a new journal.
  j.update([](std::vector<Change>& c) { c.push_back(bind_change("0000:01:00.0")); });
  EXPECT_EQ(j.load().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, JournalCorrupt,
    ::testing::Values(
        CorruptCase{"garbage", "this is not json", "not valid JSON"},
        CorruptCase{"truncated",
                    "{\"version\": 1, \"changes\": [{\"id\": \"bind:0000:01:00.0\", \"ki",
                    "not valid JSON"},
        CorruptCase{"empty", "", "the file is empty"},
        CorruptCase{"wrong_shape", "[1, 2, 3]", "not a ptagent journal"},
        CorruptCase{"unknown_kind",
                    "{\"version\":1,\"changes\":[{\"id\":\"x\",\"kind\":\"teleport\",\"state\":"
                    "\"done\",\"owner\":\"cli\"}]}",
                    "unknown kind"},
        CorruptCase{"bad_address",
                    "{\"version\":1,\"changes\":[{\"id\":\"x\",\"kind\":\"bind\",\"state\":"
                    "\"done\",\"owner\":\"cli\","
                    "\"address\":\"0000:01:00.9\"}]}",
                    "bad address"},
        CorruptCase{"duplicate_id",
                    "{\"version\":1,\"changes\":[{\"id\":\"m\",\"kind\":\"mdev\",\"state\":"
                    "\"done\",\"owner\":\"cli\"},"
                    "{\"id\":\"m\",\"kind\":\"mdev\",\"state\":\"done\",\"owner\":\"cli\"}]}",
                    "appears twice"},
        CorruptCase{
            "missing_owner",
            "{\"version\":1,\"changes\":[{\"id\":\"m\",\"kind\":\"mdev\",\"state\":\"done\"}]}",
            "has no \"owner\""},
        // Names that end up in sysfs paths must be plain names, even in a tampered journal.
        CorruptCase{"driver_path",
                    "{\"version\":1,\"changes\":[{\"id\":\"x\",\"kind\":\"bind\",\"state\":"
                    "\"done\",\"owner\":\"cli\",\"address\":\"0000:01:00.0\","
                    "\"original_driver\":\"../../../../tmp/x\",\"new_driver\":\"vfio-pci\"}]}",
                    "bad original_driver"},
        CorruptCase{"mdev_uuid_path",
                    "{\"version\":1,\"changes\":[{\"id\":\"m\",\"kind\":\"mdev\",\"state\":"
                    "\"done\",\"owner\":\"cli\",\"mdev_uuid\":\"../../../x\"}]}",
                    "bad mdev_uuid"},
        CorruptCase{"mdev_type_path",
                    "{\"version\":1,\"changes\":[{\"id\":\"m\",\"kind\":\"mdev\",\"state\":"
                    "\"done\",\"owner\":\"cli\",\"mdev_type\":\"a/../../b\"}]}",
                    "bad mdev_type"}),
    [](const ::testing::TestParamInfo<CorruptCase>& p) { return std::string(p.param.name); });

TEST(Journal, AnotherVersionIsNotMovedAside) {
  TempHost h = TempHost::empty();
  Journal j(h.root());
  j.update([](std::vector<Change>&) {});
  const std::string file = h.real("/run/ptagent/journal.json");
  spit(file, "{\"version\": 2, \"changes\": []}");
  EXPECT_NE(error_of([&] { j.load(); }).find("version 2"), std::string::npos);
  EXPECT_NE(error_of([&] { j.update([](std::vector<Change>&) {}); }).find("version 2"),
            std::string::npos);
  EXPECT_TRUE(fs::exists(file));
}

TEST(Journal, AFailedUpdateWritesNothing) {
  TempHost h = TempHost::empty();
  Journal j(h.root());
  j.update([](std::vector<Change>& c) { c.push_back(bind_change("0000:01:00.0")); });
  const std::string before = slurp(h.real("/run/ptagent/journal.json"));
  EXPECT_THROW(j.update([](std::vector<Change>& c) {
    c.clear();
    throw_refused("x", "changed my mind");
  }),
               Error);
  EXPECT_NE(error_of([&] {
              j.update([](std::vector<Change>& c) { c.push_back(bind_change("0000:01:00.0")); });
            }).find("twice"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              j.update([](std::vector<Change>& c) { c.push_back(Change{}); });
            }).find("without an id"),
            std::string::npos);
  EXPECT_EQ(slurp(h.real("/run/ptagent/journal.json")), before);
}

// Threads of this process and forked processes add entries at the same time: none is lost.
TEST(Journal, ConcurrentUpdatesLoseNothing) {
  TempHost h = TempHost::empty();
  Journal(h.root()).update([](std::vector<Change>&) {});
  constexpr int kProcesses = 4, kThreads = 4, kEach = 25;
  auto add = [&](const Root& root, const std::string& who, int n) {
    Journal j(root);
    j.update([&](std::vector<Change>& c) {
      Change m;
      m.id = "mdev:" + who + "-" + std::to_string(n);
      m.kind = ChangeKind::mdev;
      m.owner = who;
      c.push_back(m);
    });
  };
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int code = 0;
      try {
        Root root(h.dir());
        for (int n = 0; n < kEach; ++n) add(root, "proc" + std::to_string(p), n);
      } catch (...) {
        code = 1;
      }
      ::_exit(code);
    }
    children.push_back(pid);
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < kEach; ++n) add(h.root(), "thread" + std::to_string(t), n);
    });
  }
  for (auto& t : threads) t.join();
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  const auto all = Journal(h.root()).load();
  std::set<std::string> ids;
  for (const auto& c : all) ids.insert(c.id);
  EXPECT_EQ(all.size(), static_cast<std::size_t>((kProcesses + kThreads) * kEach));
  EXPECT_EQ(ids.size(), all.size());
}

}  // namespace

namespace {

// Each step of a write failing in turn (the fault seam): update() throws naming the step, the
// journal reads as before, no temporary file is left, and the next update works.
TEST(Journal, AFailureAtEveryWriteStepChangesNothing) {
  const JournalStep steps[] = {JournalStep::create_temp, JournalStep::write_temp,
                               JournalStep::fsync_temp, JournalStep::rename,
                               JournalStep::fsync_dir};
  const char* texts[] = {"cannot create the temporary journal", "cannot write the journal",
                         "cannot fsync the journal", "cannot replace the journal",
                         "cannot fsync the journal directory"};
  for (bool first_write : {true, false}) {
    for (std::size_t i = 0; i < 5; ++i) {
      TempHost h = TempHost::empty();
      Journal j(h.root());
      if (!first_write)
        j.update([](std::vector<Change>& c) { c.push_back(bind_change("0000:01:00.0")); });
      const std::string file = h.real("/run/ptagent/journal.json");
      const bool existed = fs::exists(file);
      const std::string before = existed ? slurp(file) : "";
      Journal faulty(h.root(), kStateDir, [&](JournalStep s) { return s == steps[i] ? EIO : 0; });
      const std::string e = error_of([&] {
        faulty.update([](std::vector<Change>& c) { c.push_back(bind_change("0000:02:00.0")); });
      });
      EXPECT_NE(e.find(texts[i]), std::string::npos) << journal_step_name(steps[i]) << ": " << e;
      EXPECT_NE(e.find("Input/output error"), std::string::npos) << e;
      EXPECT_EQ(fs::exists(file), existed) << journal_step_name(steps[i]);
      if (existed) {
        EXPECT_EQ(slurp(file), before) << journal_step_name(steps[i]);
      }
      EXPECT_FALSE(fs::exists(h.real("/run/ptagent/journal.json.tmp")))
          << journal_step_name(steps[i]);
      j.update([](std::vector<Change>& c) { c.push_back(bind_change("0000:03:00.0")); });
      EXPECT_EQ(j.load().size(), first_write ? 1u : 2u);
    }
  }
}

}  // namespace
