#include "support/kernel_double.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "pci/address.hpp"
#include "support/kernel_text.hpp"
#include "sysfs/root.hpp"

namespace ptagent::testing {

namespace fs = std::filesystem;

namespace {

const std::string kPciDevices = "/sys/bus/pci/devices/";
const std::string kPciDrivers = "/sys/bus/pci/drivers/";
const std::string kGroups = "/sys/kernel/iommu_groups/";
const std::string kMdevDevices = "/sys/bus/mdev/devices";

unsigned read_uint(const Root& root, const std::string& path, unsigned fallback = 0) {
  auto v = root.read_value(path);
  if (!v) return fallback;
  auto n = parse_kernel_uint(*v);
  return n ? static_cast<unsigned>(*n) : fallback;
}

unsigned read_hex(const Root& root, const std::string& path) {
  auto v = root.read_value(path);
  if (!v) return 0;
  return static_cast<unsigned>(std::strtoul(v->c_str(), nullptr, 16));
}

bool is_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

// A uevent file's lines but its DRIVER= line, which follows every bind and unbind.
std::string without_driver_line(const std::string& uevent) {
  std::string out;
  std::size_t start = 0;
  while (start < uevent.size()) {
    auto nl = uevent.find('\n', start);
    if (nl == std::string::npos) nl = uevent.size() - 1;
    std::string line = uevent.substr(start, nl - start + 1);
    if (line.rfind("DRIVER=", 0) != 0) out += line;
    start = nl + 1;
  }
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string underscores(std::string s) {
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

bool is_pci_device_dir(const std::string& canonical) {
  return canonical.rfind("/sys/devices/", 0) == 0 && try_parse_pci_address(basename_of(canonical));
}

}  // namespace

KernelDouble::KernelDouble(const Root& root) : KernelDouble(root, Options{}) {}

KernelDouble::KernelDouble(const Root& root, Options options)
    : root_(root), options_(options), aliases_(ModuleAliases::load(root)) {
  if (root.is_system_root()) {
    throw std::logic_error("KernelDouble works on a copy of a simulated host, never on /");
  }
  if (const char* at = std::getenv("PTAGENT_DOUBLE_KILL_AT_WRITE"); at && *at) {
    kill_at_ = static_cast<std::size_t>(std::strtoull(at, nullptr, 10));
  }
}

// ---- bookkeeping ---------------------------------------------------------------------------

void KernelDouble::fail_nth_write(std::size_t n, int err) {
  std::lock_guard<std::mutex> lock(mutex_);
  fail_nth_[n] = err;
}

void KernelDouble::fail_writes_to(std::string path_substring, int err) {
  std::lock_guard<std::mutex> lock(mutex_);
  fail_paths_.emplace_back(std::move(path_substring), err);
}

void KernelDouble::clear_failures() {
  std::lock_guard<std::mutex> lock(mutex_);
  fail_nth_.clear();
  fail_paths_.clear();
}

void KernelDouble::mark_in_use(const std::string& name, bool in_use) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (in_use) {
    in_use_.insert(lower(name));
  } else {
    in_use_.erase(lower(name));
  }
}

void KernelDouble::wedge_on_reset(const std::string& address) {
  std::lock_guard<std::mutex> lock(mutex_);
  wedge_.insert(address);
}

void KernelDouble::set_vfio_requires_viable_group(bool on) {
  std::lock_guard<std::mutex> lock(mutex_);
  options_.vfio_requires_viable_group = on;
}

std::vector<WriteRecord> KernelDouble::calls() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return calls_;
}

std::size_t KernelDouble::write_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return count_;
}

std::vector<WriteRecord> KernelDouble::new_id_writes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<WriteRecord> out;
  for (const auto& c : calls_) {
    const std::string name = basename_of(c.path);
    if (name == "new_id" || name == "remove_id") out.push_back(c);
  }
  return out;
}

std::vector<std::string> KernelDouble::resets() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return resets_;
}

int KernelDouble::write(const std::string& path, std::string_view value) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++count_;
  // A crash test: the process dies before this write reaches the kernel.
  if (kill_at_ != 0 && count_ == kill_at_) ::raise(SIGKILL);
  WriteRecord rec{path, std::string(value), 0, false};
  const std::string name = basename_of(path);
  if (name == "new_id" || name == "remove_id") {
    ADD_FAILURE() << "write to " << path << " (\"" << rec.value
                  << "\"): ptagent must never use new_id/remove_id";
  }
  int injected = 0;
  if (auto it = fail_nth_.find(count_); it != fail_nth_.end()) {
    injected = it->second;
  } else {
    for (const auto& [sub, err] : fail_paths_) {
      if (path.find(sub) != std::string::npos) {
        injected = err;
        break;
      }
    }
  }
  if (injected != 0) {
    rec.result = injected;
    rec.injected = true;
  } else {
    rec.result = dispatch(path, value);
  }
  calls_.push_back(rec);
  return rec.result;
}

// ---- dispatch --------------------------------------------------------------------------------

int KernelDouble::dispatch(const std::string& path, std::string_view value) {
  if (path.rfind("/sys/", 0) != 0 || path.find('\0') != std::string::npos) return EACCES;
  const std::string name = basename_of(path);
  if (name.empty() || name == "." || name == "..") return EISDIR;
  auto dir = root_.resolve(dirname_of(path));
  if (!dir || !root_.is_dir(*dir)) return ENOENT;
  const std::string file = (*dir == "/" ? std::string() : *dir) + "/" + name;

  struct stat st {};
  const bool exists = ::lstat(real(file).c_str(), &st) == 0;
  if (exists && S_ISLNK(st.st_mode)) return ELOOP;
  if (exists && S_ISDIR(st.st_mode)) return EISDIR;

  if (*dir == "/sys/bus/pci" && name == "drivers_probe") {
    return exists ? drivers_probe(strip_newline(value)) : ENOENT;
  }
  if (dir->rfind(kPciDrivers, 0) == 0 && dir->find('/', kPciDrivers.size()) == std::string::npos &&
      (name == "bind" || name == "unbind" || name == "new_id" || name == "remove_id")) {
    if (!exists) return ENOENT;
    return pci_driver_file(basename_of(*dir), name, strip_newline(value));
  }
  if (is_pci_device_dir(*dir)) {
    if (name == "driver_override") return exists ? set_override(*dir, value) : ENOENT;
    if (name == "reset") return reset(*dir, strip_newline(value));
    if (name == "reset_method") return exists ? reset_method(*dir, std::string(value)) : ENOENT;
    if (name == "rom") return exists ? rom(*dir, std::string(value)) : ENOENT;
    if (name == "d3cold_allowed") return exists ? d3cold_allowed(*dir, std::string(value)) : ENOENT;
    if (name == "sriov_numvfs") return exists ? sriov_numvfs(*dir, std::string(value)) : ENOENT;
    if (name == "sriov_drivers_autoprobe")
      return exists ? sriov_autoprobe(*dir, std::string(value)) : ENOENT;
    if (name == "remove") {
      ADD_FAILURE() << "write to " << path << ": removing a PCI device is not emulated";
      return EPERM;
    }
  }
  if (name == "control" && basename_of(*dir) == "power" && is_pci_device_dir(dirname_of(*dir))) {
    return exists ? power_control(dirname_of(*dir), std::string(value)) : ENOENT;
  }
  if (name == "create" && basename_of(dirname_of(*dir)) == "mdev_supported_types") {
    return exists ? mdev_create(*dir, std::string(value)) : ENOENT;
  }
  if (name == "remove" && root_.is_symlink(*dir + "/mdev_type")) {
    return mdev_remove(*dir, std::string(value));
  }
  if (!exists) return ENOENT;
  put_file(file, value);
  return 0;
}

// ---- PCI drivers ---------------------------------------------------------------------------

std::string KernelDouble::device_dir(const std::string& address) const {
  if (!try_parse_pci_address(address) || address.size() != 12) return {};
  auto dir = root_.resolve(kPciDevices + address);
  if (!dir || !root_.is_dir(*dir)) return {};
  return *dir;
}

std::string KernelDouble::bound_driver(const std::string& dev_dir) const {
  return root_.link_name(dev_dir + "/driver").value_or("");
}

std::string KernelDouble::override_of(const std::string& dev_dir) const {
  auto v = root_.read_value(dev_dir + "/driver_override");
  if (!v || *v == "(null)") return {};
  return *v;
}

std::string KernelDouble::driver_for_module(const std::string& module) const {
  for (const auto& d : root_.list("/sys/bus/pci/drivers")) {
    auto mod = root_.link_name(kPciDrivers + d + "/module");
    if (mod ? *mod == module : underscores(d) == module) return d;
  }
  return {};
}

bool KernelDouble::driver_matches(const std::string& driver, const std::string& dev_dir) const {
  const std::string ov = override_of(dev_dir);
  if (!ov.empty()) return ov == driver;
  auto modalias = root_.read_value(dev_dir + "/modalias");
  if (!modalias) return false;
  for (const auto& m : aliases_.match(*modalias)) {
    if (driver_for_module(m) == driver) return true;
  }
  return false;
}

int KernelDouble::probe_one(const std::string& driver, const std::string& dev_dir) {
  if (driver == "vfio-pci") {
    auto group = root_.link_name(dev_dir + "/iommu_group");
    if (!group) {
      auto noiommu = root_.read_value("/sys/module/vfio/parameters/enable_unsafe_noiommu_mode");
      if (!noiommu || (*noiommu != "Y" && *noiommu != "1")) return EINVAL;
    } else if (options_.vfio_requires_viable_group) {
      const std::string members = kGroups + *group + "/devices";
      for (const auto& m : root_.list(members)) {
        if (!try_parse_pci_address(m)) continue;  // mdevs share no DMA with a PCI endpoint
        auto mdir = root_.resolve(members + "/" + m);
        if (!mdir || *mdir == dev_dir || root_.is_dir(*mdir + "/pci_bus")) continue;
        const std::string d = bound_driver(*mdir);
        if (!d.empty() && d != "vfio-pci" && d != "pci-stub") return EINVAL;
      }
    }
  }
  attach(driver, dev_dir);
  return 0;
}

void KernelDouble::attach(const std::string& driver, const std::string& dev_dir) {
  const std::string addr = basename_of(dev_dir);
  put_link(dev_dir + "/driver", kPciDrivers + driver);
  put_link(kPciDrivers + driver + "/" + addr, dev_dir);
  if (auto u = root_.read(dev_dir + "/uevent")) {
    put_file(dev_dir + "/uevent", "DRIVER=" + driver + "\n" + without_driver_line(*u));
  }
  if (driver == "vfio-pci" && root_.is_dir("/dev/vfio")) {
    if (auto g = root_.link_name(dev_dir + "/iommu_group")) put_file("/dev/vfio/" + *g, "");
  }
}

void KernelDouble::detach(const std::string& dev_dir) {
  const std::string driver = bound_driver(dev_dir);
  if (driver.empty()) return;
  const std::string addr = basename_of(dev_dir);
  remove_entry(dev_dir + "/driver");
  remove_entry(kPciDrivers + driver + "/" + addr);
  if (auto u = root_.read(dev_dir + "/uevent")) {
    put_file(dev_dir + "/uevent", without_driver_line(*u));
  }
  if (driver == "vfio-pci") {
    auto g = root_.link_name(dev_dir + "/iommu_group");
    if (!g) return;
    bool others = false;
    for (const auto& m : root_.list(kGroups + *g + "/devices")) {
      auto mdir = root_.resolve(kGroups + *g + "/devices/" + m);
      if (mdir && *mdir != dev_dir && bound_driver(*mdir) == "vfio-pci") others = true;
    }
    if (!others) remove_entry("/dev/vfio/" + *g);
  }
}

void KernelDouble::probe_like_drivers_probe(const std::string& dev_dir) {
  const std::string ov = override_of(dev_dir);
  if (!ov.empty()) {
    // No module is loaded for an override: an absent driver leaves the device unbound.
    if (root_.is_dir(kPciDrivers + ov)) probe_one(ov, dev_dir);
    return;
  }
  auto modalias = root_.read_value(dev_dir + "/modalias");
  if (!modalias) return;
  for (const auto& m : aliases_.match(*modalias)) {
    const std::string d = driver_for_module(m);
    if (!d.empty() && probe_one(d, dev_dir) == 0) return;  // a failed probe lets the next try
  }
}

int KernelDouble::drivers_probe(const std::string& address) {
  const std::string dev = device_dir(address);
  if (dev.empty()) return ENODEV;
  if (!bound_driver(dev).empty()) return 0;
  probe_like_drivers_probe(dev);
  return 0;  // the driver core ignores probe errors here
}

int KernelDouble::pci_driver_file(const std::string& driver, const std::string& file,
                                  const std::string& value) {
  if (file == "new_id" || file == "remove_id") return 0;  // reported as a test failure already
  const std::string dev = device_dir(value);
  if (file == "unbind") {
    if (dev.empty() || bound_driver(dev) != driver) return ENODEV;
    detach(dev);
    return 0;
  }
  // bind
  if (dev.empty() || !driver_matches(driver, dev)) return ENODEV;
  if (!bound_driver(dev).empty()) return EBUSY;
  return probe_one(driver, dev);
}

int KernelDouble::set_override(const std::string& dev_dir, std::string_view value) {
  std::string v(value);
  if (v.size() >= 4095) return EINVAL;
  if (auto nl = v.find('\n'); nl != std::string::npos) v.resize(nl);
  put_file(dev_dir + "/driver_override", v.empty() ? std::string("(null)\n") : v + "\n");
  return 0;
}

int KernelDouble::reset(const std::string& dev_dir, const std::string& value) {
  auto n = parse_kernel_uint(value);
  if (!n || *n != 1) return EINVAL;
  auto methods = root_.read_value(dev_dir + "/reset_method");
  if (!methods || methods->empty()) return ENOTTY;
  const std::string addr = basename_of(dev_dir);
  // __pci_reset_function_locked: the listed methods in order; ENOTTY passes to the next, the
  // first success is the reset, ENOTTY when none succeeds.
  std::string used;
  std::istringstream words(*methods);
  for (std::string m; words >> m;) {
    if (m == "bus" && bus_reset_refused(dev_dir)) continue;
    used = m;
    break;
  }
  if (used.empty()) return ENOTTY;
  resets_.push_back(addr);
  reset_by_[addr] = used;
  if (wedge_.count(addr)) {
    // A VF's sysfs vendor/device keep the real IDs (they never came from its config space).
    if (!root_.is_symlink(dev_dir + "/physfn")) {
      put_file(dev_dir + "/vendor", "0xffff\n");
      put_file(dev_dir + "/device", "0xffff\n");
    }
    if (auto cfg = root_.read(dev_dir + "/config"))
      put_file(dev_dir + "/config", std::string(cfg->size(), '\xff'));
  }
  return 0;
}

int KernelDouble::reset_method(const std::string& dev_dir, const std::string& value) {
  auto it = supported_resets_.find(dev_dir);
  if (it == supported_resets_.end()) {
    it =
        supported_resets_.emplace(dev_dir, root_.read_value(dev_dir + "/reset_method").value_or(""))
            .first;
  }
  std::set<std::string> supported;
  {
    std::istringstream words(it->second);
    for (std::string m; words >> m;) supported.insert(m);
  }
  // A write of zero bytes never calls the kernel's store function.
  if (value.empty()) return 0;
  const std::string v = strip_newline(value);
  if (v.empty()) {
    put_file(dev_dir + "/reset_method", "\n");
    return 0;
  }
  if (v == "default") {
    put_file(dev_dir + "/reset_method", it->second + "\n");
    return 0;
  }
  std::string stored;
  std::istringstream words(v);
  for (std::string m; words >> m;) {
    if (!supported.count(m)) return EINVAL;
    stored += (stored.empty() ? "" : " ") + m;
  }
  put_file(dev_dir + "/reset_method", stored + "\n");
  return 0;
}

int KernelDouble::d3cold_allowed(const std::string& dev_dir, const std::string& value) {
  auto n = parse_kernel_uint(strip_newline(value));
  if (!n) return EINVAL;
  put_file(dev_dir + "/d3cold_allowed", *n != 0 ? "1\n" : "0\n");
  return 0;
}

int KernelDouble::rom(const std::string& dev_dir, const std::string& value) {
  auto n = parse_kernel_uint(strip_newline(value));
  if (!n) return EINVAL;
  if (*n != 0) {
    rom_enabled_.insert(basename_of(dev_dir));
  } else {
    rom_enabled_.erase(basename_of(dev_dir));
  }
  return 0;
}

bool KernelDouble::rom_enabled(const std::string& address) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rom_enabled_.count(address) > 0;
}

int KernelDouble::power_control(const std::string& dev_dir, const std::string& value) {
  const std::string v = strip_newline(value);
  if (v != "on" && v != "auto") return EINVAL;
  put_file(dev_dir + "/power/control", v + "\n");
  if (v == "on") {
    if (root_.exists(dev_dir + "/power/runtime_status"))
      put_file(dev_dir + "/power/runtime_status", "active\n");
    auto ps = root_.read_value(dev_dir + "/power_state");
    if (ps && (*ps == "D3hot" || *ps == "D3cold")) put_file(dev_dir + "/power_state", "D0\n");
  }
  return 0;
}

bool KernelDouble::bus_reset_refused(const std::string& dev_dir) const {
  // pci_parent_bus_reset (Linux 6.1): -ENOTTY on a root bus (no PCI bridge above), for a device
  // with a subordinate bus, and when any other device (VFs too) is on the same bus.
  auto real_path = root_.resolve(dev_dir);
  if (!real_path) return true;
  const std::string path = *real_path;
  const std::string parent = path.substr(0, path.rfind('/'));
  const auto above = try_parse_pci_address(parent.substr(parent.rfind('/') + 1));
  if (!above) return true;
  if (root_.is_dir(dev_dir + "/pci_bus")) return true;
  const auto self = try_parse_pci_address(basename_of(dev_dir));
  if (!self) return true;
  for (const auto& name : root_.list(kPciDevices)) {
    auto other = try_parse_pci_address(name);
    if (other && *other != *self && other->domain == self->domain && other->bus == self->bus)
      return true;
  }
  return false;
}

std::optional<std::string> KernelDouble::reset_method_used(const std::string& address) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = reset_by_.find(address);
  if (it == reset_by_.end()) return std::nullopt;
  return it->second;
}

// ---- SR-IOV --------------------------------------------------------------------------------

int KernelDouble::sriov_autoprobe(const std::string& pf_dir, const std::string& value) {
  const std::string v = strip_newline(value);
  bool on = false;
  if (v == "1" || v == "y" || v == "Y" || v == "on") {
    on = true;
  } else if (v == "0" || v == "n" || v == "N" || v == "off") {
    on = false;
  } else {
    return EINVAL;
  }
  put_file(pf_dir + "/sriov_drivers_autoprobe", on ? "1\n" : "0\n");
  return 0;
}

int KernelDouble::sriov_numvfs(const std::string& pf_dir, const std::string& value) {
  auto n = parse_kernel_uint(value);
  if (!n || *n > 0xffff) return EINVAL;
  const unsigned want = static_cast<unsigned>(*n);
  const unsigned total = read_uint(root_, pf_dir + "/sriov_totalvfs");
  const unsigned current = read_uint(root_, pf_dir + "/sriov_numvfs");
  if (want > total) return ERANGE;
  if (want == current) return 0;
  if (bound_driver(pf_dir).empty()) return ENOENT;  // "no driver bound to device"
  if (want == 0) {
    for (unsigned k = 0; k < current; ++k) {
      auto vf = root_.link_name(pf_dir + "/virtfn" + std::to_string(k));
      if (vf && in_use_.count(lower(*vf))) return EBUSY;
    }
    for (unsigned k = current; k-- > 0;) remove_vf(pf_dir, k);
    put_file(pf_dir + "/sriov_numvfs", "0\n");
    return 0;
  }
  if (current != 0) return EBUSY;

  auto pf = try_parse_pci_address(basename_of(pf_dir));
  if (!pf) return EIO;
  const unsigned offset = read_uint(root_, pf_dir + "/sriov_offset");
  const unsigned stride = read_uint(root_, pf_dir + "/sriov_stride");
  const unsigned pf_devfn = static_cast<unsigned>(pf->slot) << 3 | pf->function;
  std::vector<std::string> addresses;
  for (unsigned k = 0; k < want; ++k) {
    const unsigned devfn = pf_devfn + offset + k * stride;
    const unsigned bus = pf->bus + (devfn >> 8);
    if (bus > 0xff) return ENOMEM;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04x:%02x:%02x.%u", pf->domain, bus, (devfn & 0xff) >> 3,
                  devfn & 7);
    if (!device_dir(buf).empty()) return EIO;  // the slot is taken: firmware gave bad offsets
    addresses.emplace_back(buf);
  }
  auto autoprobe = root_.read_value(pf_dir + "/sriov_drivers_autoprobe");
  const bool probe = !autoprobe || *autoprobe != "0";
  for (unsigned k = 0; k < want; ++k) create_vf(pf_dir, k, addresses[k], probe);
  put_file(pf_dir + "/sriov_numvfs", std::to_string(want) + "\n");
  return 0;
}

unsigned KernelDouble::new_iommu_group() const {
  std::set<unsigned> used;
  for (const auto& g : root_.list("/sys/kernel/iommu_groups")) {
    if (auto n = parse_kernel_uint(g)) used.insert(static_cast<unsigned>(*n));
  }
  unsigned g = 0;
  while (used.count(g)) ++g;
  return g;
}

void KernelDouble::remove_from_group(const std::string& dev_dir, const std::string& name) {
  if (auto im = root_.resolve(dev_dir + "/iommu")) remove_entry(*im + "/devices/" + name);
  auto g = root_.link_name(dev_dir + "/iommu_group");
  if (!g) return;
  const std::string group = kGroups + *g;
  remove_entry(group + "/devices/" + name);
  if (root_.list(group + "/devices").empty()) {
    std::error_code ec;
    fs::remove_all(real(group), ec);
  }
}

void KernelDouble::create_vf(const std::string& pf_dir, unsigned index, const std::string& address,
                             bool autoprobe) {
  const std::string vf = dirname_of(pf_dir) + "/" + address;
  fs::create_directories(real(vf + "/power"));
  for (const char* f : {"vendor", "subsystem_vendor", "subsystem_device", "class", "revision",
                        "numa_node", "local_cpulist", "local_cpus"}) {
    if (auto v = root_.read(pf_dir + "/" + f)) put_file(vf + "/" + f, *v);
  }
  const unsigned vendor = read_hex(root_, pf_dir + "/vendor");
  const unsigned device = read_hex(root_, pf_dir + "/sriov_vf_device");
  const unsigned sv = read_hex(root_, pf_dir + "/subsystem_vendor");
  const unsigned sd = read_hex(root_, pf_dir + "/subsystem_device");
  const unsigned cls = read_hex(root_, pf_dir + "/class");
  char buf[128];
  std::snprintf(buf, sizeof buf, "0x%04x\n", device);
  put_file(vf + "/device", buf);
  std::snprintf(buf, sizeof buf, "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", vendor, device, sv,
                sd, (cls >> 16) & 0xff, (cls >> 8) & 0xff, cls & 0xff);
  const std::string modalias = buf;
  put_file(vf + "/modalias", modalias + "\n");
  char ue[256];
  std::snprintf(
      ue, sizeof ue,
      "PCI_CLASS=%X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\nPCI_SLOT_NAME=%s\nMODALIAS=%s\n",
      cls, vendor, device, sv, sd, address.c_str(), modalias.c_str());
  put_file(vf + "/uevent", ue);
  const std::pair<const char*, const char*> files[] = {
      {"enable", "0\n"},
      {"irq", "0\n"},
      {"driver_override", "(null)\n"},
      {"d3cold_allowed", "1\n"},
      {"power_state", "D0\n"},
      {"remove", ""},
      {"rescan", ""},
      {"msi_bus", "1\n"},
      {"ari_enabled", "0\n"},
      {"broken_parity_status", "0\n"},
      {"consistent_dma_mask_bits", "64\n"},
      {"dma_mask_bits", "64\n"},
      {"power/control", "auto\n"},
      {"power/runtime_status", "active\n"},
      {"reset_method", "flr\n"},
  };
  for (const auto& [f, content] : files) put_file(vf + "/" + f, content);
  std::string resource;
  for (int i = 0; i < 13; ++i)
    resource += "0x0000000000000000 0x0000000000000000 0x0000000000000000\n";
  put_file(vf + "/resource", resource);
  if (auto cfg = root_.read(pf_dir + "/config")) {
    std::string c = *cfg;
    // A VF's vendor and device ID read 0xffff in config space (PCIe SR-IOV 3.4.1.1-2); the
    // sysfs vendor/device files above hold the real IDs.
    if (c.size() >= 4) std::fill(c.begin(), c.begin() + 4, '\xff');
    if (c.size() > 0x100) std::fill(c.begin() + 0x100, c.end(), '\0');  // no SR-IOV capability
    put_file(vf + "/config", c);
  }
  put_link(vf + "/subsystem", "/sys/bus/pci");
  put_link(kPciDevices + address, vf);
  put_link(vf + "/physfn", pf_dir);
  put_link(pf_dir + "/virtfn" + std::to_string(index), vf);
  if (auto pf_group = root_.link_name(pf_dir + "/iommu_group")) {
    const std::string group = kGroups + std::to_string(new_iommu_group());
    fs::create_directories(real(group + "/devices"));
    for (const char* f : {"type", "reserved_regions"}) {
      if (auto v = root_.read(kGroups + *pf_group + "/" + f)) put_file(group + "/" + f, *v);
    }
    put_link(group + "/devices/" + address, vf);
    put_link(vf + "/iommu_group", group);
    if (auto im = root_.resolve(pf_dir + "/iommu")) {
      put_link(vf + "/iommu", *im);
      put_link(*im + "/devices/" + address, vf);
    }
  }
  if (autoprobe) probe_like_drivers_probe(vf);
}

void KernelDouble::remove_vf(const std::string& pf_dir, unsigned index) {
  const std::string link = pf_dir + "/virtfn" + std::to_string(index);
  auto vf = root_.resolve(link);
  if (!vf) return;
  const std::string address = basename_of(*vf);
  detach(*vf);
  remove_from_group(*vf, address);
  remove_entry(kPciDevices + address);
  remove_entry(link);
  for (const auto& n : root_.list("/sys/class/net")) {
    auto target = root_.resolve("/sys/class/net/" + n);
    if (target && target->rfind(*vf + "/", 0) == 0) remove_entry("/sys/class/net/" + n);
  }
  std::error_code ec;
  fs::remove_all(real(*vf), ec);
}

// ---- mdev ----------------------------------------------------------------------------------

int KernelDouble::mdev_create(const std::string& type_dir, const std::string& value) {
  std::string v = value;
  if (v.size() == 37 && v.back() == '\n') v.pop_back();
  if (!is_uuid(v)) return EINVAL;
  v = lower(v);
  for (const auto& u : root_.list(kMdevDevices)) {
    if (lower(u) == v) return EEXIST;
  }
  const unsigned available = read_uint(root_, type_dir + "/available_instances");
  if (available == 0) return options_.mdev_exhausted_errno;

  const std::string parent = dirname_of(dirname_of(type_dir));
  const std::string type = basename_of(type_dir);
  const std::string mdev = parent + "/" + v;
  fs::create_directories(real(mdev + "/power"));
  put_file(mdev + "/remove", "");
  put_file(mdev + "/uevent", "MDEV_TYPE=" + type + "\n");
  put_link(mdev + "/mdev_type", type_dir);
  put_link(mdev + "/subsystem", "/sys/bus/mdev");
  fs::create_directories(real(kMdevDevices));
  put_link(kMdevDevices + "/" + v, mdev);
  fs::create_directories(real(type_dir + "/devices"));
  put_link(type_dir + "/devices/" + v, mdev);
  const std::string driver = "/sys/bus/mdev/drivers/vfio_mdev";
  if (root_.is_dir(driver)) {
    put_link(mdev + "/driver", driver);
    put_link(driver + "/" + v, mdev);
  }
  const std::string group_id = std::to_string(new_iommu_group());
  const std::string group = kGroups + group_id;
  fs::create_directories(real(group + "/devices"));
  put_link(group + "/devices/" + v, mdev);
  put_link(mdev + "/iommu_group", group);
  if (root_.is_dir("/dev/vfio")) put_file("/dev/vfio/" + group_id, "");
  put_file(type_dir + "/available_instances", std::to_string(available - 1) + "\n");
  return 0;
}

int KernelDouble::mdev_remove(const std::string& mdev_dir, const std::string& value) {
  auto n = parse_kernel_uint(value);
  if (!n) return EINVAL;
  if (*n == 0) return 0;
  const std::string uuid = basename_of(mdev_dir);
  if (in_use_.count(lower(uuid))) return EBUSY;
  auto type_dir = root_.resolve(mdev_dir + "/mdev_type");
  remove_entry(kMdevDevices + "/" + uuid);
  if (type_dir) remove_entry(*type_dir + "/devices/" + uuid);
  if (auto driver = root_.resolve(mdev_dir + "/driver")) remove_entry(*driver + "/" + uuid);
  if (auto g = root_.link_name(mdev_dir + "/iommu_group")) remove_entry("/dev/vfio/" + *g);
  remove_from_group(mdev_dir, uuid);
  std::error_code ec;
  fs::remove_all(real(mdev_dir), ec);
  if (type_dir) {
    const unsigned available = read_uint(root_, *type_dir + "/available_instances");
    put_file(*type_dir + "/available_instances", std::to_string(available + 1) + "\n");
  }
  return 0;
}

// ---- files ---------------------------------------------------------------------------------

std::string KernelDouble::real(const std::string& host_path) const {
  return root_.host_path(host_path);
}

void KernelDouble::put_file(const std::string& host_path, std::string_view content) const {
  auto parent = root_.resolve(dirname_of(host_path));
  if (!parent) throw std::logic_error("KernelDouble: no directory for " + host_path);
  const std::string path = real(*parent + "/" + basename_of(host_path));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) throw std::logic_error("KernelDouble: cannot write " + path);
  std::size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

void KernelDouble::put_link(const std::string& host_link, const std::string& host_target) const {
  const std::string parent_path = dirname_of(host_link);
  auto parent = root_.resolve(parent_path);
  if (!parent) {
    fs::create_directories(real(parent_path));
    parent = root_.resolve(parent_path);
    if (!parent) throw std::logic_error("KernelDouble: no directory for " + host_link);
  }
  const std::string target = root_.resolve(host_target).value_or(host_target);
  // Spelled as the kernel does: up to the target's parent, then down by name (even for ancestors).
  fs::path up = fs::path(dirname_of(target)).lexically_relative(fs::path(*parent));
  const fs::path rel = up == "." ? fs::path(basename_of(target)) : up / basename_of(target);
  const std::string link = real(*parent + "/" + basename_of(host_link));
  std::error_code ec;
  fs::remove(link, ec);
  fs::create_symlink(rel, link);
}

void KernelDouble::remove_entry(const std::string& host_path) const {
  auto parent = root_.resolve(dirname_of(host_path));
  if (!parent) return;
  std::error_code ec;
  fs::remove(real(*parent + "/" + basename_of(host_path)), ec);
}

// ---- state ---------------------------------------------------------------------------------

std::string host_state(const Root& root) {
  std::string out;
  for (const auto& addr : root.list("/sys/bus/pci/devices")) {
    const std::string dev = kPciDevices + addr;
    out += addr + " driver=" + root.link_name(dev + "/driver").value_or("-");
    out += " override=" + root.read_value(dev + "/driver_override").value_or("?");
    if (auto n = root.read_value(dev + "/sriov_numvfs")) out += " numvfs=" + *n;
    if (auto g = root.link_name(dev + "/iommu_group")) out += " group=" + *g;
    if (auto v = root.read_value(dev + "/vendor")) out += " vendor=" + *v;
    out += "\n";
  }
  for (const auto& d : root.list("/sys/bus/pci/drivers")) {
    std::string devs;
    for (const auto& e : root.list(kPciDrivers + d)) {
      if (try_parse_pci_address(e)) devs += " " + e;
    }
    out += "driver " + d + ":" + devs + "\n";
  }
  for (const auto& u : root.list(kMdevDevices)) {
    const std::string dev = kMdevDevices + "/" + u;
    out += "mdev " + u + " type=" + root.link_name(dev + "/mdev_type").value_or("?") +
           " parent=" + basename_of(dirname_of(root.resolve(dev).value_or("/?/?"))) + "\n";
  }
  for (const auto& p : root.list("/sys/class/mdev_bus")) {
    const std::string types = "/sys/class/mdev_bus/" + p + "/mdev_supported_types";
    for (const auto& t : root.list(types)) {
      out += "mdev-type " + p + "/" + t + " available=" +
             root.read_value(types + "/" + t + "/available_instances").value_or("?") + "\n";
    }
  }
  for (const auto& g : root.list("/sys/kernel/iommu_groups")) {
    std::string members;
    for (const auto& m : root.list(kGroups + g + "/devices")) members += " " + m;
    out += "group " + g + ":" + members + "\n";
  }
  return out;
}

}  // namespace ptagent::testing
