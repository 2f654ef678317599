#include "support/temp_host.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace ptagent::testing {

namespace fs = std::filesystem;

namespace {

std::string make_temp_dir() {
  // A tmpfs when there is one: copying a host tree creates thousands of files and links, which
  // is an order of magnitude slower on a disk filesystem.
  const char* tmp = std::getenv("PTAGENT_TEST_TMPDIR");
  if (!tmp || !*tmp) tmp = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/ptagent-host-XXXXXX";
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
  return pattern;
}

}  // namespace

std::string fixture_hosts_dir() {
  return std::string(PTAGENT_FIXTURES_DIR) + "/hosts";
}

Root fixture_root(const std::string& name) {
  return Root(fixture_hosts_dir() + "/" + name);
}

TempHost::TempHost(std::string dir) : dir_(std::move(dir)), root_(std::make_unique<Root>(dir_)) {}

TempHost TempHost::copy_of(const std::string& fixture) {
  const fs::path src = fs::path(fixture_hosts_dir()) / fixture;
  if (fixture.empty() || fixture.find('/') != std::string::npos || !fs::is_directory(src)) {
    throw std::runtime_error("no simulated host " + src.string() +
                             " (generate it with tests/fixtures/gen_hosts.py)");
  }
  const std::string dir = make_temp_dir();
  std::error_code ec;
  fs::copy(src, dir, fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
  if (ec) {
    fs::remove_all(dir, ec);
    throw std::runtime_error("copying " + src.string() + " to " + dir + " failed");
  }
  return TempHost(dir);
}

TempHost TempHost::empty() {
  const std::string dir = make_temp_dir();
  ::mkdir((dir + "/run").c_str(), 0755);
  return TempHost(dir);
}

TempHost::TempHost(TempHost&& other) noexcept
    : dir_(std::exchange(other.dir_, std::string())), root_(std::move(other.root_)) {}

TempHost& TempHost::operator=(TempHost&& other) noexcept {
  if (this != &other) {
    root_.reset();
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
    dir_ = std::exchange(other.dir_, std::string());
    root_ = std::move(other.root_);
  }
  return *this;
}

TempHost::~TempHost() {
  root_.reset();
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

std::string TempHost::real(std::string_view host_path) const {
  std::string out = dir_;
  if (host_path.empty() || host_path.front() != '/') out += '/';
  out += host_path;
  return out;
}

void TempHost::put(std::string_view host_path, std::string_view text) const {
  const std::string path = real(host_path);
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace ptagent::testing
