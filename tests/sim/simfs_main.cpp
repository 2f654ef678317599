// ptagent-simfs: serves a simulated host's sysfs (SRC/sys of a host tree such as
// tests/fixtures/hosts/workstation) through FUSE with the kernel's semantics (sim_kernel.hpp).
//
//   ptagent-simfs [options] SRC MOUNTPOINT
//     --workdir DIR   copy SRC into DIR (new or empty) and serve the copy (kept at exit)
//     --in-place      serve SRC itself (changes it)
//                     default: a copy under $TMPDIR or /dev/shm, removed at exit
//     --log FILE      append the event log (writes, resets, uevents) to FILE
//     --wedge ADDR    ADDR reads vendor 0xffff after its next reset (repeatable)
//     --uevents       announce device changes on the udev netlink group (private netns only)
//     -f              stay in the foreground; -d: FUSE debug; -o OPT: more FUSE mount options
//
// The server is single-threaded: requests are handled in order, so a run is deterministic.
// Every attribute is uncached (direct I/O, zero timeouts), so readers see changes at once.
#define FUSE_USE_VERSION 31
#include <dirent.h>
#include <fcntl.h>
#include <fuse.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "sim/sim_kernel.hpp"

namespace {

namespace fs = std::filesystem;
using ptagent::sim::SimKernel;

SimKernel* g_kernel = nullptr;
std::string g_sys;  // real path of the served directory (BASE/sys)
const char* const kControl = "/.ptagent-sim";

std::string real_of(const char* path) {
  return g_sys + (std::strcmp(path, "/") == 0 ? "" : path);
}
std::string host_of(const char* path) {
  return std::string("/sys") + (std::strcmp(path, "/") == 0 ? "" : path);
}

std::string base_name(const char* path) {
  const char* slash = std::strrchr(path, '/');
  return slash ? slash + 1 : path;
}

bool hidden(const char* path) {
  // sysfs has no dotfiles; the fixtures keep .keep files in empty directories.
  for (const char* p = path; *p; ++p) {
    if (*p == '/' && p[1] == '.') return true;
  }
  return false;
}

// Attributes sysfs creates without a show() (write-only, mode 0200) or without a store() (0444).
const std::set<std::string> kWriteOnly = {"bind",      "unbind",        "new_id",
                                          "remove_id", "drivers_probe", "rescan",
                                          "remove",    "reset",         "create"};
const std::set<std::string> kReadOnly = {"vendor",
                                         "device",
                                         "subsystem_vendor",
                                         "subsystem_device",
                                         "class",
                                         "revision",
                                         "modalias",
                                         "irq",
                                         "resource",
                                         "local_cpus",
                                         "local_cpulist",
                                         "boot_vga",
                                         "available_instances",
                                         "name",
                                         "description",
                                         "device_api",
                                         "sriov_totalvfs",
                                         "sriov_offset",
                                         "sriov_stride",
                                         "sriov_vf_device",
                                         "current_link_speed",
                                         "current_link_width",
                                         "max_link_speed",
                                         "max_link_width",
                                         "ari_enabled",
                                         "consistent_dma_mask_bits",
                                         "dma_mask_bits",
                                         "power_state",
                                         "reserved_regions",
                                         "dev",
                                         "label",
                                         "index",
                                         "mdev_type",
                                         "cpuaffinity",
                                         "cpulistaffinity"};

enum class Access { kRW, kRO, kWO };

// The kernel shows a PCI function's `reset` attribute iff it has a reset method; the fixtures
// do not carry the file, so it is served from reset_method.
bool virtual_reset(const char* path) {
  const std::string p = path;
  if (p.size() < 6 || p.compare(p.size() - 6, 6, "/reset") != 0) return false;
  const std::string dir = real_of(path).substr(0, real_of(path).size() - 6);
  struct stat st {};
  if (::lstat((dir + "/reset").c_str(), &st) == 0) return false;  // a real file
  int fd = ::open((dir + "/reset_method").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[8];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  return n > 0 && buf[0] != '\n';
}

Access access_of(const char* path) {
  const std::string n = base_name(path);
  if (kWriteOnly.count(n)) return Access::kWO;
  if (kReadOnly.count(n) || n.rfind("resource", 0) == 0) return Access::kRO;
  return Access::kRW;
}

int sim_getattr(const char* path, struct stat* st, fuse_file_info*) {
  if (std::strcmp(path, kControl) == 0) {
    std::memset(st, 0, sizeof *st);
    st->st_mode = S_IFREG | 0600;
    st->st_nlink = 1;
    st->st_size = 4096;
    return 0;
  }
  if (hidden(path)) return -ENOENT;
  if (virtual_reset(path)) {
    std::memset(st, 0, sizeof *st);
    st->st_mode = S_IFREG | 0200;
    st->st_nlink = 1;
    st->st_size = 4096;
    return 0;
  }
  if (::lstat(real_of(path).c_str(), st) != 0) return -errno;
  st->st_uid = 0;
  st->st_gid = 0;
  if (S_ISDIR(st->st_mode)) {
    st->st_mode = S_IFDIR | 0755;
  } else if (S_ISLNK(st->st_mode)) {
    st->st_mode = S_IFLNK | 0777;
  } else {
    switch (access_of(path)) {
      case Access::kWO:
        st->st_mode = S_IFREG | 0200;
        break;
      case Access::kRO:
        st->st_mode = S_IFREG | 0444;
        break;
      case Access::kRW:
        st->st_mode = S_IFREG | 0644;
        break;
    }
    // Text attributes are a page; binary ones (config) their real size.
    if (base_name(path) != "config") st->st_size = 4096;
  }
  return 0;
}

int sim_readlink(const char* path, char* buf, size_t size) {
  if (hidden(path)) return -ENOENT;
  ssize_t n = ::readlink(real_of(path).c_str(), buf, size - 1);
  if (n < 0) return -errno;
  buf[n] = '\0';
  return 0;
}

int sim_readdir(const char* path, void* buf, fuse_fill_dir_t fill, off_t, fuse_file_info*,
                fuse_readdir_flags) {
  if (hidden(path)) return -ENOENT;
  DIR* d = ::opendir(real_of(path).c_str());
  if (!d) return -errno;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    names.emplace_back(e->d_name);
  }
  ::closedir(d);
  const std::string p = std::strcmp(path, "/") == 0 ? "" : path;
  if (std::find(names.begin(), names.end(), "reset_method") != names.end() &&
      std::find(names.begin(), names.end(), "reset") == names.end() &&
      virtual_reset((p + "/reset").c_str()))
    names.emplace_back("reset");
  std::sort(names.begin(), names.end());  // deterministic order
  fill(buf, ".", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  fill(buf, "..", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  for (const auto& n : names) fill(buf, n.c_str(), nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  return 0;
}

int sim_open(const char* path, fuse_file_info* fi) {
  fi->direct_io = 1;
  fi->keep_cache = 0;
  if (std::strcmp(path, kControl) == 0) return 0;
  if (hidden(path)) return -ENOENT;
  struct stat st {};
  if (virtual_reset(path)) {
    st.st_mode = S_IFREG;
  } else if (::lstat(real_of(path).c_str(), &st) != 0) {
    return -errno;
  }
  if (S_ISDIR(st.st_mode)) return -EISDIR;
  const int acc = fi->flags & O_ACCMODE;
  const bool rd = acc == O_RDONLY || acc == O_RDWR;
  const bool wr = acc == O_WRONLY || acc == O_RDWR;
  const Access a = access_of(path);
  if ((rd && a == Access::kWO) || (wr && a == Access::kRO)) return -EACCES;
  return 0;
}

int sim_read(const char* path, char* buf, size_t size, off_t off, fuse_file_info*) {
  if (std::strcmp(path, kControl) == 0) {
    const std::string text = g_kernel->control_text();
    if (off < 0 || static_cast<size_t>(off) >= text.size()) return 0;
    const size_t n = std::min(size, text.size() - static_cast<size_t>(off));
    std::memcpy(buf, text.data() + off, n);
    return static_cast<int>(n);
  }
  int fd = ::open(real_of(path).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -errno;
  ssize_t n = ::pread(fd, buf, size, off);
  int err = errno;
  ::close(fd);
  return n < 0 ? -err : static_cast<int>(n);
}

int sim_write(const char* path, const char* buf, size_t size, off_t off, fuse_file_info*) {
  if (std::strcmp(path, kControl) == 0) {
    int rc = g_kernel->control(std::string_view(buf, size));
    return rc == 0 ? static_cast<int>(size) : -rc;
  }
  long n = g_kernel->write(host_of(path), std::string_view(buf, size), static_cast<long>(off));
  return static_cast<int>(n);
}

// O_TRUNC and chmod/chown/utimens on sysfs attributes change nothing that matters.
int sim_truncate(const char* path, off_t, fuse_file_info*) {
  if (std::strcmp(path, kControl) == 0 || virtual_reset(path)) return 0;
  if (hidden(path)) return -ENOENT;
  return ::access(real_of(path).c_str(), F_OK) == 0 ? 0 : -errno;
}
int sim_chmod(const char* path, mode_t, fuse_file_info* fi) {
  return sim_truncate(path, 0, fi);
}
int sim_chown(const char* path, uid_t, gid_t, fuse_file_info* fi) {
  return sim_truncate(path, 0, fi);
}
int sim_utimens(const char* path, const timespec*, fuse_file_info* fi) {
  return sim_truncate(path, 0, fi);
}

// sysfs never creates, removes or renames entries on request.
int sim_create(const char*, mode_t, fuse_file_info*) {
  return -EACCES;
}
int sim_mknod(const char*, mode_t, dev_t) {
  return -EACCES;
}
int sim_mkdir(const char*, mode_t) {
  return -EPERM;
}
int sim_unlink(const char*) {
  return -EPERM;
}
int sim_rmdir(const char*) {
  return -EPERM;
}
int sim_symlink(const char*, const char*) {
  return -EPERM;
}
int sim_rename(const char*, const char*, unsigned int) {
  return -EPERM;
}
int sim_link(const char*, const char*) {
  return -EPERM;
}

int sim_statfs(const char*, struct statvfs* st) {
  std::memset(st, 0, sizeof *st);
  st->f_bsize = 4096;
  st->f_namemax = 255;
  return 0;
}

void* sim_init(fuse_conn_info*, fuse_config* cfg) {
  cfg->entry_timeout = 0;
  cfg->attr_timeout = 0;
  cfg->negative_timeout = 0;
  cfg->direct_io = 1;
  cfg->kernel_cache = 0;
  cfg->use_ino = 0;
  return nullptr;
}

int usage(int code) {
  std::cerr << "usage: ptagent-simfs [--workdir DIR | --in-place] [--log FILE] [--wedge ADDR]... "
               "[--uevents] [-f] [-d] [-o OPT] SRC MOUNTPOINT\n";
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  std::string workdir, log_file;
  std::vector<std::string> wedges, fuse_opts;
  bool in_place = false, foreground = false, debug = false, uevents = false;
  std::vector<std::string> pos;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::exit(usage(2));
      }
      return argv[++i];
    };
    if (a == "--workdir")
      workdir = next();
    else if (a == "--in-place")
      in_place = true;
    else if (a == "--log")
      log_file = next();
    else if (a == "--wedge")
      wedges.push_back(next());
    else if (a == "--uevents")
      uevents = true;
    else if (a == "-f")
      foreground = true;
    else if (a == "-d")
      debug = true;
    else if (a == "-o")
      fuse_opts.push_back(next());
    else if (a == "-h" || a == "--help")
      return usage(0);
    else if (!a.empty() && a[0] == '-')
      return usage(2);
    else
      pos.push_back(a);
  }
  if (pos.size() != 2) return usage(2);
  std::error_code ec;
  const std::string src = fs::absolute(pos[0]).lexically_normal().string();
  if (!fs::is_directory(src + "/sys")) {
    std::cerr << "ptagent-simfs: " << src << " has no sys/ directory\n";
    return 2;
  }
  std::string base;
  bool remove_base = false;
  try {
    if (in_place) {
      base = src;
    } else {
      if (workdir.empty()) {
        const char* tmp = std::getenv("TMPDIR");
        std::string templ =
            std::string(tmp && *tmp ? tmp : (fs::is_directory("/dev/shm") ? "/dev/shm" : "/tmp")) +
            "/ptagent-simfs.XXXXXX";
        if (!::mkdtemp(templ.data())) {
          std::perror("ptagent-simfs: mkdtemp");
          return 1;
        }
        workdir = templ;
        remove_base = true;
      } else {
        fs::create_directories(workdir);
        if (!fs::is_empty(workdir)) {
          std::cerr << "ptagent-simfs: --workdir " << workdir << " is not empty\n";
          return 2;
        }
      }
      base = fs::absolute(workdir).lexically_normal().string();
      fs::copy(src, base, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    }
  } catch (const std::exception& e) {
    std::cerr << "ptagent-simfs: " << e.what() << "\n";
    return 1;
  }
  g_sys = base + "/sys";

  int rc = 1;
  try {
    SimKernel kernel(base);
    g_kernel = &kernel;
    if (!log_file.empty()) kernel.set_log_file(log_file);
    for (const auto& w : wedges) kernel.wedge(w);
    if (uevents && !kernel.enable_uevents()) {
      std::cerr << "ptagent-simfs: --uevents needs a private network namespace (unshare -n); "
                   "uevents stay off\n";
    }

    fuse_operations ops{};
    ops.getattr = sim_getattr;
    ops.readlink = sim_readlink;
    ops.readdir = sim_readdir;
    ops.open = sim_open;
    ops.read = sim_read;
    ops.write = sim_write;
    ops.truncate = sim_truncate;
    ops.chmod = sim_chmod;
    ops.chown = sim_chown;
    ops.utimens = sim_utimens;
    ops.create = sim_create;
    ops.mknod = sim_mknod;
    ops.mkdir = sim_mkdir;
    ops.unlink = sim_unlink;
    ops.rmdir = sim_rmdir;
    ops.symlink = sim_symlink;
    ops.rename = sim_rename;
    ops.link = sim_link;
    ops.statfs = sim_statfs;
    ops.init = sim_init;

    std::string opts = "fsname=ptagent-simfs,subtype=ptagent-simfs";
    if (::geteuid() == 0) opts += ",allow_other";
    for (const auto& o : fuse_opts) opts += "," + o;
    std::vector<std::string> args = {"ptagent-simfs", pos[1], "-s", "-o", opts};
    if (foreground) args.emplace_back("-f");
    if (debug) args.emplace_back("-d");
    std::vector<char*> cargs;
    for (auto& a : args) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    rc = fuse_main(static_cast<int>(args.size()), cargs.data(), &ops, nullptr);
    g_kernel = nullptr;
  } catch (const std::exception& e) {
    std::cerr << "ptagent-simfs: " << e.what() << "\n";
    rc = 1;
  }
  if (remove_base && base.rfind("/", 0) == 0 && base.find("ptagent-simfs.") != std::string::npos) {
    fs::remove_all(base, ec);
  }
  return rc;
}
