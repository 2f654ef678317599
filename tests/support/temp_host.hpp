// A private, writable copy of a simulated host (tests/fixtures/hosts/<name>) that is removed when
// the TempHost goes out of scope. Tests that change anything work on such a copy, never on the
// fixture itself and never on the real root.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "sysfs/root.hpp"

namespace ptagent::testing {

class TempHost {
 public:
  // Copies tests/fixtures/hosts/<fixture> (symlinks kept as links) into a new directory under
  // $PTAGENT_TEST_TMPDIR, else /dev/shm, else $TMPDIR or /tmp. Throws std::runtime_error if the
  // fixture does not exist.
  static TempHost copy_of(const std::string& fixture);
  // An empty host root holding only run/ (mode 0755), for code that needs no sysfs.
  static TempHost empty();

  TempHost(TempHost&& other) noexcept;
  TempHost& operator=(TempHost&& other) noexcept;
  TempHost(const TempHost&) = delete;
  TempHost& operator=(const TempHost&) = delete;
  ~TempHost();

  // The directory on the build machine ("/dev/shm/ptagent-host-XXXXXX").
  const std::string& dir() const { return dir_; }
  // A Root on the copy: host paths ("/sys/...") resolve inside it.
  const Root& root() const { return *root_; }
  // The build machine's path of a host path inside the copy.
  std::string real(std::string_view host_path) const;
  // Writes `text` to a host path inside the copy, creating its parent directories.
  void put(std::string_view host_path, std::string_view text = {}) const;

 private:
  TempHost(std::string dir);
  std::string dir_;
  std::unique_ptr<Root> root_;
};

// The brief's spelling: copy_fixture("workstation").
inline TempHost copy_fixture(const std::string& name) {
  return TempHost::copy_of(name);
}

// The directory that holds the simulated hosts (tests/fixtures/hosts).
std::string fixture_hosts_dir();

// A Root on the committed fixture itself, not a copy: only for tests that read and never write.
Root fixture_root(const std::string& name);

}  // namespace ptagent::testing
