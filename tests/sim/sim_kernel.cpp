#include "sim/sim_kernel.hpp"

#include <endian.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <utility>

#include "pci/address.hpp"
#include "pci/config_space.hpp"
#include "support/kernel_double.hpp"
#include "support/kernel_text.hpp"
#include "sysfs/root.hpp"

namespace ptagent::sim {

using testing::basename_of;
using testing::dirname_of;
using testing::parse_kernel_uint;
using testing::strip_newline;

namespace fs = std::filesystem;

namespace {

const std::string kPciDevices = "/sys/bus/pci/devices/";
const std::string kPciDrivers = "/sys/bus/pci/drivers/";
const std::string kGroups = "/sys/kernel/iommu_groups/";
const std::string kMdevDevices = "/sys/bus/mdev/devices/";

bool is_pci_name(const std::string& name) {
  return name.size() == 12 && try_parse_pci_address(name).has_value();
}

bool is_pci_device_dir(const std::string& canonical) {
  return canonical.rfind("/sys/devices/", 0) == 0 && is_pci_name(basename_of(canonical));
}

bool under(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

const char* errno_name(int e) {
  switch (e) {
    case 0:
      return "0";
    case EPERM:
      return "EPERM";
    case ENOENT:
      return "ENOENT";
    case EIO:
      return "EIO";
    case ENODEV:
      return "ENODEV";
    case EBUSY:
      return "EBUSY";
    case EEXIST:
      return "EEXIST";
    case EINVAL:
      return "EINVAL";
    case ENOTTY:
      return "ENOTTY";
    case ERANGE:
      return "ERANGE";
    case EACCES:
      return "EACCES";
    case EISDIR:
      return "EISDIR";
    case ELOOP:
      return "ELOOP";
    case ENOMEM:
      return "ENOMEM";
    case EUSERS:
      return "EUSERS";
    case ENOSPC:
      return "ENOSPC";
    default:
      return "E?";
  }
}

std::string printable(std::string_view v) {
  std::string out;
  for (char c : v.substr(0, 80)) {
    if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

// systemd's string_hash32 (MurmurHash2, seed 0), used by libudev's subsystem filter.
std::uint32_t murmur2(std::string_view s) {
  const std::uint32_t m = 0x5bd1e995;
  std::uint32_t h = static_cast<std::uint32_t>(s.size());
  const auto* data = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t len = s.size();
  while (len >= 4) {
    std::uint32_t k;
    std::memcpy(&k, data, 4);
    k *= m;
    k ^= k >> 24;
    k *= m;
    h *= m;
    h ^= k;
    data += 4;
    len -= 4;
  }
  switch (len) {
    case 3:
      h ^= static_cast<std::uint32_t>(data[2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<std::uint32_t>(data[1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= data[0];
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return h;
}

// Capability offsets in a config space image (0 if absent).
unsigned find_cap(const std::string& cfg, unsigned id) {
  if (cfg.size() < 0x40 || !(static_cast<unsigned char>(cfg[0x06]) & 0x10)) return 0;
  unsigned ptr = static_cast<unsigned char>(cfg[0x34]) & 0xfc;
  for (int guard = 0; guard < 48 && ptr >= 0x40 && ptr + 1 < cfg.size(); ++guard) {
    if (static_cast<unsigned char>(cfg[ptr]) == id) return ptr;
    ptr = static_cast<unsigned char>(cfg[ptr + 1]) & 0xfc;
  }
  return 0;
}

std::uint32_t get32(const std::string& cfg, unsigned off) {
  std::uint32_t v = 0;
  for (unsigned i = 0; i < 4 && off + i < cfg.size(); ++i)
    v |= static_cast<std::uint32_t>(static_cast<unsigned char>(cfg[off + i])) << (8 * i);
  return v;
}

}  // namespace

struct SimKernel::Removed {
  std::string address;
  std::string orig;   // canonical host path of the function's directory
  std::string stash;  // real path where it waits for a rescan
  std::string group;  // IOMMU group id ("" if none)
  std::string group_type;
  std::string iommu;   // canonical host path of its IOMMU unit ("" if none)
  std::string driver;  // the driver it had
  std::vector<std::pair<std::string, std::string>> links;  // class links: link -> target
};

SimKernel::SimKernel(std::string base)
    : base_(std::move(base)),
      root_(std::make_unique<Root>(base_)),
      kd_(std::make_unique<testing::KernelDouble>(*root_)) {}

SimKernel::~SimKernel() {
  if (uevent_fd_ >= 0) ::close(uevent_fd_);
}

std::string SimKernel::real(const std::string& host_path) const {
  return root_->host_path(host_path);
}

void SimKernel::set_log_file(std::string path) {
  log_file_ = std::move(path);
}

void SimKernel::log(const std::string& line) {
  log_.push_back(line);
  if (log_.size() > 20000) log_.erase(log_.begin(), log_.begin() + 10000);
  if (!log_file_.empty()) {
    std::ofstream out(log_file_, std::ios::app);
    out << line << "\n";
  }
}

std::string SimKernel::control_text() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  for (const auto& l : log_) out += l + "\n";
  return out;
}

void SimKernel::wedge(const std::string& address) {
  wedge_.insert(address);
  kd_->wedge_on_reset(address);
}

int SimKernel::control(std::string_view command) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string c = strip_newline(command);
  auto sp = c.find(' ');
  const std::string verb = c.substr(0, sp);
  const std::string arg = sp == std::string::npos ? "" : c.substr(sp + 1);
  if (arg.empty()) return EINVAL;
  if (verb == "wedge") {
    wedge(arg);
  } else if (verb == "in-use") {
    kd_->mark_in_use(arg, true);
  } else if (verb == "not-in-use") {
    kd_->mark_in_use(arg, false);
  } else if (verb == "viable-check") {
    if (arg != "on" && arg != "off") return EINVAL;
    kd_->set_vfio_requires_viable_group(arg == "on");
  } else {
    return EINVAL;
  }
  log("control " + c);
  return 0;
}

// ---- uevents -----------------------------------------------------------------------------------

bool SimKernel::enable_uevents() {
  char self[64] = {}, init[64] = {};
  if (::readlink("/proc/self/ns/net", self, sizeof self - 1) <= 0) return false;
  // simns.sh names the host's namespace (in its PID namespace /proc/1 is its own shell); else
  // /proc/1 is the host's init.
  if (const char* host = std::getenv("PTAGENT_SIMFS_HOST_NETNS"); host && *host) {
    if (std::string(self) == host) return false;
  } else {
    if (::readlink("/proc/1/ns/net", init, sizeof init - 1) <= 0) return false;
    if (std::string(self) == std::string(init)) return false;  // the host's listeners: never
  }
  uevent_fd_ = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
  if (uevent_fd_ < 0) return false;
  sockaddr_nl me{};
  me.nl_family = AF_NETLINK;
  if (::bind(uevent_fd_, reinterpret_cast<sockaddr*>(&me), sizeof me) != 0) {
    ::close(uevent_fd_);
    uevent_fd_ = -1;
    return false;
  }
  return true;
}

namespace {
std::string device_props(const Root& root, const std::string& dir, const std::string& subsystem) {
  std::string props = "DEVPATH=" + dir.substr(4) + '\0' + "SUBSYSTEM=" + subsystem + '\0';
  if (auto u = root.read(dir + "/uevent")) {
    std::size_t start = 0;
    while (start < u->size()) {
      auto nl = u->find('\n', start);
      if (nl == std::string::npos) nl = u->size();
      std::string line = u->substr(start, nl - start);
      if (!line.empty() && line.find('=') != std::string::npos) props += line + '\0';
      start = nl + 1;
    }
  }
  if (subsystem == "mdev") {
    if (auto d = root.link_name(dir + "/driver")) props += "DRIVER=" + *d + '\0';
  }
  return props;
}
}  // namespace

void SimKernel::announce(const std::string& action, const std::string& props_in,
                         const std::string& subsystem) {
  log("uevent " + action + " " + printable(props_in.substr(8, props_in.find('\0') - 8)));
  if (uevent_fd_ < 0) return;
  const std::string props =
      "ACTION=" + action + '\0' + props_in + "SEQNUM=" + std::to_string(++seqnum_) + '\0';
  struct Header {
    char prefix[8];
    std::uint32_t magic, header_size, properties_off, properties_len;
    std::uint32_t filter_subsystem_hash, filter_devtype_hash, filter_tag_bloom_hi,
        filter_tag_bloom_lo;
  } h{};
  std::memcpy(h.prefix, "libudev", 8);
  h.magic = htobe32(0xfeedcafe);
  h.header_size = sizeof h;
  h.properties_off = sizeof h;
  h.properties_len = static_cast<std::uint32_t>(props.size());
  h.filter_subsystem_hash = htobe32(murmur2(subsystem));
  std::string msg(reinterpret_cast<const char*>(&h), sizeof h);
  msg += props;
  sockaddr_nl dst{};
  dst.nl_family = AF_NETLINK;
  dst.nl_groups = 2;  // udev's group: what libudev monitors created with "udev" listen to
  (void)::sendto(uevent_fd_, msg.data(), msg.size(), MSG_DONTWAIT,
                 reinterpret_cast<sockaddr*>(&dst), sizeof dst);
}

// ---- dispatch ----------------------------------------------------------------------------------

long SimKernel::write(const std::string& host_path, std::string_view data, long offset) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string name = basename_of(host_path);
  auto dir = root_->resolve(dirname_of(host_path));
  const std::string canon_dir = dir.value_or("");
  int rc = 0;
  bool handled = true;
  const std::string value(data);

  if (dir && name == "config" && is_pci_device_dir(*dir)) {
    long n = config_write(*dir, data, offset);
    log("config " + basename_of(*dir) + " @0x" +
        [&] {
          char b[16];
          std::snprintf(b, sizeof b, "%lx", offset);
          return std::string(b);
        }() +
        " len " + std::to_string(data.size()) + " = " +
        (n < 0 ? errno_name(static_cast<int>(-n)) : "0"));
    return n;
  }
  if (!dir) {
    handled = false;
  } else if ((name == "new_id" || name == "remove_id") && under(*dir, "/sys/bus/pci/drivers")) {
    log("new_id used: " + host_path + " " + printable(value) + " (not emulated)");
    rc = EINVAL;
  } else if (is_pci_device_dir(*dir) && name == "reset") {
    rc = reset_attr(*dir, value);
  } else if (is_pci_device_dir(*dir) && name == "remove") {
    auto n = parse_kernel_uint(value);
    rc = !n ? EINVAL : (*n == 0 ? 0 : remove_device(*dir));
  } else if (name == "rescan" && (*dir == "/sys/bus/pci" || is_pci_device_dir(*dir) ||
                                  basename_of(dirname_of(*dir)) == "pci_bus")) {
    auto n = parse_kernel_uint(value);
    std::string scope;
    if (*dir == "/sys/bus/pci") {
      scope = "";
    } else if (is_pci_device_dir(*dir)) {
      scope = dirname_of(*dir);
    } else {
      scope = dirname_of(dirname_of(*dir));
    }
    rc = !n ? EINVAL : (*n == 0 ? 0 : rescan(scope));
  } else {
    handled = false;
  }

  if (!handled) {
    // Driver changes, SR-IOV and mdev: the kernel double, with uevents around it.
    const std::string file = canon_dir + "/" + name;
    std::vector<std::string> devs;  // PCI functions whose driver may change
    std::map<std::string, std::string> vfs_before;
    std::map<std::string, std::string> mdev_before;
    std::map<std::string, std::string> drv_before;
    if (dir) {
      if ((under(*dir, "/sys/bus/pci/drivers") && (name == "bind" || name == "unbind")) ||
          (*dir == "/sys/bus/pci" && name == "drivers_probe")) {
        if (auto d = root_->resolve(kPciDevices + strip_newline(value))) devs.push_back(*d);
      } else if (is_pci_device_dir(*dir) && name == "unbind") {
        devs.push_back(*dir);
      } else if (name == "unbind" && basename_of(*dir) != "drivers") {
        if (auto d = root_->resolve(kPciDevices + strip_newline(value))) devs.push_back(*d);
      }
      if (is_pci_device_dir(*dir) && name == "sriov_numvfs") {
        for (const auto& e : root_->list(*dir)) {
          if (e.rfind("virtfn", 0) != 0) continue;
          if (auto vf = root_->resolve(*dir + "/" + e))
            vfs_before[*vf] = device_props(*root_, *vf, "pci");
        }
      }
      if (name == "remove" && root_->is_symlink(*dir + "/mdev_type")) {
        mdev_before[*dir] = device_props(*root_, *dir, "mdev");
      }
      // driver/unbind as seen through the device's driver link resolves to the driver dir
      if (name == "unbind" && under(*dir, "/sys/bus/pci/drivers") && devs.empty()) {
        if (auto d = root_->resolve(kPciDevices + strip_newline(value))) devs.push_back(*d);
      }
    }
    for (const auto& d : devs) drv_before[d] = root_->link_name(d + "/driver").value_or("");
    rc = kd_->write(host_path, data);
    if (rc == 0 && dir) {
      for (const auto& d : devs) {
        const std::string now = root_->link_name(d + "/driver").value_or("");
        const std::string was = drv_before[d];
        if (now == was) continue;
        if (!was.empty()) announce("unbind", device_props(*root_, d, "pci"), "pci");
        if (!now.empty()) announce("bind", device_props(*root_, d, "pci"), "pci");
      }
      if (is_pci_device_dir(*dir) && name == "sriov_numvfs") {
        std::map<std::string, bool> after;
        for (const auto& e : root_->list(*dir)) {
          if (e.rfind("virtfn", 0) != 0) continue;
          if (auto vf = root_->resolve(*dir + "/" + e)) after[*vf] = true;
        }
        for (const auto& [vf, props] : vfs_before)
          if (!after.count(vf)) announce("remove", props, "pci");
        for (const auto& [vf, _] : after)
          if (!vfs_before.count(vf)) announce("add", device_props(*root_, vf, "pci"), "pci");
      }
      if (name == "create" && basename_of(dirname_of(*dir)) == "mdev_supported_types") {
        std::string uuid = strip_newline(value);
        std::transform(uuid.begin(), uuid.end(), uuid.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        const std::string mdev = dirname_of(dirname_of(*dir)) + "/" + uuid;
        if (root_->is_dir(mdev)) announce("add", device_props(*root_, mdev, "mdev"), "mdev");
      }
      for (const auto& [m, props] : mdev_before)
        if (!root_->exists(m)) announce("remove", props, "mdev");
    }
  }
  log("write " + host_path + " " + printable(value) + " = " + errno_name(rc));
  return rc == 0 ? static_cast<long>(data.size()) : -rc;
}

// ---- config space ------------------------------------------------------------------------------

long SimKernel::config_write(const std::string& dev_dir, std::string_view data, long offset) {
  auto cfg = root_->read(dev_dir + "/config");
  if (!cfg) return -EIO;
  const std::size_t size = cfg->size();
  if (offset < 0 || static_cast<std::size_t>(offset) >= size) return 0;
  const std::size_t off = static_cast<std::size_t>(offset);
  const std::size_t n = std::min(data.size(), size - off);
  const std::string addr = basename_of(dev_dir);
  // Wedged: writes go nowhere. A VF's vendor/device always read 0xffff (PCIe SR-IOV): it is
  // judged by the registers it implements.
  const bool vf = root_->is_symlink(dev_dir + "/physfn");
  if (config_space_dead(*cfg, vf ? ConfigOrigin::virtual_function : ConfigOrigin::function)
          .value_or(false))
    return static_cast<long>(n);

  const std::string old = *cfg;
  std::string cur = old;
  const unsigned header = static_cast<unsigned char>(old[0x0e]) & 0x7f;
  const unsigned pm = find_cap(old, 0x01);
  const unsigned pe = find_cap(old, 0x10);
  const unsigned af = find_cap(old, 0x13);
  const unsigned msi = find_cap(old, 0x05);
  auto mask = [&](unsigned i) -> unsigned {
    if (i == 0x04 || i == 0x05 || i == 0x0c || i == 0x0d || i == 0x3c) return 0xff;
    if (header == 0 && ((i >= 0x10 && i < 0x28) || (i >= 0x30 && i < 0x34))) return 0xff;
    if (header == 1 && ((i >= 0x10 && i < 0x34 && !(i >= 0x1e && i < 0x20)) ||
                        (i >= 0x38 && i < 0x3c) || i == 0x3e || i == 0x3f))
      return 0xff;
    if (pm && i == pm + 4) return 0x03;  // power state
    if (pm && i == pm + 5) return 0x01;  // PME_En
    if (pe && (i == pe + 8 || i == pe + 0x10 || i == pe + 0x11 || i == pe + 0x28 || i == pe + 0x29))
      return 0xff;
    if (pe && i == pe + 9) return 0x7f;  // bit 15 (Initiate FLR) never reads back
    if (msi && i >= msi + 2 && i < msi + 0x18 && i < 0x100) return 0xff;
    return 0;
  };
  for (std::size_t k = 0; k < n; ++k) {
    const unsigned i = static_cast<unsigned>(off + k);
    const unsigned m = mask(i);
    const unsigned o = static_cast<unsigned char>(old[i]);
    const unsigned v = static_cast<unsigned char>(data[k]);
    cur[i] = static_cast<char>((o & ~m) | (v & m));
  }
  auto wrote = [&](unsigned i) { return i >= off && i < off + n; };
  auto wrote_byte = [&](unsigned i) { return static_cast<unsigned char>(data[i - off]); };

  std::vector<std::pair<std::string, std::string>> resets;  // dir, method
  if (pe && wrote(pe + 9) && (wrote_byte(pe + 9) & 0x80) && (get32(old, pe + 4) & (1u << 28)))
    resets.emplace_back(dev_dir, "flr");
  if (af && wrote(af + 4) && (wrote_byte(af + 4) & 0x01) &&
      (static_cast<unsigned char>(old[af + 3]) & 0x03) == 0x03)
    resets.emplace_back(dev_dir, "af");
  if (pm && wrote(pm + 4)) {
    const unsigned was = static_cast<unsigned char>(old[pm + 4]);
    const unsigned now = static_cast<unsigned char>(cur[pm + 4]);
    if ((was & 3) == 3 && (now & 3) == 0 && !(was & 0x08)) resets.emplace_back(dev_dir, "pm");
  }
  if (header == 1 && wrote(0x3e) && !(static_cast<unsigned char>(old[0x3e]) & 0x40) &&
      (static_cast<unsigned char>(cur[0x3e]) & 0x40)) {
    for (const auto& a : root_->list("/sys/bus/pci/devices")) {
      auto d = root_->resolve(kPciDevices + a);
      if (d && under(*d, dev_dir)) resets.emplace_back(*d, "bus");
    }
  }
  {
    int fd = ::open(real(dev_dir + "/config").c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -EIO;
    ssize_t w = ::pwrite(fd, cur.data() + off, n, static_cast<off_t>(off));
    ::close(fd);
    if (w < 0) return -EIO;
  }
  for (const auto& [d, method] : resets) reset_function(d, method, true);
  return static_cast<long>(n);
}

void SimKernel::reset_function(const std::string& dev_dir, const std::string& method,
                               bool clear_command) {
  const std::string addr = basename_of(dev_dir);
  log("reset " + addr + " " + method);
  const std::string cfg_path = real(dev_dir + "/config");
  if (wedge_.count(addr)) {
    auto write_file = [](const std::string& p, const std::string& s) {
      std::ofstream out(p, std::ios::binary | std::ios::trunc);
      out << s;
    };
    if (!root_->is_symlink(dev_dir + "/physfn")) {  // a VF's sysfs IDs never came from config
      write_file(real(dev_dir + "/vendor"), "0xffff\n");
      write_file(real(dev_dir + "/device"), "0xffff\n");
    }
    if (auto cfg = root_->read(dev_dir + "/config"))
      write_file(cfg_path, std::string(cfg->size(), '\xff'));
    return;
  }
  if (clear_command) {
    int fd = ::open(cfg_path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      const char zero[2] = {0, 0};
      (void)::pwrite(fd, zero, 2, 4);
      ::close(fd);
    }
  }
}

int SimKernel::reset_attr(const std::string& dev_dir, std::string_view value) {
  auto n = parse_kernel_uint(value);
  if (!n || *n != 1) return EINVAL;
  auto methods = root_->read_value(dev_dir + "/reset_method");
  if (!methods || methods->empty()) return ENOTTY;
  std::size_t start = 0;
  while (start < methods->size()) {
    auto sp = methods->find(' ', start);
    if (sp == std::string::npos) sp = methods->size();
    const std::string m = methods->substr(start, sp - start);
    start = sp + 1;
    if (m.empty()) continue;
    if (m == "bus") {
      // pci_parent_bus_reset: not on a root bus, no subordinate bus, and alone on its bus
      // (VFs included: they are the PF's siblings); else ENOTTY and the next method.
      const std::string parent = dirname_of(dev_dir);
      if (!is_pci_name(basename_of(parent))) continue;
      if (root_->is_dir(dev_dir + "/pci_bus")) continue;
      bool alone = true;
      for (const auto& e : root_->list(parent)) {
        if (is_pci_name(e) && parent + "/" + e != dev_dir && root_->is_dir(parent + "/" + e))
          alone = false;
      }
      if (!alone) continue;
    }
    reset_function(dev_dir, m, false);
    return 0;
  }
  return ENOTTY;
}

// ---- remove / rescan ---------------------------------------------------------------------------

namespace {
void make_link(const Root& root, const std::string& host_link, const std::string& target) {
  auto parent = root.resolve(dirname_of(host_link));
  if (!parent) {
    fs::create_directories(root.host_path(dirname_of(host_link)));
    parent = root.resolve(dirname_of(host_link));
    if (!parent) return;
  }
  fs::path up = fs::path(dirname_of(target)).lexically_relative(fs::path(*parent));
  const fs::path rel = up == "." ? fs::path(basename_of(target)) : up / basename_of(target);
  const std::string link = root.host_path(*parent + "/" + basename_of(host_link));
  std::error_code ec;
  fs::remove(link, ec);
  fs::create_symlink(rel, link, ec);
}

void drop(const Root& root, const std::string& host_path) {
  auto parent = root.resolve(dirname_of(host_path));
  if (!parent) return;
  std::error_code ec;
  fs::remove(root.host_path(*parent + "/" + basename_of(host_path)), ec);
}
}  // namespace

int SimKernel::remove_device(const std::string& dev_dir) {
  std::vector<std::string> victims;
  for (const auto& a : root_->list("/sys/bus/pci/devices")) {
    auto d = root_->resolve(kPciDevices + a);
    if (d && (*d == dev_dir || under(*d, dev_dir))) victims.push_back(*d);
  }
  std::sort(victims.begin(), victims.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() > b.size() : a > b;
  });
  for (const auto& v : victims) remove_one(v);
  return 0;
}

void SimKernel::remove_one(const std::string& dev_dir) {
  if (!root_->is_dir(dev_dir)) return;
  const std::string addr = basename_of(dev_dir);
  // A PF's VFs and a parent's mdevs go first, as the drivers' remove callbacks do.
  std::vector<std::string> vfs;
  for (const auto& e : root_->list(dev_dir)) {
    if (e.rfind("virtfn", 0) == 0)
      if (auto vf = root_->resolve(dev_dir + "/" + e)) vfs.push_back(*vf);
  }
  if (!vfs.empty() && root_->is_symlink(dev_dir + "/driver")) {
    for (const auto& vf : vfs) kd_->mark_in_use(basename_of(vf), false);
    std::map<std::string, std::string> props;
    for (const auto& vf : vfs) props[vf] = device_props(*root_, vf, "pci");
    kd_->write(dev_dir + "/sriov_numvfs", "0");
    for (const auto& vf : vfs)
      if (!root_->exists(vf)) announce("remove", props[vf], "pci");
  }
  for (const auto& e : root_->list(dev_dir)) {
    const std::string m = dev_dir + "/" + e;
    if (root_->is_dir(m) && root_->is_symlink(m + "/mdev_type")) {
      kd_->mark_in_use(e, false);
      const std::string props = device_props(*root_, m, "mdev");
      kd_->write(m + "/remove", "1");
      if (!root_->exists(m)) announce("remove", props, "mdev");
    }
  }
  std::string had_driver;
  if (auto drv = root_->link_name(dev_dir + "/driver")) {
    had_driver = *drv;
    kd_->write(kPciDrivers + *drv + "/unbind", addr);
    announce("unbind", device_props(*root_, dev_dir, "pci"), "pci");
  }
  const std::string props = device_props(*root_, dev_dir, "pci");

  Removed r;
  r.address = addr;
  r.orig = dev_dir;
  r.stash = base_ + "/.sim-removed/" + std::to_string(++removed_seq_);
  r.driver = had_driver;
  if (auto g = root_->link_name(dev_dir + "/iommu_group")) {
    r.group = *g;
    r.group_type = root_->read(kGroups + *g + "/type").value_or("DMA\n");
  }
  if (auto im = root_->resolve(dev_dir + "/iommu")) r.iommu = *im;
  for (const auto& cls : root_->list("/sys/class")) {
    for (const auto& e : root_->list("/sys/class/" + cls)) {
      const std::string link = "/sys/class/" + cls + "/" + e;
      if (!root_->is_symlink(link)) continue;
      auto t = root_->resolve(link);
      if (t && (*t == dev_dir || under(*t, dev_dir))) r.links.emplace_back(link, *t);
    }
  }
  // Unlink from the bus, the group, the IOMMU unit and the classes, then put the directory aside.
  drop(*root_, kPciDevices + addr);
  if (!r.group.empty()) {
    drop(*root_, kGroups + r.group + "/devices/" + addr);
    if (root_->list(kGroups + r.group + "/devices").empty()) {
      std::error_code ec;
      fs::remove_all(real(kGroups + r.group), ec);
    }
  }
  if (!r.iommu.empty()) drop(*root_, r.iommu + "/devices/" + addr);
  for (const auto& [link, _] : r.links) drop(*root_, link);
  fs::create_directories(dirname_of(r.stash));
  std::error_code ec;
  fs::rename(real(dev_dir), r.stash, ec);
  if (ec) {
    log("remove " + addr + " failed: " + ec.message());
    return;
  }
  removed_.push_back(r);
  announce("remove", props, "pci");
  log("removed " + addr);
}

int SimKernel::rescan(const std::string& scope) {
  std::vector<Removed> back;
  std::vector<Removed> keep;
  for (auto& r : removed_) {
    if (scope.empty() || under(r.orig, scope)) {
      back.push_back(r);
    } else {
      keep.push_back(r);
    }
  }
  std::sort(back.begin(), back.end(),
            [](const Removed& a, const Removed& b) { return a.orig.size() < b.orig.size(); });
  std::vector<Removed> failed;
  for (const auto& r : back) {
    if (!root_->is_dir(dirname_of(r.orig)) || root_->exists(r.orig)) {
      failed.push_back(r);
      continue;
    }
    std::error_code ec;
    fs::rename(r.stash, real(r.orig), ec);
    if (ec) {
      failed.push_back(r);
      continue;
    }
    // A fresh struct pci_dev: no override, SR-IOV off.
    auto put = [&](const std::string& f, const std::string& v) {
      if (!root_->exists(r.orig + "/" + f)) return;
      std::ofstream out(real(r.orig + "/" + f), std::ios::trunc);
      out << v;
    };
    put("driver_override", "(null)\n");
    put("sriov_numvfs", "0\n");
    make_link(*root_, kPciDevices + r.address, r.orig);
    if (!r.group.empty()) {
      const std::string g = kGroups + r.group;
      if (!root_->is_dir(g)) {
        fs::create_directories(real(g + "/devices"));
        std::ofstream(real(g + "/type")) << r.group_type;
      }
      make_link(*root_, g + "/devices/" + r.address, r.orig);
    }
    if (!r.iommu.empty()) make_link(*root_, r.iommu + "/devices/" + r.address, r.orig);
    for (const auto& [link, target] : r.links) make_link(*root_, link, target);
    announce("add", device_props(*root_, r.orig, "pci"), "pci");
    log("rescanned " + r.address);
    kd_->write("/sys/bus/pci/drivers_probe", r.address);
    // pcieport binds by class, not through modules.alias: the kernel double cannot match it.
    if (!root_->is_symlink(r.orig + "/driver") && r.driver == "pcieport" &&
        root_->is_dir(kPciDrivers + "pcieport")) {
      make_link(*root_, r.orig + "/driver", kPciDrivers + "pcieport");
      make_link(*root_, kPciDrivers + "pcieport/" + r.address, r.orig);
      if (auto u = root_->read(r.orig + "/uevent")) {
        std::ofstream(real(r.orig + "/uevent"), std::ios::trunc) << "DRIVER=pcieport\n" << *u;
      }
    }
    if (root_->is_symlink(r.orig + "/driver"))
      announce("bind", device_props(*root_, r.orig, "pci"), "pci");
  }
  removed_ = keep;
  removed_.insert(removed_.end(), failed.begin(), failed.end());
  return 0;
}

}  // namespace ptagent::sim
