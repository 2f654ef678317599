#include "ops/journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "error.hpp"
#include "sysfs/root.hpp"

namespace ptagent {

namespace {

using nlohmann::json;

constexpr const char* kFileName = "journal.json";
constexpr const char* kTempName = "journal.json.tmp";
constexpr const char* kLockName = ".lock";
constexpr long long kVersion = 1;
constexpr std::size_t kMaxJournalBytes = 16u << 20;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string utc_now(const char* format) {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

std::string mode_text(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

std::string parent_of(const std::string& dir) {
  auto slash = dir.rfind('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return dir.substr(0, slash);
}

std::string name_of(const std::string& dir) {
  auto slash = dir.rfind('/');
  return slash == std::string::npos ? dir : dir.substr(slash + 1);
}

[[noreturn]] void fail_io(const std::string& object, const std::string& what, int err,
                          const std::string& hint = {}) {
  throw_failed(object, what + ": " + std::strerror(err), hint, err);
}

// Creates `dir` and missing parents (0755) inside the root; the journal directory itself is 0700.
void make_dirs(const Root& root, const std::string& dir, const std::string& journal_dir) {
  if (dir == "/" || root.is_dir(dir)) return;
  const std::string parent = parent_of(dir);
  make_dirs(root, parent, journal_dir);
  Fd pfd(root.open_in_root(parent, O_RDONLY | O_DIRECTORY));
  if (pfd.get() < 0) fail_io(root.host_path(parent), "cannot open directory", -pfd.get());
  const bool last = dir == journal_dir;
  if (::mkdirat(pfd.get(), name_of(dir).c_str(), last ? 0700 : 0755) != 0) {
    if (errno == EEXIST) return;  // raced with another process, or not a directory: checked next
    fail_io(root.host_path(dir), "cannot create the journal directory", errno,
            "check that " + root.host_path(parent) + " is writable (ptagent runs as root)");
  }
  if (last) {
    // A restrictive umask must not leave the directory unusable; a lax one cannot widen 0700.
    Fd dfd(root.open_in_root(dir, O_RDONLY | O_DIRECTORY));
    if (dfd.get() >= 0) ::fchmod(dfd.get(), 0700);
  }
}

// Opens the journal directory and checks that nobody but us could have planted files in it.
int open_safe_dir(const Root& root, const std::string& dir) {
  const std::string shown = root.host_path(dir);
  const std::string hint =
      "check who created it, then remove it (ptagent recreates it) or fix it with "
      "'chown root:root " +
      shown + " && chmod 0700 " + shown + "'";
  int fd = root.open_in_root(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) {
    const int err = -fd;
    // O_DIRECTORY|O_NOFOLLOW on a symlink gives ELOOP or ENOTDIR, depending on the target.
    if ((err == ELOOP || err == ENOTDIR) && root.is_symlink(dir)) {
      throw_failed(shown, "the journal directory is a symbolic link; refusing to use it", hint,
                   err);
    }
    if (err == ENOTDIR) {
      throw_failed(shown, "the journal path is not a directory; refusing to use it", hint, err);
    }
    fail_io(shown, "cannot open the journal directory", err);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    fail_io(shown, "cannot stat the journal directory", err);
  }
  if (st.st_uid != ::geteuid() || (st.st_mode & 07777) != 0700) {
    ::close(fd);
    throw_failed(shown,
                 "the journal directory is not safe to use: owner uid " +
                     std::to_string(st.st_uid) + ", mode " + mode_text(st.st_mode) +
                     " (it must be owned by uid " + std::to_string(::geteuid()) +
                     " with mode 0700)",
                 hint);
  }
  return fd;
}

// Takes the lock file's flock; the lock is released when the returned fd is closed.
int take_lock(const Root& root, const std::string& dir, int operation) {
  const std::string path = dir + "/" + kLockName;
  int fd = root.open_in_root(path, O_RDWR | O_CREAT, 0600);
  if (fd < 0) fail_io(root.host_path(path), "cannot open the journal lock", -fd);
  while (::flock(fd, operation) != 0) {
    if (errno == EINTR) continue;
    const int err = errno;
    ::close(fd);
    fail_io(root.host_path(path), "cannot lock the journal", err);
  }
  return fd;
}

struct RawJournal {
  bool exists = false;
  std::string text;
};

RawJournal read_raw(const Root& root, const std::string& path) {
  RawJournal raw;
  Fd fd(root.open_in_root(path, O_RDONLY));
  if (fd.get() < 0) {
    if (-fd.get() == ENOENT) return raw;
    if (-fd.get() == ELOOP) {
      throw_failed(root.host_path(path), "the journal file is a symbolic link; refusing to read it",
                   "remove it after checking who created it", ELOOP);
    }
    fail_io(root.host_path(path), "cannot open the journal", -fd.get());
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail_io(root.host_path(path), "cannot stat the journal", errno);
  if (!S_ISREG(st.st_mode)) {
    throw_failed(root.host_path(path), "the journal is not a regular file; refusing to read it",
                 "remove it after checking who created it");
  }
  raw.exists = true;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_io(root.host_path(path), "cannot read the journal", errno);
    if (n == 0) break;
    raw.text.append(buf, static_cast<std::size_t>(n));
    if (raw.text.size() > kMaxJournalBytes) break;  // parse() reports it as corrupt
  }
  return raw;
}

// ---- JSON <-> Change ------------------------------------------------------------------------

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

bool uuid_text(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-'
             : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
      return false;
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
  if (!c.mdev_uuid.empty() && !uuid_text(c.mdev_uuid)) {
    throw BadEntry{"entry " + c.id + " has the bad mdev_uuid \"" + c.mdev_uuid.substr(0, 64) +
                   "\""};
  }
  return c;
}

struct Parsed {
  std::vector<Change> changes;
  std::string problem;         // non-empty: the file cannot be used
  bool other_version = false;  // a format this ptagent does not write: not corrupt, not ours
};

Parsed parse(const std::string& text) {
  Parsed p;
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
  if (j["version"].get<long long>() != kVersion) {
    p.other_version = true;
    p.problem = "journal format version " + std::to_string(j["version"].get<long long>()) +
                " is not the one this ptagent reads (" + std::to_string(kVersion) + ")";
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

std::string serialize(const std::vector<Change>& changes) {
  json j;
  j["version"] = kVersion;
  j["changes"] = json::array();
  for (const auto& c : changes) j["changes"].push_back(to_json(c));
  return j.dump(2) + "\n";
}

// 0 or the errno of the failed write(2).
int write_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    off += static_cast<std::size_t>(n);
  }
  return 0;
}

// Puts the journal as it was before a failed update: the previous text through a temporary file
// and a rename, or no file when there was none. True when that worked.
bool put_back(int dirfd, const RawJournal& previous) {
  if (!previous.exists) return ::unlinkat(dirfd, kFileName, 0) == 0 || errno == ENOENT;
  ::unlinkat(dirfd, kTempName, 0);
  Fd out(::openat(dirfd, kTempName, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (out.get() < 0) return false;
  if (write_all(out.get(), previous.text) != 0 || ::fsync(out.get()) != 0 ||
      ::renameat(dirfd, kTempName, dirfd, kFileName) != 0) {
    ::unlinkat(dirfd, kTempName, 0);
    return false;
  }
  ::fsync(dirfd);
  return true;
}

// ---- the fault-injection seam ----------------------------------------------------------------

std::mutex& fault_mutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, JournalFault>& faults() {
  static std::map<std::string, JournalFault> m;
  return m;
}
std::atomic<bool> any_fault{false};

int injected_fault(const Root& root, JournalStep step) {
  if (!any_fault.load(std::memory_order_acquire)) return 0;
  JournalFault fault;
  {
    std::lock_guard<std::mutex> lock(fault_mutex());
    auto it = faults().find(root.base());
    if (it == faults().end()) return 0;
    fault = it->second;
  }
  return fault(step);
}

// Moves a corrupt journal aside under a name that is not taken; returns its host path.
std::string move_aside(const Root& root, const std::string& dir, int dirfd) {
  const std::string base = std::string(kFileName) + ".corrupt-" + utc_now("%Y%m%dT%H%M%SZ");
  std::string name = base;
  for (int n = 1;; ++n) {
    struct stat st {};
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT) break;
    name = base + "-" + std::to_string(n);
  }
  if (::renameat(dirfd, kFileName, dirfd, name.c_str()) != 0) {
    fail_io(root.host_path(dir + "/" + kFileName),
            "the journal is corrupt and could not be moved aside", errno,
            "move it away by hand after saving what it lists");
  }
  ::fsync(dirfd);
  return root.host_path(dir + "/" + name);
}

}  // namespace

std::string journal_step_name(JournalStep step) {
  switch (step) {
    case JournalStep::create_temp:
      return "create";
    case JournalStep::write_temp:
      return "write";
    case JournalStep::fsync_temp:
      return "fsync";
    case JournalStep::rename:
      return "rename";
    case JournalStep::fsync_dir:
      return "directory fsync";
  }
  return "?";
}

void set_journal_fault(const std::string& root_base, JournalFault fault) {
  std::lock_guard<std::mutex> lock(fault_mutex());
  if (fault) {
    faults()[root_base] = std::move(fault);
  } else {
    faults().erase(root_base);
  }
  any_fault.store(!faults().empty(), std::memory_order_release);
}

std::string change_kind_name(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::bind:
      return "bind";
    case ChangeKind::mdev:
      return "mdev";
    case ChangeKind::sriov:
      return "sriov";
  }
  return "?";
}

Journal::Journal(const Root& root, std::string dir) : root_(root), dir_(std::move(dir)) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
  if (dir_.empty() || dir_.front() != '/' || dir_ == "/") {
    throw_usage("journal directory \"" + dir_ + "\"", "must be an absolute path below /",
                "use the default, /run/ptagent");
  }
}

std::vector<Change> Journal::load() const {
  if (!root_.exists(dir_) && !root_.is_symlink(dir_)) return {};
  Fd dirfd(open_safe_dir(root_, dir_));
  Fd lock(take_lock(root_, dir_, LOCK_SH));
  const std::string path = dir_ + "/" + kFileName;
  RawJournal raw = read_raw(root_, path);
  if (!raw.exists) return {};
  Parsed p = parse(raw.text);
  if (p.other_version)
    throw_failed(root_.host_path(path), p.problem, "use the ptagent that wrote it");
  if (!p.problem.empty()) {
    // Reading changes nothing: the next update() moves the file aside.
    throw_failed(
        root_.host_path(path), "the journal is corrupt: " + p.problem,
        std::string("it is kept as it is; the next change ptagent makes (or 'ptagent restore "
                    "--all') moves it aside to ") +
            kFileName + ".corrupt-<time>; undo what it lists by hand");
  }
  return std::move(p.changes);
}

void Journal::update(const std::function<void(std::vector<Change>&)>& fn) {
  make_dirs(root_, dir_, dir_);
  Fd dirfd(open_safe_dir(root_, dir_));
  Fd lock(take_lock(root_, dir_, LOCK_EX));
  const std::string path = dir_ + "/" + kFileName;
  const std::string shown = root_.host_path(path);

  std::vector<Change> changes;
  RawJournal raw = read_raw(root_, path);
  if (raw.exists) {
    Parsed p = parse(raw.text);
    if (p.other_version) throw_failed(shown, p.problem, "use the ptagent that wrote it");
    if (!p.problem.empty()) {
      const std::string aside = move_aside(root_, dir_, dirfd.get());
      throw_failed(shown,
                   "the journal was corrupt (" + p.problem + "); it has been moved aside to " +
                       aside + " and nothing was changed",
                   "undo by hand what " + aside +
                       " lists, if anything; then run the command again (it starts a new journal)");
    }
    changes = std::move(p.changes);
  }

  fn(changes);

  std::set<std::string> ids;
  const std::string now = utc_now("%Y-%m-%dT%H:%M:%SZ");
  for (auto& c : changes) {
    if (c.id.empty()) throw_failed(shown, "refusing to record a change without an id");
    if (!ids.insert(c.id).second)
      throw_failed(shown, "refusing to record the id " + c.id + " twice");
    if (c.time.empty()) c.time = now;
  }
  const std::string text = serialize(changes);

  const std::string tmp = dir_ + "/" + kTempName;
  const std::string tmp_shown = root_.host_path(tmp);
  if (::unlinkat(dirfd.get(), kTempName, 0) != 0 && errno != ENOENT) {
    fail_io(tmp_shown, "cannot remove a stale temporary journal", errno);
  }
  // A failure before the rename leaves the journal as it was; the temporary file goes too.
  auto fail_temp = [&](const std::string& what, int err) {
    ::unlinkat(dirfd.get(), kTempName, 0);
    fail_io(tmp_shown, what, err);
  };
  {
    int err = injected_fault(root_, JournalStep::create_temp);
    Fd out(err ? -err : root_.open_in_root(tmp, O_CREAT | O_EXCL | O_TRUNC | O_WRONLY, 0600));
    if (out.get() < 0) fail_temp("cannot create the temporary journal", -out.get());
    if ((err = injected_fault(root_, JournalStep::write_temp)) != 0 ||
        (err = write_all(out.get(), text)) != 0) {
      fail_temp("cannot write the journal", err);
    }
    if ((err = injected_fault(root_, JournalStep::fsync_temp)) != 0 ||
        (::fsync(out.get()) != 0 && (err = errno) != 0)) {
      fail_temp("cannot fsync the journal", err);
    }
  }
  if (int err = injected_fault(root_, JournalStep::rename);
      err != 0 ||
      (::renameat(dirfd.get(), kTempName, dirfd.get(), kFileName) != 0 && (err = errno) != 0)) {
    ::unlinkat(dirfd.get(), kTempName, 0);
    fail_io(shown, "cannot replace the journal", err);
  }
  if (int err = injected_fault(root_, JournalStep::fsync_dir);
      err != 0 || (::fsync(dirfd.get()) != 0 && (err = errno) != 0)) {
    // The new file is in place but not known to be durable: put the previous one back, so that a
    // failed update() never leaves its change behind (the caller acts on the failure).
    const bool back = put_back(dirfd.get(), raw);
    fail_io(root_.host_path(dir_), "cannot fsync the journal directory", err,
            back ? std::string()
                 : "the new journal stayed in place although the change was reported as failed; "
                   "see what it holds with 'ptagent --dry-run restore --all'");
  }
}

}  // namespace ptagent
