// Evidence for docs/BENCHMARKS.md, not part of ptagent: the cost of the sysfs access pattern of a
// device scan on a simulated host, replayed without ptagent's parsing and rendering.
//
//   sysfs_scan_patterns ROOT path|dirfd|uevent
//
//   path    what Inventory::scan does today per function (from strace of `ptagent list`): every
//           attribute is opened by its full path from the host root with openat2(RESOLVE_IN_ROOT)
//           (the sys/bus/pci/devices/X symlink is walked again each time), read until EOF, and
//           each link is read after reopening the device directory.
//   dirfd   the device directory opened once; one directory listing decides which optional
//           attributes exist; the same attributes opened relative to it and read once.
//   uevent  dirfd, plus the attributes `list` needs only: `uevent` (class, vendor, device,
//           subsystem IDs and driver in one file), reset_method, the SR-IOV counts where they
//           exist, boot_vga where it exists; config space, modalias, driver_override, numa_node and
//           revision are not read.
//
// Prints the wall time of the scan loop (process start-up excluded). Build:
//   g++ -O2 -std=c++20 -o sysfs_scan_patterns tests/bench/sysfs_scan_patterns.cpp
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace {

constexpr unsigned long long kInRoot = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
constexpr unsigned long long kBeneath = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;

int open2(int dirfd, const std::string& path, int flags, unsigned long long resolve) {
  open_how how{};
  how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
  how.resolve = resolve;
  return static_cast<int>(syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how));
}

std::size_t bytes = 0;

void read_to_eof(int fd) {
  char buf[8192];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) bytes += static_cast<std::size_t>(n);
  ::close(fd);
}

void read_once(int fd) {  // sysfs returns a whole attribute (at most a page) in one read
  char buf[4096];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n > 0) bytes += static_cast<std::size_t>(n);
  ::close(fd);
}

const char* const kAttrs[] = {
    "class",    "vendor",       "device",          "subsystem_vendor", "subsystem_device",
    "config",   "revision",     "driver_override", "modalias",         "numa_node",
    "boot_vga", "reset_method", "sriov_totalvfs"};
const char* const kLinks[] = {"driver", "iommu_group", "physfn", "virtfn0"};

std::vector<std::string> entries(int dirfd) {
  std::vector<std::string> out;
  DIR* d = ::fdopendir(::dup(dirfd));
  if (!d) return out;
  while (dirent* e = ::readdir(d)) out.emplace_back(e->d_name);
  ::closedir(d);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s ROOT path|dirfd|uevent\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[2];
  if (mode != "path" && mode != "dirfd" && mode != "uevent") {
    std::fprintf(stderr, "%s: unknown pattern '%s'\n", argv[0], argv[2]);
    return 2;
  }
  int root = ::open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) {
    std::perror(argv[1]);
    return 1;
  }
  std::vector<std::string> devices;
  {
    int fd = open2(root, "sys/bus/pci/devices", O_RDONLY | O_DIRECTORY, kInRoot);
    for (auto& n : entries(fd)) {
      if (n[0] != '.') devices.push_back(n);
    }
    ::close(fd);
  }
  std::sort(devices.begin(), devices.end());
  char buf[4096];
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& a : devices) {
    const std::string p = "sys/bus/pci/devices/" + a;
    if (mode == "path") {
      int f = open2(root, p, O_PATH, kInRoot);  // resolve(): the canonical path for the parent
      const std::string proc = "/proc/self/fd/" + std::to_string(f);
      (void)!::readlink(proc.c_str(), buf, sizeof buf);
      ::close(f);
      for (const char* l : kLinks) {
        int d = open2(root, p, O_PATH | O_DIRECTORY, kInRoot);
        (void)!::readlinkat(d, l, buf, sizeof buf);
        ::close(d);
      }
      for (const char* at : kAttrs) {
        int fd = open2(root, p + "/" + at, O_RDONLY, kInRoot);
        if (fd >= 0) read_to_eof(fd);
      }
      for (const char* sub : {"pci_bus", "mdev_supported_types"}) {
        int fd = open2(root, p + "/" + sub, O_PATH | O_DIRECTORY, kInRoot);
        if (fd >= 0) ::close(fd);
      }
      continue;
    }
    int d = open2(root, p, O_RDONLY | O_DIRECTORY, kInRoot);
    (void)!::readlinkat(root, p.c_str(), buf,
                        sizeof buf);  // the parent, from the bus link's target
    const auto names = entries(d);
    auto has = [&](const char* n) {
      return std::find(names.begin(), names.end(), n) != names.end();
    };
    if (mode == "dirfd") {
      for (const char* l : kLinks) {
        if (has(l)) (void)!::readlinkat(d, l, buf, sizeof buf);
      }
      for (const char* at : kAttrs) {
        if (!has(at)) continue;
        int fd = open2(d, at, O_RDONLY, kBeneath);
        if (fd >= 0) read_once(fd);
      }
    } else {
      for (const char* l : {"iommu_group", "physfn"}) {
        if (has(l)) (void)!::readlinkat(d, l, buf, sizeof buf);
      }
      for (const char* at :
           {"uevent", "reset_method", "sriov_totalvfs", "sriov_numvfs", "boot_vga"}) {
        if (!has(at)) continue;
        int fd = open2(d, at, O_RDONLY, kBeneath);
        if (fd >= 0) read_once(fd);
      }
    }
    ::close(d);
  }
  const auto t1 = std::chrono::steady_clock::now();
  std::printf("%s: %zu functions, %.1f ms, %zu bytes read\n", mode.c_str(), devices.size(),
              std::chrono::duration<double, std::milli>(t1 - t0).count(), bytes);
  return 0;
}
